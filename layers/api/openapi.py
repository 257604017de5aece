"""What the OpenAPI schema (/api/schema/) says about the API: response and request shapes, shared parameters.

Request serializers are the validators too: the views read their bodies with layers.api.validation.validated(the
documented class), so the schema and the checks cannot disagree. Response serializers only describe JSON (the views
build their bodies in selectors or in SQL). GeoJSON follows RFC 7946; coordinates are CGCS2000 longitude/latitude.
"""
import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from ..io.geojson_input import check_crs, parse_geometry
from .validation import DateParam, GeoJSONGeometryField, Number, WholeNumber

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


class Text(serializers.CharField):
    """Text: a JSON string (a number or a list is refused, not turned into text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Literal(serializers.CharField):
    """One of `values` (the schema's enum)."""

    values: tuple = ()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in self.values and not (value == "" and self.allow_blank):
            raise serializers.ValidationError(_("“%(value)s” is not one of: %(choices)s.")
                                              % {"value": value, "choices": ", ".join(self.values)}, code="invalid")
        return value


def literal(*values: str, **kwargs) -> serializers.CharField:
    """A string field that must be one of `values` ("" too when allow_blank), documented as that enum."""
    enum = list(values) + ([""] if kwargs.get("allow_blank") else [])
    field_class = extend_schema_field({"type": "string", "enum": enum})(
        type("Literal", (Literal,), {"values": tuple(values)}))
    return field_class(**kwargs)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent in a multipart/form-data body."""


def position(**kwargs) -> serializers.ListField:
    """[longitude, latitude] in degrees."""
    return serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, **kwargs)


def box(**kwargs) -> serializers.ListField:
    """[minx, miny, maxx, maxy] in longitude/latitude degrees."""
    return serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4, **kwargs)


# --- errors -------------------------------------------------------------------------------------------------------

class ErrorSerializer(serializers.Serializer):
    """Every refusal of the API (layers/refusals.py), whatever the endpoint: {"error", "field"?, "code"?, …details}.

    The members after "code" are details that some refusals add; the message alone always says what is wrong."""

    error = serializers.CharField(help_text="What is wrong, and where, in the request's language (the message names "
                                            "the input or the object, by its name).")
    field = serializers.CharField(required=False, help_text="The input at fault, when one input is.")
    code = serializers.CharField(required=False, help_text="The rule or input at fault, for programs: overlap, "
                                                           "blacklisted, mode, start_date, selection, …")
    problems = serializers.ListField(
        child=serializers.DictField(), required=False,
        help_text="A boundary or bundle that cannot be saved: each problem, with its kind or code, message and where "
                  "(location, geometry, area_id) or its numbers (params).")
    version = serializers.IntegerField(required=False, help_text="409 on a plan: the plan's current version.")
    current = serializers.DictField(required=False, help_text="409 on a management area: the area as it is now (the "
                                                              "editing Feature).")
    changed_by = serializers.CharField(required=False, allow_null=True,
                                       help_text="409 on a management area: who saved the newer version.")
    changed_at = serializers.DateTimeField(required=False, allow_null=True,
                                           help_text="409 on a management area: when.")
    report = serializers.JSONField(required=False, help_text="An import: the per-row report of the refused dry run "
                                                             "or commit.")


ERROR_MEANINGS = {
    400: "Bad input, or a rule refused it: the message names the parameter, field or rule.",
    401: "Not logged in: send a session cookie or `Authorization: Token <key>`.",
    403: "Not logged in (session first), CSRF token missing, or the role may not do this.",
    404: "No such object, or it is outside what the user may see.",
    409: "Conflict: someone else changed it meanwhile, or it clashes with what is stored.",
    413: "Too large: the body, the file or the export is over the limit the message names.",
}


def errors(*codes: int, described: dict[int, str] | None = None) -> dict:
    """The one error body (ErrorSerializer) for each of `codes`; `described` says what a status means at one
    endpoint where the general meaning is not enough."""
    meaning = {**ERROR_MEANINGS, **(described or {})}
    return {code: OpenApiResponse(ErrorSerializer, description=meaning[code]) for code in codes}


LOG_IN_REDIRECT = {302: OpenApiResponse(description="Anonymous: redirect to the log-in page (`/accounts/login/`).")}


# --- GeoJSON ------------------------------------------------------------------------------------------------------

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection")


CRS_HELP = ('Editing responses name the stored CRS: {"type": "name", "properties": {"name": "EPSG:4490"}} '
            "(CGCS2000; numerically WGS 84 to centimetres). Requests need none.")


class GeometrySerializer(serializers.Serializer):
    """A GeoJSON geometry (RFC 7946 §3.1); positions are [longitude, latitude] in CGCS2000 degrees."""

    type = literal(*GEOMETRY_TYPES)
    coordinates = serializers.ListField(child=serializers.JSONField(), help_text="Nested arrays of positions.")
    crs = serializers.DictField(required=False, help_text=CRS_HELP)


class PolygonSerializer(serializers.Serializer):
    """A GeoJSON Polygon or MultiPolygon: rings of [longitude, latitude], closed (last position = first)."""

    type = literal("Polygon", "MultiPolygon")
    coordinates = serializers.ListField(child=serializers.JSONField())
    crs = serializers.DictField(required=False, help_text=CRS_HELP)


class LineStringSerializer(serializers.Serializer):
    """A GeoJSON LineString of at least two [longitude, latitude] positions."""

    type = literal("LineString")
    coordinates = serializers.ListField(child=position(), min_length=2)


@extend_schema_field(GeometrySerializer)
class GeometryField(GeoJSONGeometryField):
    """Any GeoJSON geometry, read strictly (the services refuse a type they cannot use, by name)."""


@extend_schema_field(PolygonSerializer)
class PolygonField(GeoJSONGeometryField):
    """A boundary: documented as a Polygon or MultiPolygon; read strictly, any type (the services refuse the others
    by name, as a problem of kind wrong_type)."""


@extend_schema_field(LineStringSerializer)
class LineField(GeoJSONGeometryField):
    """A cut line: a LineString, or a Feature holding one."""

    def validate_empty_values(self, data):
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        line = parse_geometry(data, self.field_name)
        if line is None or line.geom_type != "LineString" or line.is_empty:
            raise serializers.ValidationError(_("\"line\" must be a GeoJSON LineString with at least two points."),
                                              code="invalid")
        return line


class AdminAreaPropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = literal("city", "district", "street", "community")
    label_point = position(help_text="A point inside the area, for its label.")


class AdminAreaFeatureSerializer(serializers.Serializer):
    type = literal("Feature")
    id = serializers.IntegerField()
    geometry = PolygonSerializer(help_text="MultiPolygon simplified for the zoom (half a pixel).")
    properties = AdminAreaPropertiesSerializer()


class AdminAreaCollectionSerializer(serializers.Serializer):
    type = literal("FeatureCollection")
    features = AdminAreaFeatureSerializer(many=True)


class EstateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ManagementAreaPropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    street_id = serializers.IntegerField(allow_null=True)
    street = serializers.CharField(allow_null=True)
    district_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Send it back with the next change (optimistic locking).")
    updated_at = serializers.DateTimeField()
    estates = EstateRefSerializer(many=True, help_text="Estates assigned to the area.")


class AreaWarningSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="e.g. `estates_cut`: the boundary cuts through estates.")
    message = serializers.CharField()
    estates = serializers.ListField(child=serializers.JSONField(), required=False)


class ManagementAreaFeatureSerializer(serializers.Serializer):
    type = literal("Feature")
    id = serializers.IntegerField()
    geometry = PolygonSerializer()
    properties = ManagementAreaPropertiesSerializer()
    warnings = AreaWarningSerializer(many=True, required=False, help_text="After a save: what to look at.")


class ManagementAreaCollectionSerializer(serializers.Serializer):
    type = literal("FeatureCollection")
    truncated = serializers.BooleanField(help_text="True when more than 500 areas meet the bbox (the first 500 by "
                                                   "code are returned).")
    features = ManagementAreaFeatureSerializer(many=True)


class GeometryProblemSerializer(serializers.Serializer):
    kind = literal("invalid", "overlap", "outside_district", "empty", "wrong_type", "other_area_estate")
    message = serializers.CharField()
    location = position(allow_null=True, help_text="Where to look, or null.")
    geometry = GeometrySerializer(allow_null=True, help_text="The offending part (e.g. the overlap), or null.")
    area_id = serializers.IntegerField(allow_null=True, help_text="The other area involved, or null.")


# --- management-area requests -------------------------------------------------------------------------------------

class AreaWritePropertiesSerializer(serializers.Serializer):
    name = Text(max_length=100, required=False, allow_blank=True, allow_null=True)
    code = Text(max_length=32, required=False, allow_blank=True, allow_null=True, help_text="Generated when absent.")
    street_id = WholeNumber(required=False, allow_null=True, min_value=0)
    reason = Text(required=False, allow_blank=True, allow_null=True, help_text="Why (kept in the history).")
    version = WholeNumber(required=False, min_value=0, help_text="PUT: the version you edited (required).")


class FeatureBody(serializers.Serializer):
    """A GeoJSON Feature body; a `crs` member on the Feature must name longitude/latitude, like the geometry's."""

    def validate(self, attrs):
        check_crs(self.initial_data, "the feature")
        return attrs


class AreaWriteSerializer(FeatureBody):
    """A GeoJSON Feature with the new boundary."""

    type = literal("Feature")
    geometry = PolygonField()
    properties = AreaWritePropertiesSerializer(required=False, allow_null=True)


class AreaCheckPropertiesSerializer(serializers.Serializer):
    id = WholeNumber(required=False, allow_null=True, min_value=0,
                     help_text="The area being redrawn (left out of the checks).")
    tolerance = Number(required=False, allow_null=True,
                            help_text="Clip: snapping tolerance in metres (default 1).")


class AreaCheckSerializer(FeatureBody):
    type = literal("Feature")
    geometry = PolygonField()
    properties = AreaCheckPropertiesSerializer(required=False, allow_null=True)


class ValidationResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    problems = GeometryProblemSerializer(many=True)
    warnings = AreaWarningSerializer(many=True)


class ClippedFeatureSerializer(serializers.Serializer):
    type = literal("Feature")
    id = serializers.IntegerField(allow_null=True)
    geometry = GeometrySerializer()
    properties = serializers.DictField(help_text="The properties sent, unchanged.")


class AreaSplitSerializer(serializers.Serializer):
    version = WholeNumber(min_value=0)
    line = LineField(help_text="The cut line (a LineString, or a Feature holding one).")
    name = Text(required=False, allow_blank=True, allow_null=True, max_length=100, help_text="Name of the new part.")
    reason = Text(required=False, allow_blank=True, allow_null=True)
    tolerance = Number(required=False, allow_null=True, help_text="Metres (default 1).")


class AreaSplitResultSerializer(serializers.Serializer):
    features = ManagementAreaFeatureSerializer(many=True, help_text="[the kept part, the new part]")
    warnings = AreaWarningSerializer(many=True)


class AreaMergeSerializer(serializers.Serializer):
    ids = serializers.ListField(child=WholeNumber(min_value=0), min_length=2, max_length=2,
                                help_text="[kept, removed]")
    versions = serializers.DictField(child=WholeNumber(min_value=0), help_text="Area id → the version you edited.")
    reason = Text(required=False, allow_blank=True, allow_null=True)
    tolerance = Number(required=False, allow_null=True, help_text="Metres of gap to fill (default 0).")


class AreaMergePreviewSerializer(serializers.Serializer):
    ids = serializers.ListField(child=WholeNumber(min_value=0), min_length=2, max_length=2,
                                help_text="[kept, removed]")
    tolerance = Number(required=False, allow_null=True,
                       help_text="Metres of gap to fill (default: 1.5 × the gap + 1 m, at most the limit).")


class AreaMergePreviewResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    gap_m = serializers.FloatField(help_text="How far apart the two areas are (0 when they share an edge).")
    max_gap_m = serializers.FloatField(help_text="The widest gap a merge may fill (setting).")
    tolerance = serializers.FloatField(help_text="The reach of the filled gap: send it with the merge.")
    bridge = GeometrySerializer(allow_null=True, help_text="The filled gap, or null when nothing is filled.")
    bridge_area_m2 = serializers.FloatField()
    merged = GeometrySerializer(help_text="The boundary the kept area would get.")
    problems = GeometryProblemSerializer(many=True)
    warnings = AreaWarningSerializer(many=True)


class AreaRestoreSerializer(serializers.Serializer):
    version = WholeNumber(min_value=0, help_text="The history version to bring back.")
    base_version = WholeNumber(min_value=0, help_text="The current version you saw.")
    reason = Text(required=False, allow_blank=True, allow_null=True)


class AreaRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    removed = serializers.BooleanField(help_text="The area no longer exists (its history still does).")

class AreaRebaseSerializer(serializers.Serializer):
    base_version = WholeNumber(min_value=0, help_text="The version your edit started from.")
    geometry = PolygonField(polygonal=True, help_text="Your edited boundary.")
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=["mine", "theirs"]), required=False,
        help_text="Place key (from \"places\") → \"mine\" or \"theirs\"; a place not chosen keeps theirs.")


