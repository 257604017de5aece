"""Request input read by the serializers the OpenAPI schema documents: one helper turns their first error into the
one refusal (layers/refusals.py Invalid, naming the field), so the schema and the checks cannot disagree.

The DRF messages come in the request's language (DRF's own catalogue; ours for the fields below). Fields that wrap
the project's strict readers (YYYY-MM-DD dates, GeoJSON geometry, bbox) raise those readers' messages unchanged.
"""
from __future__ import annotations

import datetime
import json
from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from ..io.geojson_input import parse_geometry, parse_polygonal
from ..params import bbox_param, date_param, number_param
from ..refusals import Invalid


# --- the one helper -----------------------------------------------------------------------------------------------

def _first_error(errors, path: list) -> tuple[list, str]:
    """(path, message) of the first error in DRF's nested errors: {field: [msg] | {…} | {index: [msg]}} or [{…}]."""
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            if value:
                return _first_error(value, path if key == api_settings.NON_FIELD_ERRORS_KEY else path + [key])
    elif isinstance(errors, list):
        if errors and all(isinstance(e, str) for e in errors):
            return path, str(errors[0])
        for index, value in enumerate(errors):
            if value:
                return _first_error(value, path + [index])
    return path, str(errors)


def _names(path: list) -> tuple[str, str]:
    """("properties.version", "properties.version") or ("estate_ids", "estate_ids[1]"): the field at fault, and
    where exactly (list positions included)."""
    field, where = "", ""
    for part in path:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            field = f"{field}.{part}" if field else str(part)
            where = f"{where}.{part}" if where else str(part)
    return field, where


def first_errors(errors) -> dict[str | None, str]:
    """Each top-level field's first message (None: the body as a whole), for a page that shows them by the field."""
    found = {}
    for key, value in errors.items():
        _path, message = _first_error(value, [])
        found[None if key == api_settings.NON_FIELD_ERRORS_KEY else key] = message
    return found


def validated(serializer_class, data, *, partial: bool = False, context: dict | None = None) -> dict:
    """`data` checked by `serializer_class` (the class the schema documents for it): its validated data, or
    Invalid naming the first field at fault. The message is the serializer's, prefixed with the field unless it
    names it already."""
    if not isinstance(data, Mapping):
        raise Invalid(_("The body must be a JSON object."), field="body", code="body")
    serializer = serializer_class(data=data, partial=partial, context=context or {})
    if serializer.is_valid():
        return dict(serializer.validated_data)
    path, message = _first_error(serializer.errors, [])
    field, where = _names(path)
    if not field:
        raise Invalid(message, field="body", code="body")
    leaf = next((str(p) for p in reversed(path) if not isinstance(p, int)), field)
    if leaf not in message:
        message = f"{where}: {message}"
    raise Invalid(message, field=field, code=field)


def body(request):
    """The request's parsed body; a body that is not JSON is refused naming "body" (DRF would say "parse error")."""
    try:
        return request.data
    except ParseError as exc:
        raise Invalid(str(exc.detail), field="body", code="body") from None


def validated_query(serializer_class, request) -> dict:
    """The query string checked by `serializer_class`; an empty parameter (?date=) counts as absent."""
    return validated(serializer_class, {k: v for k, v in request.query_params.items() if v != ""})


def validated_body(serializer_class, request, *, partial: bool = False) -> dict:
    return validated(serializer_class, body(request), partial=partial)


# --- fields wrapping the project's strict readers -----------------------------------------------------------------

def date_message(field: str, value) -> str:
    return _("%(field)s must be a date as YYYY-MM-DD, not %(value)r.") % {"field": field, "value": value}


@extend_schema_field(OpenApiTypes.DATE)
class DateParam(serializers.DateField):
    """A YYYY-MM-DD date read by layers.params.date_param, the one date parser: the other spellings
    date.fromisoformat accepts (20240101, 2024-W01-1) are refused, like impossible dates. Empty counts as absent."""

    def validate_empty_values(self, data):
        return super().validate_empty_values(empty if data == "" else data)

    def to_internal_value(self, value):
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return date_param(value.strip(), default=None)
        except ValueError:
            raise serializers.ValidationError(date_message(self.field_name, value), code="invalid") from None


class _NumberParam:
    """A number read by layers.params.number_param, the one number reader (NaN, ±Infinity and 1e309 refused alike,
    with its message naming the field); error_messages={"invalid": …} words the refusal for one field instead."""

    integer = False

    def __init__(self, **kwargs):
        self.own_message = (kwargs.get("error_messages") or {}).get("invalid")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        name = self.field_name or getattr(self.parent, "field_name", "") or "value"  # a list's item: the list's name
        try:
            return number_param(data, name, integer=self.integer, minimum=self.min_value, maximum=self.max_value)
        except Invalid as exc:
            raise serializers.ValidationError(str(self.own_message or exc.message), code="invalid") from None


class Number(_NumberParam, serializers.FloatField):
    """A finite number, as a JSON number or as text (a page's form posts "50")."""

    def to_internal_value(self, data):
        return float(super().to_internal_value(data))


class WholeNumber(_NumberParam, serializers.IntegerField):
    """A whole number (2, "2", 2.0, "1e3"; not "2.5")."""

    integer = True


class GeoJSONGeometryField(serializers.Field):
    """A GeoJSON geometry read by the strict parser (layers/io/geojson_input.py): its refusals (BadInput, or a
    GeometryProblem with its "problems") are raised as they are, with the exact message naming the position at
    fault. `polygonal`: a Polygon or MultiPolygon enclosing some area (parse_polygonal). null reaches the parser
    too (it is the services that say "empty")."""

    def __init__(self, *, polygonal: bool = False, where: str | None = None, **kwargs):
        self.polygonal, self.where = polygonal, where
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        where = self.where or self.field_name
        return parse_polygonal(data, where) if self.polygonal else parse_geometry(data, where)

    def to_representation(self, value):  # pragma: no cover - input only
        return value


class BBoxParam(serializers.CharField):
    """minx,miny,maxx,maxy in lon/lat degrees, read by layers.params.bbox_param (its messages)."""

    def to_internal_value(self, data):
        return bbox_param(super().to_internal_value(data), self.field_name)


def photo_meta_by_field(request) -> dict:
    """The phone's photo_meta of a multipart record other than a report: {"<field>#<n>": {"taken_at", "lon", "lat"}}
    for the n-th file (from 0) of each file field (m/outbox.js). Absent or malformed: {} (the photos keep what their
    EXIF says; a record is never refused for its photos' metadata)."""
    raw = request.POST.get("photo_meta") if hasattr(request, "POST") else None
    if not raw:
        return {}
    try:
        meta = json.loads(raw)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}
