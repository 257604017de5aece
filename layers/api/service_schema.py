"""What /api/schema/ says about the service endpoints (docs/SERVICE_API.md): request and response shapes.

The request and query serializers are the views' validators (layers/api/validation.py); the response serializers
only describe the JSON the views build in selectors or SQL.
"""
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..io.geojson_input import MAX_SELECTION_POINTS, parse_geometry
from ..models import ContractMode, ProviderKind
from ..models.geo import SRID
from ..refusals import Invalid
from ..selectors.worklists import MAX_PER_PAGE, PER_PAGE
from .openapi import GeometrySerializer, Text, WholeNumber, errors, literal
from .validation import DateParam, GeoJSONGeometryField


SERVICE_ERRORS = {
    400: "Bad input, or a rule refused it (black-listed enterprise, provider/mode mismatch, dates…); `code` names it.",
    404: "No such object, or outside the user's street.",
    409: "The estate is already served in that period (`code` overlap); `replace` ends the current contract instead.",
}


def service_errors(*codes: int) -> dict:
    """The one error body (openapi.errors) with what each status means for the service endpoints."""
    return errors(*codes, described=SERVICE_ERRORS)


def parse_selection(value) -> MultiPolygon:
    """A drawn box or lasso: a GeoJSON Polygon/MultiPolygon (or a Feature of one) in lon/lat, made valid.

    Read by the API's one strict parser (layers/io/geojson_input.py); a lasso that crosses itself is a gesture, not an
    error, so it is repaired rather than refused.
    """
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    try:
        parsed = parse_geometry(value, "selection")
    except Invalid as exc:  # BadInput or GeometryProblem: the same message, naming the selection
        raise Invalid(exc.message, field="selection", code="selection") from None
    if parsed is None or parsed.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid(_("selection must be a GeoJSON Polygon or MultiPolygon (the box or lasso drawn on the map), "
                        "not a %(type)s.") % {"type": parsed.geom_type if parsed is not None else "null"},
                      field="selection", code="selection")
    points = len(shapely.get_coordinates(parsed))
    if points > MAX_SELECTION_POINTS:
        raise Invalid(_("The selection has %(n)d points; at most %(max)d are accepted.")
                      % {"n": points, "max": MAX_SELECTION_POINTS}, field="selection", code="selection")
    geom = GEOSGeometry(memoryview(shapely.to_wkb(parsed)), srid=SRID)  # CGCS2000 ≈ WGS84 (docs/MAP_API.md)
    if not geom.valid:
        geom = geom.make_valid()  # a lasso crossing itself
    polygons = [g for g in (geom if geom.geom_type in ("MultiPolygon", "GeometryCollection") else [geom])
                if isinstance(g, Polygon) and g.area > 0]
    if not polygons:
        raise Invalid(_("The selection encloses no area."), field="selection", code="selection")
    return MultiPolygon(*polygons, srid=SRID)


@extend_schema_field(GeometrySerializer)
class SelectionField(GeoJSONGeometryField):
    """A drawn box or lasso, read by parse_selection."""

    def validate_empty_values(self, data):
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        return parse_selection(data)


class AssignRequestSerializer(serializers.Serializer):
    estate_ids = serializers.ListField(child=WholeNumber(), required=False,
                                       help_text="The estates to assign; or give `selection`.")
    selection = SelectionField(required=False, help_text="A drawn box or lasso (GeoJSON Polygon or MultiPolygon, "
                                                         "or a Feature of one): the estates whose point on "
                                                         "surface lies inside.")
    include_served = serializers.BooleanField(required=False, default=False,
                                              help_text="With `selection`: also estates already served on start_date.")
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices)
    mode = serializers.ChoiceField(choices=ContractMode.choices, required=False, allow_blank=True,
                                   help_text="single/nearby/bundled for an enterprise; implied for the others.")
    enterprise_id = WholeNumber(required=False, allow_null=True)
    caretaker_agency_id = WholeNumber(required=False, allow_null=True)
    start_date = DateParam(help_text="YYYY-MM-DD")
    end_date = DateParam(required=False, allow_null=True, help_text="First day without the service.")
    note = Text(required=False, allow_blank=True, allow_null=True, max_length=200)
    replace = serializers.BooleanField(required=False, default=False,
                                       help_text="End the contract running on start_date instead of refusing.")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Check everything, write nothing.")

    def validate(self, attrs):
        if ("estate_ids" in attrs) == ("selection" in attrs):
            raise Invalid(_("Give either estate_ids or a selection polygon."), field="estate_ids", code="estate_ids")
        return attrs


