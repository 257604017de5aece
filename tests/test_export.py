"""Layer export (docs/EXPORT.md): every format opened with GDAL — features, attributes (Chinese intact), CRS; filters; scope."""
import io
import subprocess
import zipfile
from urllib.parse import quote

import openpyxl
import pyogrio
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.test import Client

from layers.catalogue import feature_layers
from layers.models import AbandonmentReport, AdminArea, AdminLevel, Building, Estate, RenovationProject

pytestmark = pytest.mark.django_db

LAYERS = feature_layers()
FORMATS = ["gpkg", "shp", "geojson", "csv", "xlsx"]
EXTENSIONS = {"gpkg": "gpkg", "shp": "zip", "geojson": "geojson", "csv": "csv", "xlsx": "xlsx"}
TABLE_OF = {name: layer.model._meta.db_table for name, layer in LAYERS.items()}


def client_for(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username))
    return client


def download(client, url) -> tuple[int, bytes, object]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, response


def open_export(fmt: str, body: bytes, tmp_path):
    """(GeoDataFrame or DataFrame as GDAL reads it, its CRS or None)."""
    path = tmp_path / f"export.{EXTENSIONS[fmt]}"
    path.write_bytes(body)
    if fmt == "shp":
        folder = tmp_path / "shp"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        path = next(folder.glob("*.shp"))
    if fmt == "csv":
        frame = pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="WKT", KEEP_GEOM_COLUMNS="NO")
    elif fmt == "xlsx":
        frame = pyogrio.read_dataframe(path, layer=0, read_geometry=False)
    else:
        frame = pyogrio.read_dataframe(path)
    crs = pyogrio.read_info(path)["crs"] if fmt in ("gpkg", "shp", "geojson") else None
    return frame, crs, path


def name_column(fmt: str, name: str) -> str:
    """The column a field has in the file: Shapefile names are the short ones."""
    return LAYERS["estates"].field(name).shapefile_name if fmt == "shp" else name


def db_rows(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", list(LAYERS))
def test_every_layer_in_every_format_opens_with_gdal_with_all_features(layer, fmt, tmp_path):
    status, body, response = download(client_for("planner"), f"/api/export/{layer}.{fmt}")
    assert status == 200, body[:300]
    frame, crs, _ = open_export(fmt, body, tmp_path)
    # The demo has one district: a district planner exports all of it, but not the city record above it
    # (docs/SECURITY.md "Roles and scope").
    where = " WHERE level <> 'city'" if layer == "admin_areas" else ""
    expected = db_rows(f"SELECT count(*) FROM {TABLE_OF[layer]}{where}")[0][0]
    assert expected > 0
    assert len(frame) == expected == int(response["X-Feature-Count"])
    assert "4490" in response["Content-Crs"]
    if crs is not None:
        assert crs == "EPSG:4490"
    if fmt in ("gpkg", "geojson", "shp", "csv"):
        assert frame.geometry.notna().all() and not frame.geometry.is_empty.any()


@pytest.mark.parametrize("fmt", FORMATS)
def test_estate_attributes_and_chinese_names_survive_every_format(fmt, tmp_path):
    status, body, _ = download(client_for("planner"), f"/api/export/estates.{fmt}?on=2024-06-30")
    assert status == 200
    frame, _, _ = open_export(fmt, body, tmp_path)
    got = {int(r["id"]): (r[name_column(fmt, "name")], r[name_column(fmt, "street_name")],
                          r[name_column(fmt, "service_status")])
           for _, r in frame.iterrows()}
    expected = {
        pk: (name, street, status)
        for pk, name, street, status in db_rows(
            "SELECT e.id, e.name, s.name, layers_service_status(e.id, '2024-06-30') FROM layers_estate e "
            "JOIN layers_adminarea c ON c.id = e.community_id JOIN layers_adminarea s ON s.id = c.parent_id")
    }
    assert got == expected
    assert any("\u4e00" <= ch <= "\u9fff" for name, _, _ in got.values() for ch in name)  # Chinese is there


def test_gis_files_state_epsg_4490_to_ogrinfo(tmp_path):
    client = client_for("planner")
    for fmt in ("gpkg", "shp", "geojson"):
        _, body, _ = download(client, f"/api/export/buildings.{fmt}")
        (tmp_path / fmt).mkdir()
        _, _, path = open_export(fmt, body, tmp_path / fmt)
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True).stdout
        assert f"Feature Count: {Building.objects.count()}" in out, out[:500]
        assert 'ID["EPSG",4490]' in out or "China Geodetic Coordinate System 2000" in out, out[:1500]