class RebasePlaceSerializer(serializers.Serializer):
    key = serializers.CharField()
    location = serializers.ListField(child=serializers.FloatField(), help_text="[lon, lat]")
    mine = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()),
                                 help_text="The corners your edit left there.")
    theirs = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()),
                                   help_text="The corners their edit left there.")
    choice = serializers.CharField(allow_null=True)


class RebaseOverwriteSerializer(serializers.Serializer):
    corners = serializers.IntegerField(help_text="Corners of their change that saving yours unchanged would undo.")
    area_m2 = serializers.FloatField(help_text="Area (m²) of their change that saving yours unchanged would undo.")


class AreaRebaseResultSerializer(serializers.Serializer):
    geometry = GeometrySerializer(help_text="Your change applied onto the current boundary (not saved).")
    current = ManagementAreaFeatureSerializer(help_text="The area as it is now: save the result with its version.")
    base_version = serializers.IntegerField()
    places = RebasePlaceSerializer(many=True, help_text="Corners both edits changed: choose mine or theirs.")
    unresolved = serializers.ListField(child=serializers.CharField(), help_text="Keys of places not chosen yet.")
    mine_changed = serializers.BooleanField()
    overwrite = RebaseOverwriteSerializer()


class AreaVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    user = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField()
    geometry = GeometrySerializer(allow_null=True, help_text="The boundary after the change (null once deleted).")
    attributes = serializers.DictField(allow_null=True, help_text="Name, code, street after the change.")
    merged_with = AreaRefSerializer(allow_null=True, help_text="A merge: the other area (kept or removed).")


