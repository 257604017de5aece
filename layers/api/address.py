"""Hotline addresses located on estates: GET /api/address-match/?q=… (docs/ADDRESS_MATCHING.md)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..models import Estate
from ..permissions import VIEW, require
from ..selectors.address import match_address
from .openapi import errors
from .validation import validated_query

MAX_CHARS = 200


class AddressMatchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_CHARS, help_text="A hotline address as written, e.g. 解放大街100号3单元.")


class EstateOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()


class CandidateOut(EstateOut):
    score = serializers.FloatField(help_text="0–1: how well the estate fits the address.")


class BuildingOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class AddressMatchOut(serializers.Serializer):
    query = serializers.CharField()
    status = serializers.ChoiceField(choices=["matched", "to_confirm"],
                                     help_text="to_confirm: confidence below the threshold; a person picks the estate.")
    confidence = serializers.FloatField(help_text="0–1")
    estate = EstateOut(allow_null=True)
    building = BuildingOut(allow_null=True)
    candidates = CandidateOut(many=True)


@extend_schema(
    tags=["supervision"],
    summary="Locate a hotline address on an estate",
    description="The best estates (and building) of the user's jurisdiction for a free-text address, with a "
                "confidence 0–1; below ADDRESS_MATCH_THRESHOLD the status is to_confirm.",
    parameters=[AddressMatchQuery],
    responses={200: AddressMatchOut, **errors(400, 403)},
)
@api_view(["GET"])
def address_match(request):
    require(request.user, Estate, VIEW)
    query = validated_query(AddressMatchQuery, request)
    return Response(match_address(query["q"], user=request.user).as_dict())
