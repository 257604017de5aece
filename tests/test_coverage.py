"""Coverage figures, trend, exports, hex tiles and uncovered points against brute-force Python on the small demo."""
import csv
import datetime
import io
import json
import math
from collections import defaultdict

import mapbox_vector_tile
import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from layers.selectors.coverage import coverage_figures, coverage_trend
from layers.io.coverage_export import COLUMNS, table
from layers.models import AbandonmentEvent, AdminArea, Estate, RenovationProject, ServiceContract

from . import factories

pytestmark = pytest.mark.django_db

DATES = [datetime.date(2015, 1, 1), datetime.date(2019, 6, 30), datetime.date(2023, 1, 1), None]
LEVELS = ["city", "district", "street", "community"]


@pytest.fixture
def planner_client(client):
    client.force_login(User.objects.get(username="planner"))
    return client


def status_by_estate(on):
    status = {}
    for c in ServiceContract.objects.all():
        if c.start_date <= on and (c.end_date is None or c.end_date > on):
            status[c.estate_id] = {"enterprise": "enterprise", "community": "self_governed"}.get(c.provider_kind, "caretaker")
    return status


def brute_force(on, level):
    """Every count of a figures row, by area id, from Python loops over the ORM objects."""
    areas = {a.pk: a for a in AdminArea.objects.all()}

    def area_of(community_id):
        a = areas[community_id]
        while a.level != level:
            a = areas[a.parent_id]
        return a.pk

    status = status_by_estate(on)
    figures = defaultdict(lambda: defaultdict(float))
    estate_area = {}
    for e in Estate.objects.all():
        area = area_of(e.community_id)
        estate_area[e.pk] = area
        if e.build_year > settings.OLD_ESTATE_CUTOFF_YEAR:
            continue
        f = figures[area]
        s = status.get(e.pk, "none")
        f["old_estates"] += 1
        f["old_households"] += e.households
        f["old_floor_area"] += e.floor_area
        f[f"by_status.{s}"] += 1
        if s == "enterprise":
            f["enterprise.estates"] += 1
            f["enterprise.households"] += e.households
        if s != "none":
            f["served.estates"] += 1
            f["served.households"] += e.households
        if e.owners_committee == "established":
            f["oc"] += 1
    day_end = timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min))
    last = {}
    for ev in AbandonmentEvent.objects.select_related("report").order_by("created_at", "id"):
        if ev.created_at < day_end:
            last[ev.report.building_id] = ev.to_state
    from layers.models import Building
    building_estate = dict(Building.objects.values_list("id", "estate_id"))
    for building, state in last.items():
        if state != "rejected":
            figures[estate_area[building_estate[building]]][f"abandoned.{state}"] += 1
    for p in RenovationProject.objects.all():
        if p.start_year <= on.year:
            figures[estate_area[p.estate_id]][f"renovation.{p.status}"] += 1
    return figures


def flat(row):
    out = {"old_estates": row["old_estates"], "old_households": row["old_households"],
           "old_floor_area": row["old_floor_area"], "oc": None}
    for group in ("enterprise", "served"):
        out[f"{group}.estates"] = row[group]["estates"]
        out[f"{group}.households"] = row[group]["households"]
    for group in ("by_status", "abandoned", "renovation"):
        for key, value in row[group].items():
            out[f"{group}.{key}"] = value
    return out


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("on", DATES)
def test_figures_equal_brute_force(level, on):
    on = on or timezone.localdate()
    result = coverage_figures(on=on, level=level)
    expected = brute_force(on, level)
    assert [r["id"] for r in result["rows"]] == list(
        AdminArea.objects.filter(level=level).order_by("code").values_list("id", flat=True))
    for row in result["rows"] + [result["total"]]:
        want = expected[row["id"]] if row is not result["total"] else None
        if want is None:  # the total: sum over every area
            want = defaultdict(float)
            for f in expected.values():
                for k, v in f.items():
                    want[k] += v
        got = flat(row)
        for key, value in got.items():
            if key == "oc":
                continue
            assert value == pytest.approx(want.get(key, 0), abs=0.05), (row["name"], key)
        old = want.get("old_estates", 0)
        if old:
            assert row["service_rate"]["estates"] == pytest.approx(want.get("served.estates", 0) / old, abs=1e-6)
            assert row["socialised_rate"]["estates"] == pytest.approx(want.get("enterprise.estates", 0) / old, abs=1e-6)
            assert row["owners_committee_rate"] == pytest.approx(want.get("oc", 0) / old, abs=1e-6)
        else:
            assert row["service_rate"]["estates"] is None
    assert result["total"]["old_estates"] == Estate.objects.old().count()


def test_parent_limits_rows_and_total_is_the_parent():
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    on = datetime.date(2023, 1, 1)
    below = coverage_figures(on=on, level="community", parent_id=street.pk)
    assert {r["id"] for r in below["rows"]} == set(street.children.values_list("id", flat=True))
    streets = {r["id"]: r for r in coverage_figures(on=on, level="street")["rows"]}
    assert below["total"]["id"] == street.pk
    assert {k: v for k, v in below["total"].items()} == streets[street.pk]


