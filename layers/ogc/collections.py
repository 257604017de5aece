"""The OGC API – Features documents: landing page, conformance, collections (one per feature layer) and the API definition.

The collections are the feature layers of layers.io.feature_layers (the same list export offers), so a layer
registered there is served here too.
"""
from __future__ import annotations

from ..catalogue import feature_layers
from ..io.feature_layers import BOOL, DATE, DATETIME, FLOAT, INT, FeatureLayer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict:
    item = {"href": href, "rel": rel, "type": type_}
    if title:
        item["title"] = title
    return item


def landing_page(base: str) -> dict:
    return {
        "title": "老旧小区物业管理 OGC API – Features",
        "description": "Old-estate property-management layers (CGCS2000 served as CRS84). See docs/OGC_API.md.",
        "links": [
            link(f"{base}/", "self", title="This document"),
            link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", title="Conformance classes"),
            link(f"{base}/collections", "data", title="The feature collections"),
        ],
    }


def collection(base: str, layer: FeatureLayer, bbox: list[float] | None) -> dict:
    url = f"{base}/collections/{layer.name}"
    doc = {
        "id": layer.name,
        "title": str(layer.title),
        "description": str(layer.description),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(url, "self", title=str(layer.title)),
            link(f"{url}/items", "items", GEOJSON, f"{layer.title} (GeoJSON)"),
        ],
    }
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return doc


def collections(base: str, extents: dict[str, list[float] | None]) -> dict:
    return {
        "links": [link(f"{base}/collections", "self", title="The feature collections")],
        "collections": [collection(base, layer, extents.get(name)) for name, layer in feature_layers().items()],
    }


SCHEMA_OF_TYPE = {INT: {"type": "integer"}, FLOAT: {"type": "number"}, BOOL: {"type": "boolean"},
                  DATE: {"type": "string", "format": "date"}, DATETIME: {"type": "string"}}


def api_definition(base: str) -> dict:
    """A compact OpenAPI 3.0 document of this service: what clients (GDAL, QGIS) read to learn the parameters."""
    error = {"description": "error", "content": {JSON: {"schema": {"type": "object"}}}}
    common = {
        "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        "offset": {"name": "offset", "in": "query", "required": False,
                   "schema": {"type": "integer", "minimum": 0, "default": 0}},
        "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                 "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
        "datetime": {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"}},
        "on": {"name": "on", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
               "description": "estates: the service status on this date (default today)"},
    }
    paths = {
        "/": {"get": {"summary": "Landing page", "responses": {"200": {"description": "links"}}}},
        "/conformance": {"get": {"summary": "Conformance classes", "responses": {"200": {"description": "ok"}}}},
        "/collections": {"get": {"summary": "Collections", "responses": {"200": {"description": "ok"}}}},
    }
    for name, layer in feature_layers().items():
        params = [{"$ref": f"#/components/parameters/{p}"} for p in ("limit", "offset", "bbox", "datetime", "on")]
        params += [{"name": f.name, "in": "query", "required": False, "schema": SCHEMA_OF_TYPE.get(f.type, {"type": "string"})}
                   for f in layer.queryables]
        paths[f"/collections/{name}"] = {"get": {"summary": str(layer.title), "responses": {"200": {"description": "ok"}}}}
        paths[f"/collections/{name}/items"] = {"get": {
            "summary": f"{layer.title}: features", "operationId": f"get_{name}_items", "parameters": params,
            "responses": {"200": {"description": "features", "content": {GEOJSON: {"schema": {"type": "object"}}}},
                          "400": error, "401": error},
        }}
        paths[f"/collections/{name}/items/{{featureId}}"] = {"get": {
            "summary": f"{layer.title}: one feature", "operationId": f"get_{name}_item",
            "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "feature", "content": {GEOJSON: {"schema": {"type": "object"}}}},
                          "404": error},
        }}
    return {
        "openapi": "3.0.3",
        "info": {"title": "老旧小区物业管理 OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": base}],
        "components": {
            "parameters": common,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                "token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"basic": []}, {"token": []}],
        "paths": paths,
    }
