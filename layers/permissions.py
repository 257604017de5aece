"""Who may do what, and on which objects: the one mechanism every read and write path uses (pages, REST, admin,
bulk, tiles, export, OGC API).

Two questions, answered from the role table below:
- may(user, Model, action): may this role do this action on this kind of object at all? No → 403.
- restrict(queryset, user, action): the objects inside the user's jurisdiction. Outside → 404, so a
  street office cannot even learn what lies in another street, nor a district's users what lies in another district.
Jurisdictions (DOMAIN.md "Levels"): the city official and the system administrator have the whole city; planners,
district officials and district administrators their district (DISTRICT_LOOKUP); a street office its street
(STREET_LOOKUP) inside its district; a community (residents' committee) its community (COMMUNITY_LOOKUP) inside its
district; an enterprise only the complaints about the estates it serves (ENTERPRISE_LOOKUP), nothing else.
Reads have two levels (docs/SECURITY.md "Read scope"): LOCATE, an object's outline and name, which a street office
gets in its whole district for orientation where the table grants it; VIEW, its state and details, only inside its
street.
Every output lists the objects of restrict(..., LOCATE) and shows the state of those in restrict(..., VIEW)
(scope_sql for SQL-built outputs, in_scope / pks_in_scope for the rest).
Services look objects up through restrict() and call recheck() inside their transaction after writing,
so an object moved out of scope by the write itself (a building re-assigned to another street) is refused
and rolled back.
"""
from __future__ import annotations

from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    AbandonmentReport,
    AdminArea,
    AuditEvent,
    Building,
    CalendarDay,
    Checklist,
    Complaint,
    ComplaintCategory,
    CreditEvaluation,
    Enterprise,
    EnterpriseEvaluation,
    EnterpriseJurisdiction,
    EnterpriseListing,
    Estate,
    EvaluationScheme,
    ImportJob,
    Inspection,
    Job,
    JointMeetingItem,
    ManagementArea,
    ManagementAreaVersion,
    RenovationProject,
    Road,
    Role,
    ServiceContract,
    StreetOpinion,
    TakeoverPlan,
)
from .models import DISTRICT_ROLES

LOCATE, VIEW, ADD, CHANGE, DELETE = "locate", "view", "add", "change", "delete"
ACTION_LABELS = {LOCATE: gettext_lazy("locate"), VIEW: gettext_lazy("view"), ADD: gettext_lazy("add"), CHANGE: gettext_lazy("change"),
                 DELETE: gettext_lazy("delete")}

# Every role that reads the map and the registers: all but the enterprise, which sees its complaints only.
EVERYONE = frozenset(Role.values) - {Role.ENTERPRISE}
# Who changes things: a district's planners and administrators (in their district), the system administrator
# (everywhere). The city official and district officials read only.
DISTRICT = frozenset({Role.PLANNER, Role.DISTRICT_ADMINISTRATOR, Role.ADMINISTRATOR})