@pytest.mark.parametrize("level", LEVELS)
def test_two_districts_figures_equal_brute_force(level):
    """DOMAIN.md "Levels": with a second district every level sums the right estates; the city row is both."""
    second = factories.second_district()
    on = datetime.date(2023, 1, 1)
    result = coverage_figures(on=on, level=level)
    expected = brute_force(on, level)
    assert [r["id"] for r in result["rows"]] == list(
        AdminArea.objects.filter(level=level).order_by("code").values_list("id", flat=True))
    for row in result["rows"]:
        for key, value in flat(row).items():
            if key != "oc":
                assert value == pytest.approx(expected[row["id"]].get(key, 0), abs=0.05), (row["name"], key)
    assert result["total"]["old_estates"] == Estate.objects.old().count()
    city = AdminArea.objects.get(level="city")
    assert (result["total"]["id"], result["total"]["name"]) == (city.pk, city.name)
    if level == "district":
        rows = {r["id"]: r for r in result["rows"]}
        assert rows[second.pk]["old_estates"] == 5
        assert rows[second.pk]["by_status"] == {"enterprise": 1, "caretaker": 1, "self_governed": 1, "none": 2}


def test_parent_at_every_level_limits_rows():
    second = factories.second_district()
    city = AdminArea.objects.get(level="city")
    on = datetime.date(2023, 1, 1)
    districts = coverage_figures(on=on, level="district", parent_id=city.pk)
    assert {r["id"] for r in districts["rows"]} == set(AdminArea.objects.filter(level="district").values_list("id", flat=True))
    assert districts["total"]["id"] == city.pk
    assert districts["total"]["old_estates"] == Estate.objects.old().count()
    below = coverage_figures(on=on, level="community", parent_id=second.pk)
    assert {r["id"] for r in below["rows"]} == set(
        AdminArea.objects.filter(level="community", parent__parent=second).values_list("id", flat=True))
    assert below["total"]["id"] == second.pk and below["total"]["old_estates"] == 5
    # communities of the whole city, by the great-grandparent
    everywhere = coverage_figures(on=on, level="community", parent_id=city.pk)
    assert len(everywhere["rows"]) == AdminArea.objects.filter(level="community").count()
    assert coverage_trend(area_id=second.pk, start=on, end=on)[0]["service_rate"] == pytest.approx(3 / 5)


def test_trend_points_equal_figures_on_their_dates():
    points = coverage_trend(area_id=None, start=datetime.date(2015, 1, 1), end=datetime.date(2016, 1, 1))
    assert [p["date"] for p in points][:2] == ["2015-01-01", "2015-02-01"]
    assert len(points) == 13
    for p in (points[0], points[-1]):
        total = coverage_figures(on=datetime.date.fromisoformat(p["date"]), level="street")["total"]
        assert p["service_rate"] == total["service_rate"]["estates"]
        assert p["socialised_rate"] == total["socialised_rate"]["estates"]


# --- endpoints ------------------------------------------------------------------------------------------------

def test_figures_endpoint_shape(planner_client):
    response = planner_client.get("/api/coverage/", {"date": "2023-01-01", "level": "community"})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["date"] == "2023-01-01" and data["level"] == "community"
    assert set(data["total"]) >= {"id", "code", "name", "level", "old_estates", "old_households", "old_floor_area",
                                  "enterprise", "served", "by_status", "socialised_rate", "service_rate",
                                  "owners_committee_rate", "abandoned", "renovation"}
    assert len(data["rows"]) == AdminArea.objects.filter(level="community").count()
    default = json.loads(planner_client.get("/api/coverage/").content)
    assert default["level"] == "street" and default["date"] == timezone.localdate().isoformat()


@pytest.mark.parametrize("params, word", [
    ({"date": "2023-13-01"}, "date"), ({"date": "yesterday"}, "date"), ({"level": "estate"}, "level"),
    ({"parent": "x"}, "parent"), ({"parent": "999999"}, "parent"),
])
def test_figures_bad_parameters_are_400(planner_client, params, word):
    for url in ("/api/coverage/", "/api/coverage/export.xlsx", "/api/coverage/export.csv"):
        response = planner_client.get(url, params)
        assert response.status_code == 400
        assert word in json.loads(response.content)["error"]


def test_parent_below_level_is_400(planner_client):
    community = AdminArea.objects.filter(level="community").first()
    response = planner_client.get("/api/coverage/", {"level": "street", "parent": community.pk})
    assert response.status_code == 400 and "parent" in json.loads(response.content)["error"]