def test_shapefile_zip_has_utf8_cpg_short_names_and_the_name_mapping(tmp_path):
    _, body, _ = download(client_for("planner"), "/api/export/estates.shp")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert {"estates.shp", "estates.shx", "estates.dbf", "estates.prj", "estates.cpg", "estates_fields.txt"} <= set(names)
        assert archive.read("estates.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        mapping = archive.read("estates_fields.txt").decode("utf-8")
    assert "ma_code     management_area_code" in mapping
    _, _, path = open_export("shp", body, tmp_path)
    fields = list(pyogrio.read_info(path)["fields"])
    assert all(len(field) <= 10 for field in fields)
    assert {"comm_name", "status", "ma_code", "street_nm"} <= set(fields)


def test_csv_has_a_bom_and_wkt_for_excel_and_xlsx_says_its_crs(tmp_path):
    client = client_for("planner")
    _, body, _ = download(client, "/api/export/estates.csv")
    assert body.startswith(b"\xef\xbb\xbf")
    header = body[3:].split(b"\r\n", 1)[0].decode()
    assert header.endswith(",WKT") and header.startswith("id,code,name")
    assert "MULTIPOLYGON" in body.decode("utf-8-sig")
    _, body, _ = download(client, "/api/export/estates.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    sheet = workbook["estates"]
    headings = [c.value for c in sheet[1]]
    assert headings[-3:] == ["lon", "lat", "WKT"]
    first = [c.value for c in sheet[2]]
    estate = Estate.objects.get(pk=first[0])
    assert first[headings.index("name")] == estate.name
    lon, lat = first[headings.index("lon")], first[headings.index("lat")]
    assert estate.geom.contains(Polygon.from_bbox((lon - 1e-9, lat - 1e-9, lon + 1e-9, lat + 1e-9)).centroid)
    about = dict((row[0].value, row[1].value) for row in workbook["about"].iter_rows())
    assert about["crs"].startswith("EPSG:4490") and about["features"] == Estate.objects.count()


def district_middle_bbox():
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT)
    minx, miny, maxx, maxy = district.geom.extent
    w, h = maxx - minx, maxy - miny
    return (minx + w * 0.3, miny + h * 0.3, minx + w * 0.6, miny + h * 0.6)


@pytest.mark.parametrize("fmt", ["gpkg", "csv"])
def test_bbox_export_holds_exactly_the_features_meeting_the_view(fmt, tmp_path):
    bbox = district_middle_bbox()
    expected = set(Estate.objects.filter(geom__intersects=Polygon.from_bbox(bbox)).values_list("pk", flat=True))
    assert 0 < len(expected) < Estate.objects.count()
    _, body, _ = download(client_for("official"), f"/api/export/estates.{fmt}?bbox={','.join(map(str, bbox))}")
    frame, _, _ = open_export(fmt, body, tmp_path)
    assert set(frame["id"].astype(int)) == expected


def test_selection_by_ids_and_by_drawn_polygon(tmp_path):
    client = client_for("planner")
    ids = list(Building.objects.order_by("code").values_list("pk", flat=True)[:5])
    _, body, _ = download(client, f"/api/export/buildings.geojson?ids={','.join(map(str, ids))}")
    frame, _, _ = open_export("geojson", body, tmp_path)
    assert sorted(frame["id"].astype(int)) == sorted(ids)
    minx, miny, maxx, maxy = district_middle_bbox()
    triangle = Polygon(((minx, miny), (maxx, miny), (minx, maxy), (minx, miny)), srid=4490)
    expected = set(Estate.objects.filter(geom__intersects=triangle).values_list("pk", flat=True))
    assert expected
    _, body, _ = download(client, f"/api/export/estates.gpkg?polygon={quote(triangle.json)}")
    (tmp_path / "p").mkdir()
    frame, _, _ = open_export("gpkg", body, tmp_path / "p")
    assert set(frame["id"].astype(int)) == expected


def test_property_filter_combines_with_the_view():
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    status, body, response = download(client_for("planner"), f"/api/export/estates.csv?street_code={street.code}")
    assert status == 200
    assert int(response["X-Feature-Count"]) == Estate.objects.filter(community__parent=street).count()


@pytest.mark.parametrize("layer, model, lookup", [
    ("abandonment_reports", AbandonmentReport, "street"),
    ("renovations", RenovationProject, "estate__community__parent"),
])
def test_a_street_office_exports_only_its_streets_rows_of_street_scoped_layers(layer, model, lookup, tmp_path):
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    status, body, _ = download(client_for(f"street-{street.code}"), f"/api/export/{layer}.gpkg")
    assert status == 200
    frame, _, _ = open_export("gpkg", body, tmp_path)
    expected = set(model.objects.filter(**{lookup: street}).values_list("pk", flat=True))
    assert 0 < len(expected) < model.objects.count()
    assert set(frame["id"].astype(int)) == expected
    assert set(frame["street_code"]) == {street.code}
    # The planner gets the whole district.
    _, body, _ = download(client_for("planner"), f"/api/export/{layer}.csv")
    assert body.count(b"\r\n") - 1 == model.objects.count()


@pytest.mark.parametrize("layer, model, state", [("estates", Estate, "service_status"),
                                                 ("buildings", Building, "abandonment")])
def test_estates_and_buildings_are_located_district_wide_their_state_in_the_street(layer, model, state, tmp_path):
    """docs/SECURITY.md "Read scope": every outline, the state of the street office's own street only."""
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    status, body, response = download(client_for(f"street-{street.code}"), f"/api/export/{layer}.gpkg")
    assert status == 200 and int(response["X-Feature-Count"]) == model.objects.count()
    frame, _, _ = open_export("gpkg", body, tmp_path)
    inside = frame["street_code"] == street.code
    assert inside.any() and (~inside).any()
    assert frame.loc[inside, state].notna().all() and frame.loc[~inside, state].isna().all()


def test_too_large_an_export_is_refused_with_413_and_says_what_to_do(settings):
    settings.EXPORT_MAX_FEATURES = 10
    status, body, _ = download(client_for("planner"), "/api/export/buildings.gpkg")
    assert status == 413
    assert b"more than 10 buildings" in body and b"zoom in" in body


@pytest.mark.parametrize("query, needle", [
    ("bbox=1,2,3", b"bbox"),
    ("ids=1,x", b"ids"),
    ("polygon=POINT(126 45)", b"polygon"),
    ("on=2024-13-01", b"on must be a date"),
    ("colour=red", b"unknown parameter 'colour'"),
    ("is_open=perhaps", b"is_open must be true or false"),
])
def test_bad_parameters_are_400_naming_the_parameter(query, needle):
    status, body, _ = download(client_for("planner"), f"/api/export/estates.gpkg?{query}")
    assert status == 400, body
    assert needle in body


def test_unknown_layer_or_format_is_404_and_anonymous_is_refused():
    client = client_for("planner")
    assert download(client, "/api/export/parcels.gpkg")[0] == 404
    assert download(client, "/api/export/estates.kml")[0] == 404
    assert Client().get("/api/export/estates.gpkg").status_code in (401, 403)


def test_the_layer_list_names_every_layer_and_format():
    data = client_for("official").get("/api/export/").json()
    assert [layer["name"] for layer in data["layers"]] == list(LAYERS)
    assert [f["name"] for f in data["formats"]] == FORMATS
    estates = next(layer for layer in data["layers"] if layer["name"] == "estates")
    assert {"name": "management_area_code", "type": "text", "shapefile_name": "ma_code"} in estates["fields"]
