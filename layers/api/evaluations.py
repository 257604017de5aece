"""The annual evaluation's results: GET /api/evaluations/?district=&year= (docs/EVALUATIONS.md)."""
from drf_spectacular.utils import extend_schema
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..models import EnterpriseEvaluation
from ..permissions import VIEW, require
from ..refusals import NotFound
from ..selectors import evaluations as selectors
from ..services.evaluations import check_year, default_year
from .openapi import errors
from .validation import WholeNumber, validated_query


class EvaluationQuery(serializers.Serializer):
    district = WholeNumber(required=False, help_text="A district's id (city roles); district roles "
                                                                  "always get their own.")
    year = WholeNumber(required=False, help_text="A finished year; the last one by default.")


class EvaluatedEnterpriseOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ComponentScoresOut(serializers.Serializer):
    contracts = serializers.FloatField(allow_null=True)
    complaints = serializers.FloatField(allow_null=True)
    inspections = serializers.FloatField(allow_null=True)
    opinions = serializers.FloatField(allow_null=True)


class AnnualResultOut(serializers.Serializer):
    id = serializers.IntegerField()
    enterprise = EvaluatedEnterpriseOut()
    district = serializers.IntegerField()
    year = serializers.IntegerField()
    scores = ComponentScoresOut(help_text="0–100; null: no data for that component (its weight is shared by the others).")
    total = serializers.FloatField()
    grade = serializers.CharField()
    passed = serializers.BooleanField()
    key_supervision = serializers.BooleanField()
    red_list_proposed = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["draft", "confirmed"])
    inputs = serializers.DictField(help_text="The year's figures the scores come from.")
    explanation = serializers.ListField(child=serializers.CharField(), help_text="How the result was computed.")


class AnnualResultListOut(serializers.Serializer):
    district = serializers.IntegerField()
    year = serializers.IntegerField()
    results = AnnualResultOut(many=True)


@extend_schema(
    tags=["supervision"],
    summary="Annual evaluation results of a district",
    description="Each enterprise serving the district in the year: component scores, total, grade, pass, key "
                "supervision, red-list proposal, status (draft until a planner confirms) and the explanation.",
    parameters=[EvaluationQuery],
    responses={200: AnnualResultListOut, **errors(400, 403, 404)},
)
@api_view(["GET"])
def evaluation_list(request):
    require(request.user, EnterpriseEvaluation, VIEW)
    query = validated_query(EvaluationQuery, request)
    year = check_year(query.get("year") or default_year())
    district = selectors.district_for(request.user, query.get("district"))
    if district is None:
        raise NotFound(_("No such district."))
    rows = selectors.evaluations(district=district, year=year)
    return Response({"district": district.pk, "year": year, "results": [selectors.result_json(r) for r in rows]})