def test_trend_endpoint(planner_client):
    street = AdminArea.objects.filter(level="street").first()
    data = json.loads(planner_client.get("/api/coverage/trend/", {"from": "2020-01-15", "to": "2021-01-14",
                                                                  "area": street.pk}).content)
    assert len(data["points"]) == 12 and set(data["points"][0]) == {"date", "socialised_rate", "service_rate"}
    for params, word in [({"from": "2020-02-30"}, "from"), ({"to": "x"}, "to"), ({"area": "abc"}, "area"),
                         ({"from": "2021-01-01", "to": "2020-01-01"}, "from"),
                         ({"from": "1990-01-01", "to": "2020-12-31"}, "240")]:
        response = planner_client.get("/api/coverage/trend/", params)
        assert response.status_code == 400 and word in json.loads(response.content)["error"], params


@pytest.mark.parametrize("url", ["/api/coverage/", "/api/coverage/trend/", "/api/coverage/export.xlsx",
                                 "/api/coverage/export.csv", "/api/coverage/uncovered-households.json"])
def test_login_required(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


# --- exports --------------------------------------------------------------------------------------------------

def expected_table(client, params):
    return table(json.loads(client.get("/api/coverage/", params).content))


def test_xlsx_matches_json(planner_client):
    params = {"date": "2019-06-30", "level": "street"}
    response = planner_client.get("/api/coverage/export.xlsx", params)
    assert response.status_code == 200
    assert 'filename="coverage-street-2019-06-30.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows[0]) == len(COLUMNS)
    expected = expected_table(planner_client, params)
    assert len(rows) - 1 == len(expected) == AdminArea.objects.filter(level="street").count() + 1
    for got, want in zip(rows[1:], expected):
        assert got == [w for w in want]


def test_csv_has_bom_and_matches_json(planner_client):
    params = {"date": "2023-01-01", "level": "community"}
    response = planner_client.get("/api/coverage/export.csv", params)
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = expected_table(planner_client, params)
    assert len(rows) - 1 == len(expected)
    for got, want in zip(rows[1:], expected):
        assert got == ["" if w is None else str(w) for w in want]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rows[1][1])  # Chinese names survive


def test_headings_are_chinese_in_zh_hans(planner_client):
    response = planner_client.get("/api/coverage/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    heading = response.content.decode("utf-8-sig").splitlines()[0]
    assert heading  # translated when the locale catalogue has the strings (see report)


# --- hex tiles and uncovered points ---------------------------------------------------------------------------

def tiles_covering(z):
    minx, miny, maxx, maxy = AdminArea.objects.get(level="district").geom.extent

    def tile(lon, lat):
        n = 1 << z
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    x0, y0 = tile(minx, maxy)
    x1, y1 = tile(maxx, miny)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


@pytest.mark.parametrize("z", [11, 13])
def test_hex_tiles_count_every_old_estate_once(planner_client, z):
    on = "2019-06-30"
    cells = {}
    for x, y in tiles_covering(z):
        response = planner_client.get(f"/tiles/coverage_hex/{z}/{x}/{y}.mvt", {"date": on})
        assert response.status_code == 200
        for feature in mapbox_vector_tile.decode(response.content).get("coverage_hex", {}).get("features", []):
            p = feature["properties"]
            assert p["old_estates"] > 0 and 0 <= p["served"] <= p["old_estates"]
            assert p["service_rate"] == pytest.approx(p["served"] / p["old_estates"], abs=1e-4)
            key = (p["hex_i"], p["hex_j"])
            assert cells.setdefault(key, p) == p  # the same cell has the same figures in every tile
    total = coverage_figures(on=datetime.date.fromisoformat(on), level="district")["total"]
    assert sum(p["old_estates"] for p in cells.values()) == total["old_estates"]
    assert sum(p["served"] for p in cells.values()) == total["served"]["estates"]
    assert sum(p["uncovered_households"] for p in cells.values()) == (
        total["old_households"] - total["served"]["households"])


def test_hex_below_min_zoom_is_empty(planner_client):
    assert planner_client.get("/tiles/coverage_hex/10/0/0.mvt").content == b""


@pytest.mark.parametrize("on", ["2015-01-01", "2023-01-01"])
def test_uncovered_points_sum_to_sql(planner_client, on):
    data = json.loads(planner_client.get("/api/coverage/uncovered-households.json", {"date": on}).content)
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*), COALESCE(sum(e.households), 0) FROM layers_estate e
                            LEFT JOIN layers_active_contracts(%s) a ON a.estate_id = e.id
                           WHERE e.build_year <= %s AND a.estate_id IS NULL""", [on, settings.OLD_ESTATE_CUTOFF_YEAR])
        count, households = cursor.fetchone()
    assert len(data["points"]) == count
    assert sum(p[2] for p in data["points"]) == households
    minx, miny, maxx, maxy = AdminArea.objects.get(level="district").geom.extent
    assert all(miny <= lat <= maxy and minx <= lon <= maxx for lat, lon, _ in data["points"])
    bad = planner_client.get("/api/coverage/uncovered-households.json", {"bbox": "1,2,3"})
    assert bad.status_code == 400 and "bbox" in json.loads(bad.content)["error"]
