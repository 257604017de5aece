"""The Django admin over every model, with Leaflet map widgets for geometries."""
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from . import models
from .refusals import Refusal
from .selectors import areas
from .services import management_areas as svc


class ReadOnlyAdmin:
    """Records written only by services or the database (steps, photos, history): shown, never changed here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.AdminArea)
class AdminAreaAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(models.Road)
class RoadAdmin(LeafletGeoAdmin):
    list_display = ["name", "road_class"]
    list_filter = ["road_class"]
    search_fields = ["name"]


@admin.register(models.ManagementArea)
class ManagementAreaAdmin(LeafletGeoAdmin):
    """Saves and deletes go through layers.services.management_areas: validated, version-checked, with a reason."""

    class Form(forms.ModelForm):
        reason = forms.CharField(label=_("reason for the change"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("Required when the boundary changes; kept in the area's history."))
        base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

        class Meta:
            model = models.ManagementArea
            fields = ["code", "name", "district", "street", "geom"]

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.pk:
                self.fields["base_version"].initial = self.instance.version
                self.fields["district"].disabled = True  # an area stays in its district (rule 1)
            else:
                self.fields["district"].required = False  # the service finds it from the boundary

        def clean(self):
            data = super().clean()
            geom = data.get("geom")
            if geom is None:
                return data
            area = self.instance
            if area.pk:
                if data.get("base_version") is not None and data["base_version"] != area.version:
                    current = models.ManagementArea.objects.filter(pk=area.pk).first()
                    if current is not None and current.version != data["base_version"]:
                        last = areas.management_area_last_change(area_id=area.pk)
                        raise forms.ValidationError(str(svc.Conflict(
                            current, last.user.get_username() if last and last.user else None,
                            last.changed_at if last else current.updated_at)))
                if svc._same_boundary(svc.to_shapely(geom), svc.to_shapely(area.geom)):
                    return data
                if not (data.get("reason") or "").strip():
                    self.add_error("reason", _("Say why the boundary changes: a reason is required."))
                    return data
            result = svc._check(svc.to_shapely(geom), exclude_ids=[area.pk] if area.pk else [],
                                district_id=area.district_id if area.pk else None)
            for problem in result.problems:
                where = f" [{problem.location[0]:.6f}, {problem.location[1]:.6f}]" if problem.location else ""
                self.add_error("geom", problem.message + where)
            return data

    form = Form
    list_display = ["code", "name", "street", "version", "updated_at"]
    list_filter = ["street"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "created_at", "updated_at", "change_history"]

    @admin.display(description=_("history"))
    def change_history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        rows = (models.ManagementAreaVersion.objects.filter(area_id=obj.pk).select_related("user")
                .order_by("-version", "-id")[:50])
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("version"), _("action"), _("by"), _("changed at"), _("reason"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (r.version, r.get_action_display(), r.user or "—", localize(timezone.localtime(r.changed_at)), r.reason)
                for r in rows)),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = svc.management_area_update(
                user=request.user, area_id=obj.pk, base_version=data.get("base_version") or obj.version,
                geometry=svc.to_shapely(data["geom"]), name=data["name"], code=data["code"],
                street_id=data["street"].pk if data.get("street") else None, reason=data.get("reason") or "")
        else:
            saved = svc.management_area_create(
                user=request.user, geometry=svc.to_shapely(data["geom"]), name=data["name"], code=data["code"],
                street_id=data["street"].pk if data.get("street") else None, reason=data.get("reason") or "")
        obj.pk, obj.version, obj.district_id = saved.area.pk, saved.area.version, saved.area.district_id
        for warning in saved.warnings:
            self.message_user(request, warning["message"], messages.WARNING)

    def delete_model(self, request, obj):
        svc.management_area_delete(user=request.user, area_id=obj.pk, base_version=obj.version,
                                   reason=str(_("deleted in the admin")))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refusal as exc:  # a concurrent save between the form's check and the write
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)


class BuildingInline(admin.TabularInline):
    model = models.Building
    fields = ["code", "label", "floors", "households", "build_year", "has_elevator", "abandonment"]
    extra = 0
    show_change_link = True


class ContractInline(admin.TabularInline):
    model = models.ServiceContract
    fields = ["provider_kind", "enterprise", "caretaker_agency", "mode", "start_date", "end_date"]
    autocomplete_fields = ["enterprise"]
    extra = 0


@admin.register(models.Estate)
class EstateAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "build_year", "households", "is_open", "community"]
    list_filter = ["is_open", "owners_committee", "community__parent"]
    search_fields = ["code", "name", "address"]
    raw_id_fields = ["management_area"]
    inlines = [ContractInline, BuildingInline]


@admin.register(models.Building)
class BuildingAdmin(LeafletGeoAdmin):
    list_display = ["code", "estate", "label", "floors", "abandonment"]
    list_filter = ["abandonment", "has_elevator"]
    search_fields = ["code", "label", "estate__name"]
    raw_id_fields = ["estate"]


class EnterpriseAdminForm(forms.ModelForm):
    def clean_filed_on(self):
        filed_on = self.cleaned_data.get("filed_on")
        if filed_on and filed_on > timezone.localdate():
            raise forms.ValidationError(_("The filing date cannot be in the future."))
        return filed_on


@admin.register(models.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Saved through services.enterprises, so the register's change log has the change; the grade and the list
    status follow the evaluations and listing decisions (recorded on the enterprise's page), never edited here."""

    form = EnterpriseAdminForm
    list_display = ["name", "credit_code", "credit_grade", "list_status", "filed_on"]
    list_filter = ["list_status", "credit_grade"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["list_status", "list_status_since", "list_status_reason"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "credit_grade"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        from .services.enterprises import EDITABLE_FIELDS, enterprise_create, enterprise_update

        if change:
            fields = {f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE_FIELDS}
            enterprise_update(user=request.user, enterprise_id=obj.pk, reason=str(_("Django admin")), **fields)
        else:
            fields = {f: form.cleaned_data.get(f) for f in (*EDITABLE_FIELDS, "credit_grade")}
            obj.pk = enterprise_create(user=request.user, **fields).pk


@admin.register(models.CaretakerAgency)
class CaretakerAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "street", "enterprise"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(models.ServiceContract)
class ServiceContractAdmin(admin.ModelAdmin):
    list_display = ["estate", "provider_kind", "enterprise", "caretaker_agency", "mode", "start_date", "end_date"]
    list_filter = ["provider_kind", "mode"]
    search_fields = ["estate__name", "enterprise__name"]
    raw_id_fields = ["estate"]
    autocomplete_fields = ["enterprise", "caretaker_agency"]
    date_hierarchy = "start_date"


@admin.register(models.EnterpriseJurisdiction)
class EnterpriseJurisdictionAdmin(LeafletGeoAdmin):
    list_display = ["enterprise", "estate_count", "households", "refreshed_at"]
    readonly_fields = ["enterprise", "estate_count", "households", "refreshed_at"]


@admin.register(models.RenovationProject)
class RenovationProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "estate", "status", "start_year", "end_year"]
    list_filter = ["status"]
    search_fields = ["name", "estate__name"]
    raw_id_fields = ["estate"]


class AreaChoiceField(forms.ModelChoiceField):
    """An administrative area named with its level, code and parent, so that the right one is easy to pick."""

    def label_from_instance(self, area):
        return _("%(name)s · %(level)s %(code)s · in %(parent)s") % {
            "name": area.name, "level": area.get_level_display(), "code": area.code,
            "parent": area.parent.name if area.parent_id else "—"}


class UserProfileForm(forms.ModelForm):
    """A user's role and what it answers for (DOMAIN.md "Levels", "Who uses it"): a district for the district roles, a
    street for a street office, a community for a residents' committee, an enterprise for an enterprise user, none
    for the city roles; each list offers only areas of its level."""

    district = AreaChoiceField(
        queryset=models.AdminArea.objects.filter(level=models.AdminLevel.DISTRICT).select_related("parent")
        .order_by("code"), required=False, label=_("district"),
        help_text=_("Only for a planner, a district official or a district administrator: the district (区/县/开发区) "
                    "they work in; they see and change nothing outside it. Leave empty for the other roles."))
    street = AreaChoiceField(
        queryset=models.AdminArea.objects.filter(level=models.AdminLevel.STREET).select_related("parent")
        .order_by("parent__code", "code"), required=False, label=_("street"),
        help_text=_("Only for a street office: its street (街道), listed with its district. Leave empty for the other "
                    "roles."))
    community = AreaChoiceField(
        queryset=models.AdminArea.objects.filter(level=models.AdminLevel.COMMUNITY).select_related("parent")
        .order_by("parent__code", "code"), required=False, label=_("community"),
        help_text=_("Only for a community (residents' committee): its community, listed with its street. Leave empty "
                    "for the other roles."))

    class Meta:
        model = models.UserProfile
        fields = ["user", "role", "district", "street", "community", "enterprise"]
        help_texts = {"role": _("A city official and the system administrator work city-wide (no district, no "
                                "street); a planner, district official and district administrator in one district; "
                                "a street office in one street.")}

    # The one field each role needs (the others stay empty); roles not listed need none (city-wide).
    AREA_FIELD = {**dict.fromkeys(models.DISTRICT_ROLES, "district"), **dict.fromkeys(models.STREET_ROLES, "street"),
                  **dict.fromkeys(models.COMMUNITY_ROLES, "community"),
                  **dict.fromkeys(models.ENTERPRISE_ROLES, "enterprise")}

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if not role:
            return cleaned
        label = models.Role(role).label
        needed = self.AREA_FIELD.get(role)
        for name in ("district", "street", "community", "enterprise"):
            value = cleaned.get(name)
            if name == needed and value is None:
                self.add_error(name, _("Choose the %(field)s of this %(role)s.")
                               % {"field": self.fields[name].label, "role": label})
            elif name != needed and value is not None:
                self.add_error(name, _("A %(role)s does not answer for a %(field)s: leave it empty.")
                               % {"role": label, "field": self.fields[name].label})
        return cleaned


@admin.register(models.UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    form = UserProfileForm
    list_display = ["user", "role", "district", "street", "community", "enterprise"]
    list_filter = ["role", "district"]
    list_select_related = ["user", "district", "street", "community", "enterprise"]


class UserProfileInline(admin.StackedInline):
    """The role and area on the user's own page, where an administrator creates the account."""

    model = models.UserProfile
    form = UserProfileForm
    fields = ["role", "district", "street"]
    can_delete = False
    extra = 1
    max_num = 1


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserProfileInline]


# --- abandoned-building reports ---------------------------------------------------------------------------------
# Reports are filed and moved on only through services.abandonment (scope, photo checks, the building's mirror,
# the step log), so the admin shows them and lets an administrator correct the free text, nothing else.


@admin.display(description=_("photo"))
def abandonment_photo_link(photo):
    # Through the permission-checked view: uploads are never served from MEDIA_URL.
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>',
                       reverse("abandonment-photo", args=[photo.pk]), photo.image.name)


