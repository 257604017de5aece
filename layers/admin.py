"""The Django admin over every model, with Leaflet map widgets for geometries."""
from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from . import models


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
    list_display = ["code", "name", "street", "version", "updated_at"]
    list_filter = ["street"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "created_at", "updated_at"]


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


@admin.register(models.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "credit_grade", "list_status", "filed_on"]
    list_filter = ["list_status", "credit_grade"]
    search_fields = ["name", "credit_code"]


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
