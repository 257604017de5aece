"""Compressed answers (layers/compression.py): Brotli or gzip by Accept-Encoding with Vary, tiles untouched and still
cached, a secret never compressed, static files precompressed by the production storage and compressed in development.
"""
import gzip
import json

import brotli
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from layers.models import AdminArea, AdminLevel
from layers.compression import CompressionMiddleware, accepts, no_compression

from .test_tile_cache import call_lane, tile_queries
from .test_tiles import sample_tile, tile_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(client):
    client.force_login(User.objects.get(username="planner"))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(response) -> bytes:
    raw = body(response)
    coding = response.get("Content-Encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, lambda b: b)(raw)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/api/admin-areas.geojson?level=street"])
@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_pages_and_json_come_compressed_with_vary(planner, path, coding):
    plain = planner.get(path, HTTP_ACCEPT_ENCODING="identity")
    assert plain.status_code == 200
    assert not plain.has_header("Content-Encoding")
    accept = "gzip, deflate, br" if coding == "br" else "gzip, deflate"
    packed = planner.get(path, HTTP_ACCEPT_ENCODING=accept)
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == coding
    assert "accept-encoding" in vary(packed)
    raw = body(packed)
    assert len(raw) < len(plain.content) / 2
    if path.startswith("/api/"):
        assert json.loads(decoded(packed)) == json.loads(plain.content)
    else:  # a page: the same page but for the CSRF token, which is masked anew every time
        assert decoded(packed)[:200] == plain.content[:200]


def test_a_plan_map_json_is_compressed_to_a_fraction(planner):
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    created = planner.post("/api/plans/", {"name": "压缩", "start_date": "2026-01-01", "street": street.pk},
                           content_type="application/json")
    assert created.status_code == 201, created.content
    url = f"/api/plans/{created.json()['id']}/map.json"
    plain = planner.get(url, HTTP_ACCEPT_ENCODING="")
    packed = planner.get(url, HTTP_ACCEPT_ENCODING="br")
    assert plain.status_code == packed.status_code == 200
    assert packed["Content-Encoding"] == "br"
    assert len(body(packed)) < len(plain.content) / 4
    assert json.loads(decoded(packed)) == json.loads(plain.content)


def test_refused_coding_is_not_used():
    assert accepts("gzip, br", "br")
    assert accepts("br;q=0.5", "br")
    assert not accepts("gzip, br;q=0", "br")
    assert not accepts("gzip", "br")
    assert not accepts("", "br")


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_vector_tiles_come_compressed_and_still_cached(planner, settings, coding):
    """Through the Django view and the lean lane alike: compressed, weak ETag, 304 on it, compressed body cached."""
    settings.ALLOWED_HOSTS = ["testserver"]
    url = tile_url("estates", *sample_tile("estates", 15))
    plain = planner.get(url)
    assert plain.status_code == 200 and len(plain.content) > 1000
    assert not plain.has_header("Content-Encoding")
    strong = plain["ETag"]
    accept = "gzip, deflate, br" if coding == "br" else "gzip"
    packed = planner.get(url, HTTP_ACCEPT_ENCODING=accept)
    assert packed["Content-Encoding"] == coding
    assert "accept-encoding" in vary(packed)
    assert packed["ETag"] == "W/" + strong
    assert decoded(packed) == plain.content
    assert len(packed.content) < len(plain.content) * 0.7
    assert planner.get(url, HTTP_ACCEPT_ENCODING=accept, HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304
    assert planner.get(url, HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304
    # The lane: the same bytes, from the cache (no tile query), with the same headers.
    cookie = planner.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        status, headers, body = call_lane(url, cookie, HTTP_ACCEPT_ENCODING=accept)
    assert status == 200 and headers["Content-Encoding"] == coding and headers["ETag"] == "W/" + strong
    assert "Accept-Encoding" in headers["Vary"]
    assert body == packed.content
    assert tile_queries(queries) == []
    status, headers, body = call_lane(url, cookie)
    assert status == 200 and "Content-Encoding" not in headers and body == plain.content


def test_a_strong_etag_becomes_weak_when_compressed():
    def view(request):
        response = HttpResponse(json.dumps({"x": "y" * 2000}), content_type="application/json")
        response["ETag"] = '"abc"'
        return response

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="br")
    response = CompressionMiddleware(view)(request)
    assert response["Content-Encoding"] == "br"
    assert response["ETag"] == 'W/"abc"'


def test_a_view_marked_as_holding_a_secret_is_never_compressed():
    secret = json.dumps({"token": "s" * 40, "echo": "user input " * 100})

    @no_compression
    def view(request):
        return HttpResponse(secret, content_type="application/json")

    def unmarked(request):
        return HttpResponse(secret, content_type="application/json")

    factory = RequestFactory()
    for handler, compressed in ((view, False), (unmarked, True)):
        middleware = CompressionMiddleware(handler)
        request = factory.get("/", HTTP_ACCEPT_ENCODING="gzip, br")
        middleware.process_view(request, handler, (), {})
        response = middleware.process_response(request, handler(request))
        assert response.has_header("Content-Encoding") is compressed


def test_the_token_endpoint_is_marked():
    from layers.api.tokens import obtain_token

    assert obtain_token.cls.no_compression is True


def test_development_static_files_are_compressed_on_the_fly(client):
    plain = client.get("/static/layers/js/map.js", HTTP_ACCEPT_ENCODING="")
    assert plain.status_code == 200
    packed = client.get("/static/layers/js/map.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == "br"
    assert "accept-encoding" in vary(packed)
    original, sent = body(plain), body(packed)
    assert len(original) > 1000
    assert brotli.decompress(sent) == original
    assert len(sent) < len(original) / 2


def test_production_static_files_are_precompressed_and_served_so(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["drf_spectacular_sidecar", "admin"])
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed = manifest["layers/js/map.js"]
    for suffix in (".br", ".gz"):
        assert (tmp_path / (hashed + suffix)).is_file(), hashed + suffix
    with override_settings(WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False, DEBUG=False):
        from django.test import Client

        response = Client().get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "br"
        assert body(response) == (tmp_path / (hashed + ".br")).read_bytes()