class AbandonmentPhotoInline(admin.TabularInline):
    model = models.AbandonmentPhoto
    fields = [abandonment_photo_link, "content_type", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AbandonmentEventInline(admin.TabularInline):
    model = models.AbandonmentEvent
    fields = ["created_at", "from_state", "to_state", "user", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.AbandonmentReport)
class AbandonmentReportAdmin(LeafletGeoAdmin):
    list_display = ["id", "building", "street", "state", "reason", "abandoned_since", "reported_by", "created_at"]
    list_filter = ["state", "reason", "street"]
    search_fields = ["building__code", "building__label", "building__estate__name"]
    list_select_related = ["building__estate", "street", "reported_by"]
    readonly_fields = ["building", "street", "state", "abandoned_since", "reason", "reported_by", "created_at",
                       "updated_at"]
    fields = readonly_fields[:3] + ["abandoned_since", "reason", "description", "reported_by", "created_at",
                                    "updated_at", "reporter_location"]
    inlines = [AbandonmentPhotoInline, AbandonmentEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.AbandonmentPhoto)
class AbandonmentPhotoAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "report", "content_type", "size"]
    list_select_related = ["report__building__estate"]
    fields = readonly_fields = ["report", abandonment_photo_link, "content_type", "size"]


@admin.register(models.AbandonmentEvent)
class AbandonmentEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "report", "from_state", "to_state", "user"]
    list_filter = ["to_state"]
    list_select_related = ["report__building__estate", "user"]
    readonly_fields = ["report", "from_state", "to_state", "note", "user", "created_at"]