# (model, action) → roles that may do it. Anything not listed is refused. LOCATE not listed for a model falls back
# to VIEW: what a role may view it may locate, nothing more.
ROLE_ACTIONS: dict[tuple[type[Model], str], frozenset[str]] = {
    (ManagementArea, VIEW): EVERYONE,
    (ManagementArea, ADD): DISTRICT,
    (ManagementArea, CHANGE): DISTRICT,
    (ManagementArea, DELETE): DISTRICT,
    # An area's history, also once the area is gone: whoever may view areas, in the same district.
    (ManagementAreaVersion, VIEW): EVERYONE,
    (Building, VIEW): EVERYONE,
    # Outlines and names of estates and buildings: district-wide for orientation (docs/SECURITY.md "Read scope");
    # their state (service, abandonment) is VIEW, a street office's street only (STREET_LOOKUP).
    (Building, LOCATE): EVERYONE,
    (Estate, LOCATE): EVERYONE,
    (AbandonmentReport, VIEW): EVERYONE,
    # Street offices mark abandoned buildings in their street (rule 3); the district verifies.
    (AbandonmentReport, ADD): frozenset({Role.STREET_OFFICE, Role.PLANNER, Role.ADMINISTRATOR}),
    (AbandonmentReport, CHANGE): DISTRICT,
    # The enterprise register (DOMAIN.md "credit rating", 003 §5(3)): one register for the whole city (an enterprise
    # serves estates in several districts; its credit and red/black listing hold city-wide). Every district's
    # planners keep it (each evaluates the enterprises serving its estates; every change is logged with who and
    # why); everyone may read it. Contracts, estates served and their figures stay per district (DISTRICT_LOOKUP).
    (Enterprise, VIEW): EVERYONE,
    (Enterprise, ADD): DISTRICT,
    (Enterprise, CHANGE): DISTRICT,
    (CreditEvaluation, VIEW): EVERYONE,
    (CreditEvaluation, ADD): DISTRICT,
    (EnterpriseListing, VIEW): EVERYONE,
    (EnterpriseListing, ADD): DISTRICT,
    # Assigning service (contracts): the district; street offices see their street's contracts.
    (ServiceContract, VIEW): EVERYONE,
    (ServiceContract, ADD): DISTRICT,
    (ServiceContract, CHANGE): DISTRICT,
    # Bundled-takeover plans: drawn up and approved by the district, readable by officials.
    (TakeoverPlan, VIEW): DISTRICT | {Role.OFFICIAL, Role.CITY_OFFICIAL},
    (TakeoverPlan, ADD): DISTRICT,
    (TakeoverPlan, CHANGE): DISTRICT,
    # Data import (docs/IMPORT.md): the district department's jobs, shared by its planners and administrators.
    (ImportJob, VIEW): DISTRICT,
    (ImportJob, ADD): DISTRICT,
    # Background jobs (docs/JOBS.md): anyone may start one (an export); each sees and cancels their own jobs, and
    # the roles in JOBS_SEEN_BY_ROLE see everybody's (OWNER_LOOKUP below).
    (Job, VIEW): EVERYONE,
    (Job, ADD): EVERYONE,
    (Job, CHANGE): EVERYONE,
    # The map's other layers, read by export and OGC API – Features: everyone, district-wide.
    (AdminArea, VIEW): EVERYONE,
    (Road, VIEW): EVERYONE,
    (Estate, VIEW): EVERYONE,
    (EnterpriseJurisdiction, VIEW): EVERYONE,
    (RenovationProject, VIEW): EVERYONE,
    # Complaints (DOMAIN.md "Supervision"): taken in by communities, street offices and the district, each in its
    # area; read by officials; the enterprise sees and answers those about the estates it serves. Which step each
    # role may take is the service's rule (layers/services/complaints.py).
    (Complaint, VIEW): EVERYONE | {Role.ENTERPRISE},
    (Complaint, ADD): DISTRICT | {Role.STREET_OFFICE, Role.COMMUNITY},
    (Complaint, CHANGE): DISTRICT | {Role.STREET_OFFICE, Role.COMMUNITY, Role.ENTERPRISE},
    # The routing table and deadlines are the district's (002 §3); the working-day calendar is the city's, kept by
    # the district departments and the administrator like the enterprise register.
    (ComplaintCategory, VIEW): EVERYONE,
    (ComplaintCategory, ADD): DISTRICT,
    (ComplaintCategory, CHANGE): DISTRICT,
    (CalendarDay, VIEW): EVERYONE,
    (CalendarDay, ADD): DISTRICT,
    (CalendarDay, CHANGE): DISTRICT,
    (CalendarDay, DELETE): DISTRICT,
    # The joint meeting (联席会议, 000 §4(2)) is convened by the district department or the street.
    (JointMeetingItem, VIEW): EVERYONE,
    (JointMeetingItem, ADD): DISTRICT | {Role.STREET_OFFICE},
    (JointMeetingItem, CHANGE): DISTRICT | {Role.STREET_OFFICE},
    # Daily inspections (DOMAIN.md "Supervision"): street offices and communities inspect the estates of their area,
    # the district department too (spot checks); officials read them; an enterprise reads the inspections of the
    # estates it served on the day (they count in its annual evaluation). An inspection is a record: never changed.
    # The checklist is the district's.
    (Inspection, VIEW): EVERYONE,
    (Inspection, ADD): DISTRICT | {Role.STREET_OFFICE, Role.COMMUNITY},
    (Checklist, VIEW): EVERYONE,
    (Checklist, ADD): DISTRICT,
    (Checklist, CHANGE): DISTRICT,
    # The annual evaluation (003 §5(3), docs/EVALUATIONS.md): the district runs and confirms it and sets its scheme;
    # officials read it; street offices give their opinion of the enterprises serving in their street.
    (EnterpriseEvaluation, VIEW): DISTRICT | {Role.OFFICIAL, Role.CITY_OFFICIAL},
    (EnterpriseEvaluation, ADD): DISTRICT,
    (EnterpriseEvaluation, CHANGE): DISTRICT,
    (EvaluationScheme, VIEW): DISTRICT | {Role.OFFICIAL, Role.CITY_OFFICIAL},
    (EvaluationScheme, CHANGE): DISTRICT,
    (StreetOpinion, VIEW): DISTRICT | {Role.OFFICIAL, Role.CITY_OFFICIAL, Role.STREET_OFFICE},
    (StreetOpinion, ADD): frozenset({Role.STREET_OFFICE}),
    (StreetOpinion, CHANGE): frozenset({Role.STREET_OFFICE}),
    # The audit log (docs/SECURITY.md): administrators read it; nobody changes it (the database refuses).
    (AuditEvent, VIEW): frozenset({Role.ADMINISTRATOR}),
}