class SelectionRequestSerializer(serializers.Serializer):
    estate_ids = serializers.ListField(child=WholeNumber(), required=False, max_length=5000,
                                       help_text="The estates to assign; or give `selection`.")
    selection = SelectionField(required=False, help_text="A drawn box or lasso, read as by the assignment.")
    include_served = serializers.BooleanField(required=False, default=False,
                                              help_text="With `selection`: also estates already served on start_date.")
    start_date = DateParam(required=False, help_text="YYYY-MM-DD (default today): with `selection`, the estates "
                                                     "without service on that day.")

    def validate(self, attrs):
        if ("estate_ids" in attrs) == ("selection" in attrs):
            raise Invalid(_("Give either estate_ids or a selection polygon."), field="estate_ids", code="estate_ids")
        return attrs


class EndRequestSerializer(serializers.Serializer):
    end_date = DateParam(help_text="First day without this service (the estate is uncovered from then).")
    reason = Text(max_length=200, allow_blank=True, help_text="Why the contract ends.")


class WorklistQuery(serializers.Serializer):
    street = WholeNumber(required=False, help_text="Limit to one street (street offices: always their own).")
    date = DateParam(required=False, help_text="State on this date (default today).")
    page = WholeNumber(required=False)
    per_page = WholeNumber(required=False, help_text=f"Default {PER_PAGE}, max {MAX_PER_PAGE}.")
    features = serializers.BooleanField(required=False, default=True,
                                        help_text="0: no map data (the page's outlines, the whole list's ids, names "
                                                  "and extent; default 1).")


class CandidatesQuery(serializers.Serializer):
    limit = WholeNumber(required=False, help_text="Default 10, at most 30.")
    date = DateParam(required=False, help_text="The service status on this date (default today).")


class ContractSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estate_id = serializers.IntegerField()
    estate_name = serializers.CharField()
    estate_code = serializers.CharField()
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices)
    provider_kind_label = serializers.CharField()
    provider = serializers.CharField(help_text="The enterprise's or agency's name, or the provider kind.")
    enterprise_id = serializers.IntegerField(allow_null=True)
    caretaker_agency_id = serializers.IntegerField(allow_null=True)
    mode = serializers.ChoiceField(choices=ContractMode.choices)
    mode_label = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True, help_text="First day without the service; null: open-ended.")
    note = serializers.CharField(allow_blank=True)
    bundle_id = serializers.IntegerField(allow_null=True)
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)


class EstateBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    households = serializers.IntegerField()


class AssignResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    households = serializers.IntegerField()
    estate_ids = serializers.ListField(child=serializers.IntegerField())
    dry_run = serializers.BooleanField()
    contracts = ContractSerializer(many=True, required=False, help_text="The contracts written (not in a dry run).")
    estates = EstateBriefSerializer(many=True, required=False, help_text="Dry run: the estates that would be assigned.")


class StreetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SelectionStreetSerializer(StreetRefSerializer):
    count = serializers.IntegerField(help_text="Selected estates in this street.")
    households = serializers.IntegerField()


class SelectionResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    households = serializers.IntegerField()
    estate_ids = serializers.ListField(child=serializers.IntegerField())
    streets = SelectionStreetSerializer(many=True, help_text="The streets the estates lie in, largest share first.")
    agency_ids = serializers.ListField(child=serializers.IntegerField(),
                                       help_text="The caretaker agencies that may serve all of these estates.")


class WorklistRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    households = serializers.IntegerField()
    floor_area = serializers.FloatField()
    build_year = serializers.IntegerField()
    street_id = serializers.IntegerField()
    street_name = serializers.CharField()
    community_name = serializers.CharField()
    status = literal("none", "self_governed", "caretaker", "enterprise")
    detail = serializers.CharField(allow_null=True, help_text="Completed renovation projects, or abandoned buildings.")
    buildings = serializers.IntegerField(help_text="Abandoned buildings without a caretaker (list `abandoned`).")


class WorklistFeaturePropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    households = serializers.IntegerField()
    status = serializers.CharField()


class WorklistFeatureSerializer(serializers.Serializer):
    type = literal("Feature")
    id = serializers.IntegerField()
    geometry = GeometrySerializer()
    properties = WorklistFeaturePropertiesSerializer()


class WorklistCollectionSerializer(serializers.Serializer):
    type = literal("FeatureCollection")
    features = WorklistFeatureSerializer(many=True)


class WorklistCountsSerializer(serializers.Serializer):
    uncovered = serializers.IntegerField()
    renovated = serializers.IntegerField()
    abandoned = serializers.IntegerField()


class WorklistSerializer(serializers.Serializer):
    name = literal("uncovered", "renovated", "abandoned")
    title = serializers.CharField()
    date = serializers.DateField()
    street = StreetRefSerializer(allow_null=True)
    count = serializers.IntegerField()
    households = serializers.IntegerField()
    buildings = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    per_page = serializers.IntegerField()
    rows = WorklistRowSerializer(many=True)
    features = WorklistCollectionSerializer(help_text="The page's estates (its rows, in order), simplified, for the "
                                                      "map; empty with features=0.")
    ids = serializers.ListField(child=serializers.IntegerField(),
                                help_text="The whole list's estates in its order (up to 20,000; empty with features=0): "
                                          "the map draws those not on the page from the estate vector tiles.")
    names = serializers.ListField(child=serializers.CharField(),
                                  help_text="Their names, in the same order (the map's tooltips).")
    bbox = serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4, allow_null=True,
                                 help_text="[west, south, east, north] of the whole list; null when empty or features=0.")
    ids_truncated = serializers.BooleanField()
    counts = WorklistCountsSerializer(help_text="Estates on each worklist (same street and date).")


class CandidateEstateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    households = serializers.IntegerField()
    geometry = GeometrySerializer()


class CandidatePropertiesSerializer(serializers.Serializer):
    enterprise_id = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    distance_m = serializers.FloatField(help_text="From the estate to the enterprise's territory, in metres.")
    grade = serializers.CharField()
    households_served = serializers.IntegerField()
    list_status = literal("red", "normal")


class CandidateFeatureSerializer(serializers.Serializer):
    type = literal("Feature")
    id = serializers.IntegerField()
    geometry = GeometrySerializer(allow_null=True, help_text="The enterprise's current territory.")
    properties = CandidatePropertiesSerializer()


class CandidateWeightsSerializer(serializers.Serializer):
    distance = serializers.FloatField()
    credit = serializers.FloatField()
    capacity = serializers.FloatField()


class CandidatesSerializer(serializers.Serializer):
    type = literal("FeatureCollection")
    estate = CandidateEstateSerializer()
    max_distance_m = serializers.FloatField()
    weights = CandidateWeightsSerializer()
    features = CandidateFeatureSerializer(many=True)


class HistoryEstateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    status = literal("none", "self_governed", "caretaker", "enterprise")


class RegisterChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = literal("contract_create", "contract_end", "create", "update", "evaluation", "listing")
    action_label = serializers.CharField()
    contract_id = serializers.IntegerField(allow_null=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    user = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class HistorySerializer(serializers.Serializer):
    estate = HistoryEstateSerializer()
    contracts = ContractSerializer(many=True)
    changes = RegisterChangeSerializer(many=True)