@admin.register(models.ManagementAreaVersion)
class ManagementAreaVersionAdmin(ReadOnlyAdmin, LeafletGeoAdmin):
    """The history is written by the database (migration 0008) and never edited: read-only here."""

    list_display = ["area_code", "version", "action", "user", "changed_at", "reason"]
    list_filter = ["action"]
    search_fields = ["area_code", "reason"]
    readonly_fields = ["area", "area_code", "version", "action", "reason", "user", "changed_at",
                       "attrs_before", "attrs_after"]
    fields = readonly_fields + ["geom_before", "geom_after"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        # The change page draws both boundaries on map widgets; nothing it posts is ever saved.
        return request.method in ("GET", "HEAD") and self.has_view_permission(request, obj)


# Service planning (DOMAIN.md rules 4–5): written through layers.services (history, rule 4); read-only here.
@admin.register(models.CreditEvaluation)
class CreditEvaluationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("enterprise", "year", "grade", "passed", "recorded_by", "recorded_at")
    list_filter = ("year", "passed", "grade")


# The annual evaluation (docs/EVALUATIONS.md): written through layers.services.evaluations; read-only here.
@admin.register(models.StreetOpinion)
class StreetOpinionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("year", "street", "enterprise", "score", "by", "at")
    list_filter = ("year",)


@admin.register(models.EvaluationScheme)
class EvaluationSchemeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("district", "weight_contracts", "weight_complaints", "weight_inspections", "weight_opinions",
                    "pass_line")


@admin.register(models.EnterpriseEvaluation)
class EnterpriseEvaluationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("year", "district", "enterprise", "total", "grade", "passed", "status")
    list_filter = ("year", "status", "grade")


@admin.register(models.EnterpriseListing)
class EnterpriseListingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("enterprise", "status", "listed_on", "reason", "decided_by")
    list_filter = ("status",)


@admin.register(models.RegisterChange)
class RegisterChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("changed_at", "action", "enterprise", "estate", "user", "reason")
    list_filter = ("action",)


@admin.register(models.TakeoverPlan)
class TakeoverPlanAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("name", "status", "street", "version", "created_by", "updated_at")
    list_filter = ("status",)


@admin.register(models.Bundle)
class BundleAdmin(ReadOnlyAdmin, LeafletGeoAdmin):
    list_display = ("plan", "number", "rank", "enterprise", "households", "floor_area", "score")
    readonly_fields = ["plan", "rank", "enterprise", "households", "floor_area", "score"]
    fields = readonly_fields + ["geom"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        # The change page draws the outline on a map widget; nothing it posts is ever saved (plans.py services).
        return request.method in ("GET", "HEAD") and self.has_view_permission(request, obj)


@admin.register(models.BundleEstate)
class BundleEstateAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("plan", "bundle", "estate")


@admin.register(models.PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("plan", "version", "note", "user", "saved_at")


@admin.register(models.ImportJob)
class ImportJobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Imports are made on /imports/ or with `manage.py import_layer`; here they are only shown."""

    list_display = ["created_at", "file_name", "target", "status", "user", "committed_at"]
    list_filter = ["target", "status"]
    list_select_related = ["user"]
    search_fields = ["file_name"]
    readonly_fields = ["file", "file_name", "target", "status", "mapping", "crs", "srid", "gcj02", "reason", "user",
                       "created_at", "updated_at", "committed_at", "summary"]
    exclude = ["report"]  # the per-row report can hold thousands of rows and a preview: its summary is enough here

    @admin.display(description=_("summary"))
    def summary(self, obj):
        report = obj.report or {}
        return report.get("result") or report.get("summary") or report.get("refused") or "–"


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The audit log, read-only here as in the database (docs/SECURITY.md); also at /audit/."""

    list_display = ["time", "kind", "username", "ip", "method", "path", "status", "object_type", "object_id", "detail"]
    list_filter = ["kind", "time"]
    search_fields = ["username", "path", "detail", "object_id"]
    date_hierarchy = "time"
    list_select_related = False
    show_full_result_count = False


@admin.register(models.Job)
class JobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Background jobs are started and cancelled on their pages (/jobs/, docs/JOBS.md); here they are only shown."""

    list_display = ["created_at", "kind", "title", "status", "done", "total", "user", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["title", "message"]


# The queue's own tables (django-q2) are the worker's business: a job is followed and cancelled through Job above,
# never by editing the queue by hand.
for _queue_model in ("Schedule", "Success", "Failure", "OrmQ"):
    try:
        admin.site.unregister(apps.get_model("django_q", _queue_model))
    except admin.sites.NotRegistered:
        pass


# Supervision (DOMAIN.md "Supervision"): the routing table and the calendar are configuration, kept on their own pages
# and here; complaints, their steps and the joint meeting are written by layers/services/complaints.py and only shown.
@admin.register(models.ComplaintCategory)
class ComplaintCategoryAdmin(admin.ModelAdmin):
    list_display = ["district", "code", "name", "responsible", "department", "sign_days", "reply_days", "close_days",
                    "active"]
    list_filter = ["district", "responsible", "active"]
    search_fields = ["code", "name", "keywords"]


@admin.register(models.CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "working", "name"]
    list_filter = ["working"]


class ShownOnMapAdmin(ReadOnlyAdmin, LeafletGeoAdmin):
    """A record written by services, shown with its position on a map widget; nothing the page posts is saved."""

    map_field = "location"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("id", self.map_field)]

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and self.has_view_permission(request, obj)


@admin.register(models.Complaint)
class ComplaintAdmin(ShownOnMapAdmin):
    list_display = ["received_at", "order_no", "channel", "category", "street", "estate", "level", "status"]
    list_filter = ["status", "level", "channel", "district"]
    list_select_related = ["category", "street", "estate"]
    search_fields = ["order_no", "caller_words", "address_text"]


@admin.register(models.ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "complaint", "kind", "level", "user"]
    list_filter = ["kind"]
    list_select_related = ["complaint", "user"]


@admin.register(models.ComplaintAttachment)
class ComplaintAttachmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "event", "content_type", "size"]


@admin.register(models.JointMeetingItem)
class JointMeetingItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["complaint", "meeting_on", "decided_at", "sent_by"]
    list_select_related = ["complaint", "sent_by"]


# Daily inspections (docs/INSPECTIONS.md): checklists are kept on /inspections/checklists/ (services.inspections keeps
# the old one with the inspections scored on it), inspections are recorded by street and community staff; all shown
# here, none changed.
@admin.register(models.Checklist)
class ChecklistAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["district", "name", "active"]
    list_filter = ["district", "active"]


@admin.register(models.ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["checklist", "position", "name", "max_score"]


@admin.register(models.Inspection)
class InspectionAdmin(ShownOnMapAdmin):
    list_display = ["inspected_on", "estate", "street", "inspector"]
    list_select_related = ["estate", "street", "inspector"]


@admin.register(models.InspectionScore)
class InspectionScoreAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["inspection", "item", "score"]


@admin.register(models.InspectionPhoto)
class InspectionPhotoAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["inspection", "item", "content_type", "size"]


@admin.register(models.IdempotentRequest)
class IdempotentRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The first answer to each (user, Idempotency-Key) of the phone app's outbox (docs/MOBILE.md): shown only."""

    list_display = ["created_at", "user", "method", "path", "status"]
    list_select_related = ["user"]