# Where a street office's jurisdiction lies, per model: the lookup from the object to its street. Its street
# bounds every action on these models but LOCATE where ROLE_ACTIONS grants that (outline and name, district-wide).
STREET_LOOKUP: dict[type[Model], str] = {
    Estate: "community__parent",
    Building: "estate__community__parent",
    AbandonmentReport: "street",
    ServiceContract: "estate__community__parent",
    RenovationProject: "estate__community__parent",
    Complaint: "street",
    JointMeetingItem: "complaint__street",
    Inspection: "street",
    StreetOpinion: "street",
}

# Where a community's jurisdiction lies (its residents' committee, DOMAIN.md "Who uses it"): like a street office's
# street, one level down. Models in DISTRICT_LOOKUP but not here are read district-wide, as for a street office.
COMMUNITY_LOOKUP: dict[type[Model], str] = {
    Estate: "community",
    Building: "estate__community",
    AbandonmentReport: "building__estate__community",
    ServiceContract: "estate__community",
    RenovationProject: "estate__community",
    Complaint: "community",
    JointMeetingItem: "complaint__community",
    Inspection: "community",
}

# What an enterprise sees: the complaints about the estates it serves (routed to it), nothing else.
ENTERPRISE_LOOKUP: dict[type[Model], str] = {
    Complaint: "enterprise",
}

# Models whose rows belong to one user: the lookup to the owner. Roles not listed per action see only their own.
OWNER_LOOKUP: dict[type[Model], str] = {Job: "user"}
OWNER_EXEMPT: dict[tuple[type[Model], str], frozenset[str]] = {
    (Job, VIEW): frozenset({Role.ADMINISTRATOR, Role.CITY_OFFICIAL, Role.OFFICIAL}),  # officials read everything in their scope; they change nothing
    (Job, CHANGE): frozenset({Role.ADMINISTRATOR}),
}

# Where a district's jurisdiction lies, per model: the lookups from the object to its district (any of them
# matching). Models not listed are city-wide: the enterprise register, its evaluations, listings and service areas,
# roads, the audit log (administrators only).
DISTRICT_LOOKUP: dict[type[Model], tuple[str, ...]] = {
    AdminArea: ("pk", "parent", "parent__parent"),  # the district itself, its streets and their communities
    ManagementArea: ("district",),
    ManagementAreaVersion: ("district",),
    # An estate's district is its community's parent's parent, kept in Estate.district by the database.
    Estate: ("district",),
    Building: ("estate__district",),
    AbandonmentReport: ("street__parent",),
    ServiceContract: ("estate__district",),
    RenovationProject: ("estate__district",),
    TakeoverPlan: ("district",),
    Complaint: ("district",),
    ComplaintCategory: ("district",),
    JointMeetingItem: ("complaint__district",),
    Inspection: ("street__parent",),
    Checklist: ("district",),
    EnterpriseEvaluation: ("district",),
    EvaluationScheme: ("district",),
    StreetOpinion: ("street__parent",),
    # A district's imports and jobs: those of its district users and of its streets' offices; the system
    # administrator's and the city official's are their own.
    ImportJob: ("user__profile__district", "user__profile__street__parent"),
    Job: ("user__profile__district", "user__profile__street__parent"),
}