class AreaRemovedSerializer(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField()
    changed_at = serializers.DateTimeField()
    name = serializers.CharField()
    code = serializers.CharField()
    merged_into = AreaRefSerializer(allow_null=True, help_text="The area it was merged into, if any.")


class AreaHistorySerializer(serializers.Serializer):
    versions = AreaVersionSerializer(many=True, help_text="Newest first.")
    removed = AreaRemovedSerializer(allow_null=True, help_text="How a removed area ended; null while it exists.")


# --- map ----------------------------------------------------------------------------------------------------------

class SearchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    community = serializers.CharField(allow_null=True)
    status = literal("enterprise", "caretaker", "self_governed", "none")
    bbox = box()
    centroid = position()


class SearchResultsSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)


class EstateComplaintSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(allow_null=True, help_text="The hotline's work-order number; null for visits.")
    received = serializers.DateField()
    category = serializers.CharField(allow_blank=True)
    status = serializers.CharField(help_text="In the request's language.")
    overdue = serializers.BooleanField()
    url = serializers.CharField(help_text="The case page.")


class EstateComplaintsSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="Received this calendar year.")
    open = serializers.IntegerField()
    last = EstateComplaintSerializer(many=True, help_text="The last few, newest first.")


class PopupSerializer(serializers.Serializer):
    kind = literal("estate", "building", "management_area", "enterprise")
    id = serializers.IntegerField()
    title = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text="[label, value] pairs, labels in the request's language.")
    detail_url = serializers.CharField()
    bbox = box(required=False)
    point = position(required=False, help_text="A point on the object, for the popup.")
    can_report = serializers.BooleanField(required=False, help_text="Buildings: whether the user may report it "
                                                                    "abandoned (role, and a street office's street).")
    complaints = EstateComplaintsSerializer(required=False, help_text="Estates: its complaints the user may view "
                                                                      "(absent for a role that may view none).")


