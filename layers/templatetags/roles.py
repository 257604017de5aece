"""What the top bar shows to whom: `{% role_nav as nav %}` → which menu entries the user's role may see.

The rules come from layers.permissions (the one place that says who may do what), never from the template.
"""
from django import template
from django.urls import reverse

from layers.models import (
    AbandonmentReport,
    AuditEvent,
    Complaint,
    Enterprise,
    EnterpriseEvaluation,
    Inspection,
    Role,
    ServiceContract,
    StreetOpinion,
    TakeoverPlan,
)
from layers.permissions import ADD, VIEW, may, may_open, role_of

register = template.Library()


@register.simple_tag(takes_context=True)
def role_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    role = role_of(user)
    path = request.path if request is not None else ""
    abandonment = reverse("abandonment")
    # Statistics (统计分析) and its printable report: read-only, for every logged-in user (docs/COVERAGE_API.md).
    dashboard = reverse("dashboard")
    report = reverse("coverage-report")
    return {
        "role": role,
        "map": reverse("map") if may_open(role, "/") else None,
        # Every role with a profile sees the reports: street offices theirs, the district and officials all (read-only).
        "abandonment": abandonment if role and may(user, AbandonmentReport, VIEW) else None,
        "abandonment_active": path.startswith(abandonment),
        "dashboard": dashboard if user is not None and user.is_authenticated and may_open(role, dashboard) else None,

        # Daily inspections: street offices and communities inspect, the district and officials read, an enterprise
        # reads those of its estates.
        "inspections": (reverse("inspection-list") if role and may(user, Inspection, VIEW)
                        and may_open(role, "/inspections/") else None),
        "inspections_active": path.startswith("/inspections/"),
        # The annual evaluation: the district runs it, officials read it; street offices give their opinions.
        "evaluations": (reverse("evaluations") if may(user, EnterpriseEvaluation, VIEW)
                        else reverse("evaluation-opinions") if may(user, StreetOpinion, ADD) else None),
        "evaluations_active": path.startswith("/evaluations/"),
        "dashboard_active": path.startswith(dashboard) or path.startswith(report),
        "enterprises": reverse("enterprise-list") if may(user, Enterprise, VIEW) else None,
        "enterprises_active": path.startswith("/enterprises/"),
        # The worklists: the district assigns; street offices (their street) and officials read.
        "service": reverse("service") if role and may(user, ServiceContract, VIEW) else None,
        "service_active": path.startswith("/service/"),
        "plans": reverse("plan-list") if may(user, TakeoverPlan, VIEW) else None,
        "plans_active": path.startswith("/plans/"),
        "imports": reverse("imports") if role in (Role.PLANNER, Role.ADMINISTRATOR) else None,
        "imports_active": path.startswith("/imports/"),
        # Complaints (docs/COMPLAINTS.md): everyone who may read them, in their scope; the enterprise only these.
        "complaints": reverse("complaint-list") if role and may(user, Complaint, VIEW) else None,
        "complaints_active": path.startswith("/complaints/"),
        # Background jobs: everyone's own exports, imports and proposals (docs/JOBS.md).
        "jobs": reverse("job-list") if user is not None and user.is_authenticated and may_open(role, "/jobs/") else None,
        "jobs_active": path.startswith("/jobs/"),
        "audit": reverse("audit-log") if may(user, AuditEvent, VIEW) else None,
        "audit_active": path.startswith("/audit/"),
        "admin": reverse("admin:index") if role == Role.ADMINISTRATOR else None,
        "more_active": path.startswith(("/imports/", "/jobs/", "/audit/")),
    }