# The parts of the site a role may open at all, for roles confined to a few pages (DOMAIN.md "Who uses it": an
# enterprise sees and answers the complaints about the estates it serves, nothing else). Checked for every request by
# layers/security/middleware.RolePaths; what it may read there is still restrict()'s.
ROLE_PATHS: dict[str, tuple[str, ...]] = {
    Role.ENTERPRISE: ("/accounts/", "/i18n/", "/jsi18n/", "/static/", "/complaints/", "/api/complaints/", "/m/",
                      "/api/token/", "/admin/"),  # the Django admin sends every non-administrator to its log-in page
}
# Inside those, what such a role may still not open: the district's own complaint pages.
ROLE_PATHS_NOT: dict[str, tuple[str, ...]] = {
    Role.ENTERPRISE: ("/complaints/routing/", "/complaints/calendar/", "/complaints/joint-meeting/",
                      "/complaints/confirm/", "/api/complaints/import/"),
}
# Where such a role starts (the site's home page is the map).
ROLE_HOME = {Role.ENTERPRISE: "/complaints/"}


def may_open(role: str | None, path: str) -> bool:
    """Whether a role may open a path at all (ROLE_PATHS); roles not listed may open every path."""
    prefixes = ROLE_PATHS.get(role)
    return prefixes is None or (path.startswith(prefixes) and not path.startswith(ROLE_PATHS_NOT.get(role, ())))


# What an output shows in place of a state it may not show (popups, detail pages); SQL outputs send NULL.
NOT_SHOWN = gettext_lazy("Not shown (outside your jurisdiction)")


# The jurisdiction refusals of the current request; the audit middleware (layers/security/audit.py) sets a list
# here and logs the request as refused when its 404 came from one. Views often catch Http404 and answer themselves,
# so the refusal is noted when it is raised, not when it reaches a middleware.
REFUSALS: ContextVar[list[str] | None] = ContextVar("jurisdiction_refusals", default=None)


class OutsideJurisdiction(Http404):
    """A 404 because the object lies outside the user's jurisdiction (or is absent): the audit log counts it refused."""

    def __init__(self, message):
        super().__init__(message)
        refusals = REFUSALS.get()
        if refusals is not None:
            refusals.append(str(message))


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    profile = getattr(user, "profile", None)
    return profile.role if profile else None


def street_of(user):
    profile = getattr(user, "profile", None)
    return profile.street if profile and profile.role == Role.STREET_OFFICE else None


def home_street(user):
    """The street a street office works in, or a community's street (the lists and maps they open on); else None."""
    street = street_of(user)
    if street is not None:
        return street
    community = community_of(user)
    return community.parent if community is not None else None


def community_of(user):
    profile = getattr(user, "profile", None)
    return profile.community if profile and profile.role == Role.COMMUNITY else None


def enterprise_of(user):
    profile = getattr(user, "profile", None)
    return profile.enterprise if profile and profile.role == Role.ENTERPRISE else None


def district_of(user):
    """The district a user answers for: a district role's own, a street office's street's, a community's street's;
    None for the city and for an enterprise (it may serve several districts)."""
    if role_of(user) == Role.ADMINISTRATOR:
        return None
    profile = getattr(user, "profile", None)
    if profile is None:
        return None
    if profile.role in DISTRICT_ROLES:
        return profile.district
    if profile.role == Role.STREET_OFFICE and profile.street_id:
        return profile.street.parent
    if profile.role == Role.COMMUNITY and profile.community_id:
        return profile.community.parent.parent
    return None


def area_of(user):
    """The administrative area a user answers for (community, street, district or city) — what the map opens on."""
    community = community_of(user)
    if community is not None:
        return community
    street = street_of(user)
    if street is not None:
        return street
    district = district_of(user)
    if district is not None:
        return district
    return AdminArea.objects.filter(level="city").order_by("code").first()


