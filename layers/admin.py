"""The Django admin over every model, with Leaflet map widgets for geometries."""
from django import forms
from django.apps import apps
from django.contrib import admin, messages
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


@admin.register(models.UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "street"]
    list_filter = ["role"]


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
class AbandonmentReportAdmin(admin.ModelAdmin):
    list_display = ["id", "building", "street", "state", "reason", "abandoned_since", "reported_by", "created_at"]
    list_filter = ["state", "reason", "street"]
    search_fields = ["building__code", "building__label", "building__estate__name"]
    list_select_related = ["building__estate", "street", "reported_by"]
    readonly_fields = ["building", "street", "state", "abandoned_since", "reason", "reported_by", "created_at",
                       "updated_at"]
    fields = readonly_fields[:3] + ["abandoned_since", "reason", "description", "reported_by", "created_at",
                                    "updated_at"]
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
