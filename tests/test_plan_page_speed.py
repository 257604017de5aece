"""What makes the plan page quick: its head preloads the plan's JSON and plan.js's modules, its map asks one tile per
place for the estates and the territories ("plan" layer), and the tiles come compressed with an ETag per coding."""
import gzip
import math
import re

import brotli
import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from layers.models import AdminArea, BundleEstate, Estate
from layers.services import plans as services
from layers.views.plans import PLAN_IMPORTS

from .test_frontend_modules import JS, imports_of

pytestmark = pytest.mark.django_db


def tile_of(lon, lat, z):
    n = 1 << z
    return z, int((lon + 180.0) / 360.0 * n), int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)


@pytest.fixture
def planner():
    c = Client()
    c.force_login(User.objects.get(username="planner"))
    return c


@pytest.fixture
def plan():
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    return services.plan_create(user=User.objects.get(username="planner"), name="速度", start_date=timezone.localdate(),
                                street_id=street.pk)


@pytest.fixture
def tile(plan):
    """The address of a z14 tile holding one of the plan's bundled estates."""
    estate = Estate.objects.get(pk=BundleEstate.objects.filter(plan=plan).order_by("estate_id")[0].estate_id)
    point = estate.geom.point_on_surface
    z, x, y = tile_of(point.x, point.y, 14)
    return f"/plans/{plan.pk}/tiles/{{layer}}/{z}/{x}/{y}.mvt?v={plan.version}"


def test_the_head_preloads_the_plan_json_and_every_module_plan_js_imports(planner, plan):
    html = planner.get(f"/plans/{plan.pk}/").content.decode()
    head = html.split("</head>")[0]
    preload = re.findall(r'<link rel="preload" as="fetch" href="([^"]+)" crossorigin="anonymous">', head)
    assert preload == [f"/api/plans/{plan.pk}/?view=page", f"/api/plans/{plan.pk}/coverage/",
                       f"/api/plans/{plan.pk}/versions/", "/api/admin-areas.geojson?level=street"]
    for url in preload:
        assert planner.get(url, HTTP_ACCEPT="application/json").status_code == 200
    # the module graph, walked from plan.js, is what the head announces
    reached, todo = set(), [JS / "plan.js"]
    while todo:
        path = todo.pop().resolve()
        if path not in reached:
            reached.add(path)
            todo.extend(imports_of(path))
    assert {p.relative_to(JS.parent.parent).as_posix() for p in reached} == {"layers/js/plan.js", *PLAN_IMPORTS}
    announced = re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', head)
    assert sorted(announced) == sorted(["layers/js/plan.js", *PLAN_IMPORTS])


def test_the_plan_tile_holds_the_territories_then_the_estates(planner, tile):
    estates = planner.get(tile.format(layer="estates"))
    territories = planner.get(tile.format(layer="territories"))
    both = planner.get(tile.format(layer="plan"))
    assert both.status_code == 200
    decoded = mapbox_vector_tile.decode(both.content)
    assert list(decoded) == ["territories", "estates"]  # in this order: the territories are drawn beneath
    assert decoded["estates"]["features"] == mapbox_vector_tile.decode(estates.content)["estates"]["features"]
    assert decoded["estates"]["features"]
    assert decoded["territories"]["features"] == mapbox_vector_tile.decode(territories.content)["territories"]["features"]
    assert planner.get(tile.format(layer="nothing")).status_code == 404


@pytest.mark.parametrize("coding, decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_plan_tiles_are_compressed_with_an_etag_per_coding(planner, tile, coding, decompress):
    url = tile.format(layer="plan")
    plain = planner.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    packed = planner.get(url, HTTP_ACCEPT_ENCODING=f"{coding}, deflate")
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == coding
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)
    assert packed["ETag"] != plain["ETag"]
    # a 304 only for the representation the browser holds
    again = planner.get(url, HTTP_ACCEPT_ENCODING=coding, HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304 and again["ETag"] == packed["ETag"] and again.content == b""
    assert planner.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    other = planner.get(url, HTTP_IF_NONE_MATCH=packed["ETag"])  # no longer accepts the coding
    assert other.status_code == 200 and other.content == plain.content and "Content-Encoding" not in other
    refused = planner.get(url, HTTP_ACCEPT_ENCODING=f"{coding};q=0")
    assert "Content-Encoding" not in refused and refused.content == plain.content


def test_a_plan_tile_is_read_once_per_content_not_per_edit(planner, plan, tile):
    """The tiles hold the plan's free estates and members: an edit of its bundles keeps them (same key, same ETag,
    no tile query), a member given a contract since changes them, and a plan of the same scope shares them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layers.models import ContractMode, Enterprise, ProviderKind, ServiceContract, TakeoverPlan
    from layers.tiles.serve import tile_cache

    tile_cache.clear()
    url = tile.format(layer="plan")
    user = User.objects.get(username="planner")

    def tile_queries():
        with CaptureQueriesContext(connection) as queries:
            response = planner.get(url, HTTP_ACCEPT_ENCODING="br")
        assert response.status_code == 200
        return response, sum("ST_AsMVT" in q["sql"] for q in queries.captured_queries)

    def key():
        return planner.get(f"/api/plans/{plan.pk}/?view=page").json()["tiles_key"]

    def estates_of(response):
        features = mapbox_vector_tile.decode(brotli.decompress(response.content))["estates"]["features"]
        return {f["properties"]["id"]: f["properties"]["status"] for f in features}

    first, read = tile_queries()
    assert read == 2  # the territories and the estates
    again, read = tile_queries()
    assert read == 0 and again.content == first.content and again["ETag"] == first["ETag"]
    html = planner.get(f"/plans/{plan.pk}/").content.decode()
    assert f'data-tiles-key="{key()}"' in html

    # An edit: a bundle deleted, its estates free again. Same tiles, answered from memory, and truly the same.
    key_before, bundles = key(), list(plan.bundles.order_by("pk"))
    services.bundle_delete(user=user, plan_id=plan.pk, bundle_id=bundles[0].pk, version=plan.version)
    plan.refresh_from_db()
    kept, read = tile_queries()
    assert key() == key_before and read == 0 and kept["ETag"] == first["ETag"]
    tile_cache.clear()
    fresh, read = tile_queries()
    assert read == 2 and fresh.content == first.content

    # A plan of the same street and start date: the same tiles.
    twin = TakeoverPlan.objects.create(name="同范围", district=plan.district, street=plan.street,
                                       start_date=plan.start_date, created_by=user)
    assert planner.get(f"/api/plans/{twin.pk}/?view=page").json()["tiles_key"] == key_before

    # A member given a contract from the start date on: not free any more, but still the plan's: other tiles.
    member = BundleEstate.objects.filter(bundle=bundles[1]).order_by("estate_id").first().estate
    ServiceContract.objects.create(estate=member, provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE,
                                   enterprise=Enterprise.objects.filter(list_status="normal").order_by("pk").first(),
                                   start_date=plan.start_date)
    changed, read = tile_queries()
    assert key() != key_before and read == 2 and changed["ETag"] != first["ETag"]
    assert planner.get(f"/api/plans/{twin.pk}/?view=page").json()["tiles_key"] not in (key(), key_before)