def _roles(model: type[Model], action: str) -> frozenset[str]:
    roles = ROLE_ACTIONS.get((model, action), frozenset())
    return roles | ROLE_ACTIONS.get((model, VIEW), frozenset()) if action == LOCATE else roles


def may(user, model: type[Model], action: str) -> bool:
    return role_of(user) in _roles(model, action)


# Who opens the phone app /m/ (docs/MOBILE.md): the field roles, the enterprise (its complaints only), and planners
# to check it. What each may do in it is still decided per model by ROLE_ACTIONS (a community sees its area but
# reports no building).
MOBILE_ROLES = frozenset({Role.STREET_OFFICE, Role.COMMUNITY, Role.ENTERPRISE, Role.PLANNER})
# The tabs of the phone app per role; an enterprise sees nothing but its complaints (DOMAIN.md "Roles"): no map, no
# buildings, no inspections, no offline map.
MOBILE_TABS = ("near", "mark", "outbox", "offline", "inspect", "complaints")
MOBILE_ROLE_TABS = {Role.ENTERPRISE: ("complaints", "outbox")}


def mobile_tabs(user) -> tuple[str, ...]:
    return MOBILE_ROLE_TABS.get(role_of(user), MOBILE_TABS)


def may_use_mobile(user) -> bool:
    return role_of(user) in MOBILE_ROLES


def require_mobile(user, tab: str | None = None) -> None:
    """Raise PermissionDenied (403) unless the user's role uses the phone app (and its tab `tab`)."""
    if not may_use_mobile(user):
        raise PermissionDenied(_("The field app is for street offices, communities, enterprises and planners."))
    if tab is not None and tab not in mobile_tabs(user):
        raise PermissionDenied(_("This part of the field app is not for your role."))


def require(user, model: type[Model], action: str) -> None:
    """Raise PermissionDenied (403) when the user's role may not do `action` on `model` at all."""
    if not may(user, model, action):
        raise PermissionDenied(
            _("Your role may not %(action)s %(things)s.")
            % {"action": ACTION_LABELS[action], "things": model._meta.verbose_name_plural}
        )


def restrict(queryset: QuerySet, user, action: str) -> QuerySet:
    """The part of `queryset` the user may `action`: empty for a refused role, one district for a district role,
    one street for a street office, the user's own rows of an owned model (OWNER_LOOKUP) unless the role is exempt."""
    role = role_of(user)
    queryset = restrict_role(queryset, role=role, action=action, **_areas(user, role))
    model = queryset.model
    if model in OWNER_LOOKUP and role not in OWNER_EXEMPT.get((model, action), frozenset()):
        queryset = queryset.filter(**{OWNER_LOOKUP[model]: user})
    return queryset


def _areas(user, role: str | None) -> dict:
    """What the user's role answers for, as restrict_role()'s keywords: only the column of the role counts (a stale
    column of another role never widens a scope)."""
    profile = getattr(user, "profile", None) if role != Role.ADMINISTRATOR else None
    if profile is None:
        return {"street": None}
    return {"street": profile.street if role == Role.STREET_OFFICE else None,
            "district": profile.district_id if role in DISTRICT_ROLES else None,
            "community": profile.community_id if role == Role.COMMUNITY else None,
            "enterprise": profile.enterprise_id if role == Role.ENTERPRISE else None}


def _in_district(model: type[Model], district) -> Q:
    return Q(*(Q(**{lookup: district}) for lookup in DISTRICT_LOOKUP[model]), _connector=Q.OR)