# --- coverage -----------------------------------------------------------------------------------------------------

class ByMeasureSerializer(serializers.Serializer):
    estates = serializers.IntegerField()
    households = serializers.IntegerField()
    floor_area = serializers.FloatField(help_text="m²")


class RateSerializer(serializers.Serializer):
    estates = serializers.FloatField(allow_null=True, help_text="0..1; null when there is no old estate.")
    households = serializers.FloatField(allow_null=True)
    floor_area = serializers.FloatField(allow_null=True)


class ByStatusSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    caretaker = serializers.IntegerField()
    self_governed = serializers.IntegerField()
    none = serializers.IntegerField()


class AbandonedCountsSerializer(serializers.Serializer):
    reported = serializers.IntegerField()
    verified = serializers.IntegerField()
    under_caretaker = serializers.IntegerField()
    resolved = serializers.IntegerField()


class RenovationCountsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    completed = serializers.IntegerField()


class AreaComplaintsSerializer(serializers.Serializer):
    complaints = serializers.IntegerField()
    per_1000_households = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()


class AreaInspectionsSerializer(serializers.Serializer):
    estates = serializers.IntegerField()
    inspections = serializers.IntegerField()
    estates_inspected = serializers.IntegerField()
    inspected_share = serializers.FloatField(allow_null=True)
    average_pct = serializers.FloatField(allow_null=True)


class AssessmentRanksSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    coverage_rank = serializers.IntegerField()
    complaint_rank = serializers.IntegerField()
    inspection_rank = serializers.IntegerField()


class CoverageRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    level = literal("city", "district", "street", "community")
    old_estates = serializers.IntegerField()
    old_households = serializers.IntegerField()
    old_floor_area = serializers.FloatField()
    enterprise = ByMeasureSerializer(help_text="Old estates served by a property enterprise (socialised).")
    served = ByMeasureSerializer(help_text="Old estates under any service.")
    by_status = ByStatusSerializer(help_text="Old estates by service status.")
    socialised_rate = RateSerializer()
    service_rate = RateSerializer()
    owners_committee_rate = serializers.FloatField(allow_null=True)
    abandoned = AbandonedCountsSerializer(help_text="Buildings by the report state on the date.")
    renovation = RenovationCountsSerializer(help_text="Renovation projects by status.")
    complaints = AreaComplaintsSerializer(
        required=False, allow_null=True,
        help_text="Complaints received in the year up to the date (DOMAIN.md \"Supervision\"), the area's whole "
                  "figures; null for the total.")
    inspections = AreaInspectionsSerializer(
        required=False, allow_null=True,
        help_text="Daily inspections made in the year up to the date, the area's whole figures; null for the total.")
    assessment = AssessmentRanksSerializer(
        required=False, allow_null=True,
        help_text="The annual assessment's ranks among the rows (coverage, complaints, inspections; overall by the "
                  "mean of the three); null for the total and the city level.")


class CoverageFiguresSerializer(serializers.Serializer):
    date = serializers.DateField()
    level = literal("city", "district", "street", "community")
    total = CoverageRowSerializer(help_text="The district (or the parent area when `parent` is given).")
    rows = CoverageRowSerializer(many=True, help_text="One per area of the level, by code.")


class TrendPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    socialised_rate = serializers.FloatField(allow_null=True)
    service_rate = serializers.FloatField(allow_null=True)


class CoverageTrendSerializer(serializers.Serializer):
    area = serializers.IntegerField(allow_null=True, help_text="The area asked for; null: the whole district.")
    to = serializers.DateField()
    points = TrendPointSerializer(many=True, help_text="One per month, at most 240.")

    def get_fields(self):  # "from" is a Python keyword
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class UncoveredHouseholdsSerializer(serializers.Serializer):
    date = serializers.DateField()
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3),
        help_text="[latitude, longitude, households], largest first, at most 20,000.")


# --- abandoned buildings ------------------------------------------------------------------------------------------

REPORT_STATES = ("reported", "verified", "under_caretaker", "resolved", "rejected")
REPORT_REASONS = ("enterprise_left", "contract_expired", "developer_left", "unit_dissolved", "fees_unpaid", "other")


class ReportEventSerializer(serializers.Serializer):
    to = literal(*REPORT_STATES)
    to_label = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    user = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = literal(*REPORT_STATES, allow_blank=True)
        return fields


class ReportPhotoSerializer(serializers.Serializer):
    url = serializers.CharField()
    taken_at = serializers.DateTimeField(allow_null=True, help_text="When it was taken (phone or camera EXIF).")
    point = position(allow_null=True, help_text="Where it was taken, [lon, lat] WGS 84.")


class AbandonmentReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    building_id = serializers.IntegerField()
    building = serializers.CharField()
    estate = serializers.CharField()
    estate_id = serializers.IntegerField()
    street = serializers.CharField()
    street_id = serializers.IntegerField()
    state = literal(*REPORT_STATES)
    state_label = serializers.CharField()
    reason = literal(*REPORT_REASONS)
    reason_label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    abandoned_since = serializers.DateField()
    reported_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    point = position(allow_null=True)
    photos = serializers.ListField(child=serializers.CharField(), help_text="URLs of the photos.")
    photo_details = ReportPhotoSerializer(many=True)
    accuracy_m = serializers.FloatField(allow_null=True, help_text="Accuracy of the reporter's position, metres.")
    distance_m = serializers.FloatField(allow_null=True, help_text="Reporter's distance to the building, metres.")
    events = ReportEventSerializer(many=True)
    transitions = serializers.ListField(child=literal(*REPORT_STATES),
                                        help_text="The states this user may move the report to.")


class AbandonmentReportPageSerializer(serializers.Serializer):
    reports = AbandonmentReportSerializer(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class AbandonmentReportCreateSerializer(serializers.Serializer):
    abandoned_since = DateParam(help_text="YYYY-MM-DD")
    reason = literal(*REPORT_REASONS)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    photos = serializers.ListField(child=UploadField(allow_empty_file=True), required=False,
                                   help_text="JPEG or PNG photos (repeat the field); each is checked by the service.")
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180,
                                 help_text="Reporter's longitude (WGS84), from the phone's geolocation.")
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90, help_text="Reporter's latitude (WGS84).")
    accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=100000,
                                        help_text="Accuracy of that position, metres.")
    photo_meta = serializers.JSONField(required=False, binary=True, help_text=(
        'JSON list, one entry per photo in order: {"taken_at": ISO date-time, "lon": …, "lat": …} (nulls allowed).'))


class AbandonmentTransitionSerializer(serializers.Serializer):
    to = literal(*REPORT_STATES)
    note = Text(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)


# --- tokens -------------------------------------------------------------------------------------------------------

class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


# --- parameters ---------------------------------------------------------------------------------------------------

def query(name: str, type_=str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, **kwargs)


# --- the tile endpoint (a plain Django view, documented here only) ------------------------------------------------

class TileSchema(APIView):
    """Never routed: stands for layers.tiles.views.tile in the schema (that view stays a plain, fast Django view)."""

    @extend_schema(
        operation_id="tile",
        tags=["tiles"],
        summary="A vector tile of one layer",
        description=(
            "Mapbox Vector Tile of `layer` at z/x/y (Web-Mercator pyramid), built by PostGIS (ST_AsMVT) from what the "
            "user may see. Empty (0 bytes) below the layer's minimum zoom or when nothing is there. "
            "`Cache-Control: private, max-age=60`. Session authentication only (the map's cookie)."
        ),
        parameters=[
            OpenApiParameter("layer", str, OpenApiParameter.PATH,
                             description="A tile layer of the catalogue (layers/catalogue.py), e.g. estates, buildings, "
                                         "management_areas, roads, jurisdictions, renovations, coverage_hex."),
            OpenApiParameter("z", int, OpenApiParameter.PATH, description="Zoom 0–22."),
            OpenApiParameter("x", int, OpenApiParameter.PATH, description="Column 0…2^z−1."),
            OpenApiParameter("y", int, OpenApiParameter.PATH, description="Row 0…2^z−1."),
            OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.QUERY,
                             description="Dated layers (estates, coverage_hex): the state on this date; "
                                         "default today."),
        ],
        responses={
            (200, MVT): OpenApiResponse(OpenApiTypes.BINARY, description="The tile (possibly empty)."),
            **errors(400, 404, described={400: "z/x/y out of range, or a bad date.", 404: "Unknown layer."}),
            **LOG_IN_REDIRECT,
        },
        auth=[{"cookieAuth": []}],
    )
    def get(self, request, *args, **kwargs):  # pragma: no cover - never routed
        raise NotImplementedError


def _routes(patterns, prefix: str = ""):
    """(route, URL name) of every URL pattern, routes joined as Django writes them ("tiles/<str:layer>/…")."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def add_plain_views(endpoints):
    """drf-spectacular preprocessing hook: add the tile endpoint (a plain Django view) with TileSchema's schema.

    Skipped if the tile view has become a DRF view (then it is found, and described, like the others)."""
    for route, name in _routes(get_resolver().url_patterns):
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if name == "tile" and not any(p == path and method == "GET" for p, _regex, method, _view in endpoints):
            endpoints.append((path, "^" + route, "GET", TileSchema.as_view()))
    return endpoints
