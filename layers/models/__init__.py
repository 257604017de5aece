"""The product's data model, one module per family of things (DOMAIN.md glossary names)."""
from .abandonment import AbandonmentEvent, AbandonmentPhoto, AbandonmentReason, AbandonmentReport, ReportState
from .accounts import CITY_ROLES, COMMUNITY_ROLES, DISTRICT_ROLES, ENTERPRISE_ROLES, STREET_ROLES, Role, UserProfile
from .audit import AuditEvent, AuditKind
from .admin_units import PARENT_LEVEL, AdminArea, AdminLevel, Road, RoadClass
from .complaints import (
    HOTLINE_CHANNELS,
    OPEN_STATUSES,
    CalendarDay,
    Channel,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    HandlingLevel,
    JointMeetingItem,
    Rating,
    Responsible,
    StepKind,
)
from .contracts import (
    CaretakerAgency,
    CaretakerKind,
    ContractMode,
    EnterpriseJurisdiction,
    ProviderKind,
    ServiceContract,
)
from .enterprises import (
    CreditEvaluation,
    CreditGrade,
    Enterprise,
    EnterpriseListing,
    ListStatus,
    RegisterAction,
    RegisterChange,
)
from .evaluations import EnterpriseEvaluation, EvaluationScheme, EvaluationStatus, StreetOpinion
from .estates import Abandonment, Building, Estate, OwnersCommittee, ServiceStatus
from .idempotency import IdempotentRequest
from .history import ChangeAction, ManagementAreaVersion
from .imports import ImportJob, ImportStatus
from .inspections import Checklist, ChecklistItem, Inspection, InspectionPhoto, InspectionScore
from .jobs import Job, JobKind, JobStatus
from .management_areas import ManagementArea
from .plans import Bundle, BundleEstate, PlanStatus, PlanVersion, TakeoverPlan
from .renovation import RenovationItem, RenovationProject, RenovationStatus

__all__ = [
    "AbandonmentEvent", "AbandonmentPhoto", "AbandonmentReason", "AbandonmentReport", "ReportState",
    "AuditEvent", "AuditKind", "IdempotentRequest",
    "ChangeAction", "ManagementAreaVersion",
    "ImportJob", "ImportStatus",
    "Checklist", "ChecklistItem", "Inspection", "InspectionPhoto", "InspectionScore",
    "CalendarDay", "Channel", "Complaint", "ComplaintAttachment", "ComplaintCategory", "ComplaintEvent",
    "ComplaintStatus", "HandlingLevel", "HOTLINE_CHANNELS", "JointMeetingItem", "OPEN_STATUSES", "Rating",
    "Responsible", "StepKind", "COMMUNITY_ROLES", "ENTERPRISE_ROLES",
    "Job", "JobKind", "JobStatus",
    "Bundle", "BundleEstate", "PlanStatus", "PlanVersion", "TakeoverPlan",
    "EnterpriseEvaluation", "EvaluationScheme", "EvaluationStatus", "StreetOpinion",
    "CreditEvaluation", "EnterpriseListing", "RegisterAction", "RegisterChange",
    "Abandonment", "AdminArea", "AdminLevel", "PARENT_LEVEL", "Building", "CaretakerAgency", "CaretakerKind", "ContractMode",
    "CreditGrade", "Enterprise", "EnterpriseJurisdiction", "Estate", "ListStatus", "ManagementArea",
    "OwnersCommittee", "ProviderKind", "RenovationItem", "RenovationProject", "RenovationStatus", "Road", "RoadClass",
    "Role", "ServiceContract", "ServiceStatus", "UserProfile", "CITY_ROLES", "DISTRICT_ROLES", "STREET_ROLES",
]