def restrict_role(queryset: QuerySet, *, role: str | None, street, action: str, district=None, community=None,
                  enterprise=None) -> QuerySet:
    """restrict() for a role and what it answers for (a street, district or community: AdminAreas or their ids; an
    enterprise or its id) known without a user object: the tile path. A street office's district is its street's
    parent, a community's its street's parent."""
    model = queryset.model
    if role not in _roles(model, action):
        return queryset.none()
    district_wide = action == LOCATE and role in ROLE_ACTIONS.get((model, LOCATE), frozenset())
    if role == Role.ENTERPRISE:
        if enterprise is None or model not in ENTERPRISE_LOOKUP:
            return queryset.none()
        return queryset.filter(**{ENTERPRISE_LOOKUP[model]: enterprise})
    if role == Role.COMMUNITY:
        if community is None:
            return queryset.none()
        if model in COMMUNITY_LOOKUP and not district_wide:
            return queryset.filter(**{COMMUNITY_LOOKUP[model]: community})
        if model in DISTRICT_LOOKUP:
            community_id = getattr(community, "pk", community)
            return queryset.filter(_in_district(
                model, AdminArea.objects.filter(pk=community_id).values("parent__parent")[:1]))
        return queryset
    if role == Role.STREET_OFFICE:
        if street is None:
            return queryset.none()
        if model in STREET_LOOKUP and not district_wide:
            return queryset.filter(Q(**{STREET_LOOKUP[model]: street}))
        if model in DISTRICT_LOOKUP:
            street_id = getattr(street, "pk", street)
            return queryset.filter(_in_district(model, AdminArea.objects.filter(pk=street_id).values("parent")[:1]))
        return queryset
    if role in DISTRICT_ROLES and model in DISTRICT_LOOKUP:
        if district is None:
            return queryset.none()
        return queryset.filter(_in_district(model, getattr(district, "pk", district)))
    return queryset


def scope_sql(model: type[Model], *, role: str | None, street, action: str, column: str,
              district=None, community=None, enterprise=None) -> tuple[str, list]:
    """restrict_role() as an SQL test of `column` (a query's column holding `model`'s primary key) with its
    parameters: ("TRUE", []) when the role has every row, ("FALSE", []) when none — for SQL-built outputs."""
    queryset = restrict_role(model._default_manager.all(), role=role, street=street, action=action, district=district,
                             community=community, enterprise=enterprise)
    if queryset.query.is_empty():
        return "FALSE", []
    if not queryset.query.where:
        return "TRUE", []
    # Unordered: a model's default ordering would only sort the subquery's rows for nothing.
    inner, params = queryset.values("pk").order_by().query.sql_with_params()
    return f"{column} IN ({inner})", list(params)


def user_scope_sql(model: type[Model], user, action: str, column: str) -> tuple[str, list]:
    """scope_sql() for a user."""
    role = role_of(user)
    return scope_sql(model, role=role, action=action, column=column, **_areas(user, role))


def inlined(sql: str, params: list) -> str:
    """A scope_sql() test with its parameters inlined (psycopg2's own quoting) and every % doubled, ready to be put
    into SQL that goes through named-parameter substitution (tiles, coverage figures)."""
    if params:
        with connection.cursor() as cursor:
            sql = cursor.mogrify(sql, params)
        sql = sql.decode() if isinstance(sql, bytes) else sql
    return sql.replace("%", "%%")


def pks_in_scope(model: type[Model], pks, user, action: str = VIEW) -> set:
    """Which of `pks` lie in the user's scope for `action` (by default: whose state the user may see)."""
    return set(restrict(model._default_manager.filter(pk__in=list(pks)), user, action).values_list("pk", flat=True))


def in_scope(obj: Model, user, action: str = VIEW) -> bool:
    """Whether one object lies in the user's scope for `action` (by default: whether its state may be shown)."""
    return obj.pk in pks_in_scope(type(obj), [obj.pk], user, action)


def get_restricted(queryset: QuerySet, user, action: str, **lookup):
    """One object by `lookup` inside the user's scope: 403 for a refused role, 404 when outside or absent."""
    require(user, queryset.model, action)
    obj = restrict(queryset, user, action).filter(**lookup).first()
    if obj is None:
        raise OutsideJurisdiction(_("No %(thing)s with that id in your jurisdiction.")
                                  % {"thing": queryset.model._meta.verbose_name})
    return obj


def recheck(obj: Model, user, action: str) -> None:
    """Inside the writing transaction, after the write: the object must still be within the user's scope."""
    model = type(obj)
    if not restrict(model._default_manager.filter(pk=obj.pk), user, action).exists():
        raise PermissionDenied(_("This change would put the %(thing)s outside your jurisdiction.")
                               % {"thing": model._meta.verbose_name})
