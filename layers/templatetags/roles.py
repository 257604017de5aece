"""What the top bar shows to whom: `{% role_nav as nav %}` → which menu entries the user's role may see.

The rules come from layers.permissions (the one place that says who may do what), never from the template.
"""
from django import template
from django.urls import NoReverseMatch, reverse

from layers.models import AbandonmentReport, AuditEvent, Enterprise, Role, ServiceContract, TakeoverPlan
from layers.permissions import VIEW, may, role_of

register = template.Library()

# The reports page is built beside this one; its path is fixed by docs/EDIT_API.md.
ABANDONMENT_PAGE = "/abandonment/"
# Statistics (统计分析) and its printable report: read-only, for every logged-in user (docs/COVERAGE_API.md).
DASHBOARD_PAGE = "/dashboard/"
REPORT_PAGE = "/reports/coverage/"


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


@register.simple_tag(takes_context=True)
def role_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    role = role_of(user)
    path = request.path if request is not None else ""
    abandonment = _url("abandonment-page", ABANDONMENT_PAGE)
    dashboard = _url("dashboard", DASHBOARD_PAGE)
    report = _url("coverage-report", REPORT_PAGE)
    return {
        "role": role,
        # Every role with a profile sees the reports: street offices theirs, the district and officials all (read-only).
        "abandonment": abandonment if role and may(user, AbandonmentReport, VIEW) else None,
        "abandonment_active": path.startswith(abandonment),
        "dashboard": dashboard if user is not None and user.is_authenticated else None,
        "dashboard_active": path.startswith(dashboard) or path.startswith(report),
        # Service planning (issue 4) and data import (issue 6); pages reverse by name once they exist.
        "enterprises": _url("enterprise-list", "/enterprises/") if may(user, Enterprise, VIEW) else None,
        "enterprises_active": path.startswith("/enterprises/"),
        # The worklists: the district assigns; street offices (their street) and officials read.
        "service": _url("service-worklists", "/service/") if role and may(user, ServiceContract, VIEW) else None,
        "service_active": path.startswith("/service/"),
        "plans": _url("plan-list", "/plans/") if may(user, TakeoverPlan, VIEW) else None,
        "plans_active": path.startswith("/plans/"),
        "imports": _url("import-page", "/imports/") if role in (Role.PLANNER, Role.ADMINISTRATOR) else None,
        "imports_active": path.startswith("/imports/"),
        "audit": _url("audit-log", "/audit/") if may(user, AuditEvent, VIEW) else None,
        "audit_active": path.startswith("/audit/"),
        "admin": _url("admin:index", "/admin/") if role == Role.ADMINISTRATOR else None,
    }
