"""What the top bar shows to whom: `{% role_nav as nav %}` → which menu entries the user's role may see.

The rules come from layers.permissions (the one place that says who may do what), never from the template.
"""
from django import template
from django.urls import NoReverseMatch, reverse

from layers.models import AbandonmentReport, Role
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
        "admin": _url("admin:index", "/admin/") if role == Role.ADMINISTRATOR else None,
    }
