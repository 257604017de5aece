"""Data import against the demo city: every format and target, encodings, CRS, GCJ-02, dry run, all-or-nothing,
upserts, limits and permissions (docs/IMPORT.md); the sample files in fixtures/."""
from pathlib import Path

import pytest
import shapely
import shapely.affinity
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from layers.credit_code import check_character
from layers.io import gcj02
from layers.models import (
    AdminArea,
    AdminLevel,
    Building,
    Enterprise,
    EnterpriseJurisdiction,
    Estate,
    ImportJob,
    ImportStatus,
    ManagementArea,
    ManagementAreaVersion,
    RegisterChange,
)
from layers.services import imports as svc

from . import import_files as files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def client():
    """Messages are matched in English here; `test_limit_refusal_speaks_chinese_by_default` checks the default."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def planner():
    return User.objects.get(username="planner")


def administrator():
    return User.objects.get(username="admin")


def estates(n=4, offset=0):
    return list(Estate.objects.order_by("code")[offset:offset + n])


def run(path, target, *, mapping=None, srid=None, gcj="", commit=False, reason="", user=None):
    """Read, map (the suggestion unless given) and dry-run or commit `path` as `user` (the planner); the report.
    Administrative areas are imported by the system administrator (docs/SECURITY.md "Roles and scope")."""
    user = user or (administrator() if target == "admin_areas" else planner())
    table = svc.read_table(path, name=path.name)
    described = svc.describe_table(table, target=target)
    options = svc.Options(mapping=mapping or described["suggested_mapping"], srid=srid, gcj02=gcj)
    if commit:
        return svc.import_table_commit(table, target=target, user=user, options=options, reason=reason,
                                       file_name=path.name).report
    return svc.analyse(table, target=target, user=user, options=options, file_name=path.name).report


def max_vertex_shift(stored, original) -> float:
    """How far apart two boundaries are at most, in metres (Hausdorff; ring order and orientation do not matter)."""
    return shapely.hausdorff_distance(files.shp(stored), original) * 111_320


def short_names(records):
    names = {"小区编码": "编码", "小区名称": "名称", "建成年份": "年份", "建筑面积": "面积"}
    return [{names.get(k, k): v for k, v in r.items()} for r in records]


# --- formats × estates --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, expected_encoding", [
    ("shp_gbk_no_cpg", "GB18030 (detected, no .cpg)"),
    ("shp_gbk_cpg", "GBK (.cpg)"),
    ("shp_utf8_no_cpg", "UTF-8 (detected, no .cpg)"),
    ("geojson", "UTF-8"),
    ("gpkg", "UTF-8"),
    ("csv_wkt_bom", "UTF-8 (BOM)"),
    ("csv_wkt_gb18030", "GB18030"),
])
def test_new_estates_in_every_format_keep_chinese_names(tmp_path, kind, expected_encoding):
    records = files.estate_records(estates(3), prefix=f"NEW-{kind[:6]}-", name_suffix="·新")
    path = {
        "shp_gbk_no_cpg": lambda: files.shapefile_zip(tmp_path, records, encoding="GBK", cpg=False),
        "shp_gbk_cpg": lambda: files.shapefile_zip(tmp_path, records, encoding="GBK", cpg=True),
        # dBASE field names hold 10 bytes: 3 Chinese characters in UTF-8 (a longer one is refused, see below).
        "shp_utf8_no_cpg": lambda: files.shapefile_zip(tmp_path, short_names(records), encoding="UTF-8", cpg=False),
        "geojson": lambda: files.geojson(tmp_path, records),
        "gpkg": lambda: files.gpkg(tmp_path, records),
        "csv_wkt_bom": lambda: files.estates_csv_wkt(tmp_path, records, bom=True),
        "csv_wkt_gb18030": lambda: files.estates_csv_wkt(tmp_path, records, encoding="gb18030"),
    }[kind]()
    table = svc.read_table(path, name=path.name)
    assert table.encoding == expected_encoding
    before = Estate.objects.count()
    report = run(path, "estates", commit=True)
    assert report["summary"] == {"rows": 3, "ok": 3, "errors": 0, "create": 3, "update": 0, "warnings": 0}
    assert Estate.objects.count() == before + 3
    for r in records:
        stored = Estate.objects.get(code=r["小区编码"])
        assert stored.name == r["小区名称"] and "·新" in stored.name  # Chinese text intact (values and field names)
        assert stored.households == r["户数"] and stored.build_year == r["建成年份"]
        assert max_vertex_shift(stored.geom, r["geometry"]) < 0.01
        assert stored.community.level == AdminLevel.COMMUNITY  # found from the boundary


def test_utf8_shapefile_with_long_chinese_field_names_is_refused_plainly(tmp_path):
    path = files.shapefile_zip(tmp_path, files.estate_records(estates(1), prefix="U8-"), encoding="UTF-8", cpg=False)
    with pytest.raises(svc.ImportRefused, match="cut in the middle of a character"):
        svc.read_table(path, name=path.name)


def test_csv_with_lonlat_updates_attributes_of_existing_estates(tmp_path):
    chosen = estates(3)
    records = files.estate_records(chosen, households_delta=7, name_suffix="（更新）")
    path = files.estates_csv_lonlat(tmp_path, records)
    geoms_before = {e.code: e.geom.wkb.hex() for e in chosen}
    report = run(path, "estates", commit=True)
    assert report["summary"]["update"] == 3 and report["summary"]["errors"] == 0
    for e, r in zip(chosen, records):
        e.refresh_from_db()
        assert e.households == r["户数"] and e.name.endswith("（更新）")
        assert e.geom.wkb.hex() == geoms_before[e.code]  # a point never replaces a boundary


def test_csv_with_lonlat_cannot_create_an_estate(tmp_path):
    records = files.estate_records(estates(1), prefix="PT-")
    report = run(files.estates_csv_lonlat(tmp_path, records), "estates")
    assert report["summary"]["errors"] == 1
    assert "point cannot be the boundary" in report["errors"][0]["errors"][0]


# --- other targets --------------------------------------------------------------------------------------------

def test_buildings_from_a_geopackage(tmp_path):
    estate = Estate.objects.order_by("code").first()
    building = estate.buildings.order_by("code").first()
    footprint = files.shp(building.geom)
    inside = shapely.affinity.scale(footprint, 0.5, 0.5)
    records = [
        {"楼栋编码": building.code, "小区编码": estate.code, "楼号": "1号楼", "层数": 7, "户数": 42, "建成年份": 1990,
         "电梯": "有", "geometry": footprint},
        {"楼栋编码": "B-NEW-1", "小区编码": "", "楼号": "新楼", "层数": 18, "户数": 120, "建成年份": 2005, "电梯": "是",
         "geometry": inside},
    ]
    path = files.gpkg(tmp_path, records, name="buildings")
    report = run(path, "buildings", commit=True)
    assert report["summary"] == {"rows": 2, "ok": 2, "errors": 0, "create": 1, "update": 1, "warnings": 0}
    building.refresh_from_db()
    assert (building.label, building.floors, building.has_elevator) == ("1号楼", 7, True)
    new = Building.objects.get(code="B-NEW-1")
    assert new.estate_id == building.estate_id  # found by position when no estate code is given
    assert new.floors == 18 and new.has_elevator


def test_admin_areas_from_geojson_with_parent_in_the_file_and_inferred_levels(tmp_path):
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    outside = shapely.box(127.2, 45.6, 127.3, 45.7)
    records = [
        {"区划代码": "230199", "名称": "新区", "geometry": outside},
        {"区划代码": "230199001", "名称": "新街道", "geometry": outside},
        {"区划代码": f"{street.code}901", "名称": "新社区", "上级编码": street.code,
         "geometry": files.shp(street.geom).buffer(-0.001)},
        {"区划代码": "230199002001", "名称": "孤儿社区", "上级编码": "230199999", "geometry": outside},
    ]
    path = files.geojson(tmp_path, records, name="areas")
    report = run(path, "admin_areas")
    assert [e["row"] for e in report["errors"]] == [4]
    assert "unknown parent code “230199999”" in report["errors"][0]["errors"][0]
    path = files.geojson(tmp_path, records[:3], name="areas")
    report = run(path, "admin_areas", commit=True)
    assert report["result"] == {"created": 3, "updated": 0}
    district = AdminArea.objects.get(code="230199")
    # A new district goes under the installation's city (DOMAIN.md "Levels").
    assert district.level == AdminLevel.DISTRICT and district.parent == AdminArea.objects.get(level=AdminLevel.CITY)
    assert AdminArea.objects.get(code="230199001").parent == district
    assert AdminArea.objects.get(code=f"{street.code}901").parent == street


def test_management_areas_from_a_shapefile_go_through_the_history_rules(tmp_path):
    area = ManagementArea.objects.order_by("code").first()
    shrunk = files.shp(area.geom).buffer(-0.0002)
    free = Estate.objects.filter(management_area__isnull=True).order_by("code").first()
    records = [
        {"区域编码": area.code, "区域名称": area.name, "geometry": shrunk},
        {"区域编码": "MA-IMPORT-1", "区域名称": "导入区域", "geometry": files.shp(free.geom)},
        {"区域编码": "MA-IMPORT-2", "区域名称": "重叠区域", "geometry": files.shp(free.geom).buffer(0.0001)},
    ]
    path = files.shapefile_zip(tmp_path, records, name="areas")
    report = run(path, "management_areas")
    assert [e["row"] for e in report["errors"]] == [3]
    assert "overlaps management area MA-IMPORT-1 on row 2" in " ".join(report["errors"][0]["errors"])
    path = files.shapefile_zip(tmp_path, records[:2], name="areas")
    report = run(path, "management_areas", commit=True)
    assert report["result"] == {"created": 1, "updated": 1}
    area.refresh_from_db()
    assert area.version == 2 and abs(area.geom.area - shrunk.area) < 1e-10
    last = ManagementAreaVersion.objects.filter(area=area).order_by("-id").first()
    assert last.reason == "Import areas.zip" and last.user == planner()
    created = ManagementArea.objects.get(code="MA-IMPORT-1")
    assert ManagementAreaVersion.objects.get(area=created).reason == "Import areas.zip"
    free.refresh_from_db()
    assert free.management_area == created  # estates are re-linked as by the editor


def test_management_area_overlapping_a_stored_one_is_refused_per_row(tmp_path):
    a, b = ManagementArea.objects.order_by("code")[:2]
    records = [{"区域编码": "MA-OVER", "区域名称": "越界", "geometry": files.shp(a.geom).buffer(0.0005)}]
    report = run(files.geojson(tmp_path, records, name="over"), "management_areas")
    assert report["errors"][0]["row"] == 1 and a.code in report["errors"][0]["errors"][0]


def credit_code(n: int) -> str:
    first = f"91230112MA{n:07d}"
    return first + check_character(first)


def test_enterprises_from_a_gb18030_csv_upsert_by_credit_code(tmp_path):
    existing = Enterprise.objects.order_by("pk").first()
    rows = [[existing.credit_code, existing.name, "AA", "2020-05-01", "张三", "0451-1234567"],
            [credit_code(1), "哈尔滨新物业服务有限公司", "A", "2021/3/2", "李四", ""],
            ["91230112MA0000000X", "坏代码公司", "A", "", "", ""]]
    path = files.csv_file(tmp_path, ["统一社会信用代码", "企业名称", "信用等级", "备案日期", "联系人", "联系电话"], rows,
                          encoding="gb18030", name="enterprises")
    report = run(path, "enterprises")
    assert [e["row"] for e in report["errors"]] == [4]  # line 4 of the file
    assert "invalid unified social credit code" in report["errors"][0]["errors"][0]
    path = files.csv_file(tmp_path, ["统一社会信用代码", "企业名称", "信用等级", "备案日期", "联系人", "联系电话"], rows[:2],
                          encoding="gb18030", name="enterprises")
    grade_before = existing.credit_grade
    report = run(path, "enterprises", commit=True)
    assert report["result"] == {"created": 1, "updated": 1}
    existing.refresh_from_db()
    assert existing.contact_person == "张三" and str(existing.filed_on) == "2020-05-01"
    # The grade follows the annual evaluations: an import does not overwrite it (a warning says so, if it differs).
    assert existing.credit_grade == grade_before
    assert bool(report["warnings"]) == (grade_before != "AA")
    new = Enterprise.objects.get(credit_code=credit_code(1))
    assert new.name == "哈尔滨新物业服务有限公司" and str(new.filed_on) == "2021-03-02" and new.credit_grade == "A"
    # Both writes are in the register's change log, as by the register's own pages.
    changes = RegisterChange.objects.filter(enterprise__in=[existing, new]).order_by("id")
    assert [(c.enterprise_id, c.action) for c in changes.filter(user=planner())][-2:] == [
        (existing.pk, "update"), (new.pk, "create")]
    assert changes.filter(enterprise=existing).last().reason == "Import enterprises.csv"


# --- coordinates ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("epsg", [3857, 4530, 4551])
def test_projected_input_is_reprojected_onto_the_known_positions(tmp_path, epsg):
    chosen = estates(3, offset=10)
    records = files.estate_records(chosen, prefix=f"P{epsg}-")
    path = files.shapefile_zip(tmp_path, files.reproject(records, epsg), crs=f"EPSG:{epsg}")
    report = run(path, "estates", commit=True)
    assert report["crs"]["source"] == epsg and report["summary"]["create"] == 3
    for r in records:
        assert max_vertex_shift(Estate.objects.get(code=r["小区编码"]).geom, r["geometry"]) < 0.01  # < 1 cm


def test_a_file_without_crs_is_guessed_and_must_be_confirmed(tmp_path):
    records = files.estate_records(estates(3, offset=20), prefix="GK-")
    path = files.shapefile_zip(tmp_path, files.reproject(records, 4551), prj=False)  # no zone number, no .prj
    table = svc.read_table(path, name=path.name)
    described = svc.describe_table(table, target="estates")
    assert described["crs"]["guess"] == 4551 and described["crs"]["confirm"]
    with pytest.raises(svc.ImportRefused, match="names no coordinate system"):
        run(path, "estates")
    report = run(path, "estates", srid=4551, commit=True)
    assert report["crs"]["confirmed"] and report["summary"]["create"] == 3
    for r in records:
        assert max_vertex_shift(Estate.objects.get(code=r["小区编码"]).geom, r["geometry"]) < 0.01


def test_a_wrong_crs_choice_is_refused_before_any_row(tmp_path):
    path = files.geojson(tmp_path, files.estate_records(estates(2), prefix="W-"))
    with pytest.raises(svc.ImportRefused, match="outside China"):
        run(path, "estates", srid=3857)


def gcj_records(chosen, *, forward=gcj02.wgs84_to_gcj02, **kwargs):
    """Records as copied from a commercial map (GCJ-02, or BD-09 with forward=wgs84_to_bd09), with the original."""
    records = files.estate_records(chosen, **kwargs)
    for r in records:
        r["original"] = r["geometry"]
        r["geometry"] = shapely.transform(r["geometry"], forward)
    return records


@pytest.mark.parametrize("prefix, method", [(None, "codes"), ("GCJ-", "containment")])
def test_gcj02_shifted_data_is_detected_and_converted_back(tmp_path, prefix, method):
    chosen = estates(6, offset=30)
    records = gcj_records(chosen, prefix=prefix)
    path = files.geojson(tmp_path, [{k: v for k, v in r.items() if k != "original"} for r in records])
    report = run(path, "estates")
    verdict = report["gcj02"]
    assert verdict["suspected"] and verdict["method"] == method, verdict
    assert 200 < verdict["median_offset_m"] < 900
    with pytest.raises(svc.ImportRefused, match="GCJ-02"):
        run(path, "estates", commit=True)  # undecided: nothing is written
    report = run(path, "estates", gcj="convert", commit=True)
    assert report["summary"]["errors"] == 0
    for r in records:
        stored = Estate.objects.get(code=r["小区编码"])
        assert max_vertex_shift(stored.geom, r["original"]) < 1.0  # back within a metre


def test_unshifted_data_is_not_taken_for_gcj02(tmp_path):
    path = files.geojson(tmp_path, files.estate_records(estates(6, offset=30)))
    assert not run(path, "estates")["gcj02"]["suspected"]


# --- dry run, all-or-nothing, upsert ------------------------------------------------------------------------------

def snapshot():
    return list(Estate.objects.order_by("pk").values_list("code", "name", "households", "build_year"))


def test_dry_run_writes_nothing(tmp_path):
    records = files.estate_records(estates(3), households_delta=5) + files.estate_records(estates(2), prefix="DRY-")
    before = snapshot()
    report = run(files.shapefile_zip(tmp_path, records), "estates")
    assert report["summary"]["update"] == 3 and report["summary"]["create"] == 2
    assert snapshot() == before


def test_one_bad_row_commits_nothing_and_names_its_row(tmp_path):
    records = files.estate_records(estates(4), households_delta=3)
    records[2]["户数"] = -5
    bowtie = shapely.Polygon([(126.95, 45.53), (126.951, 45.531), (126.951, 45.53), (126.95, 45.531)])
    records.append({**files.estate_records(estates(1), prefix="BAD-")[0], "geometry": bowtie})
    records.append({**files.estate_records(estates(1), prefix="FAR-")[0],
                    "geometry": shapely.box(120.0, 30.0, 120.001, 30.001)})
    records.append(dict(records[0]))  # the same code twice
    path = files.gpkg(tmp_path, records)
    before = snapshot()
    with pytest.raises(svc.ImportRefused) as refused:
        run(path, "estates", commit=True)
    assert snapshot() == before
    errors = {e["row"]: " ".join(e["errors"]) for e in refused.value.report["errors"]}
    assert set(errors) == {3, 5, 6, 7}
    assert "outside 0–1000000" in errors[3]
    assert "crosses itself. (at 126.9505" in errors[5]  # in plain words, and where
    assert "outside the district" in errors[6]
    assert "duplicate" in errors[7] and "row 1" in errors[7]


def test_reimport_upserts(tmp_path):
    records = files.estate_records(estates(2), prefix="UPS-")
    path = files.geojson(tmp_path, records)
    assert run(path, "estates", commit=True)["result"] == {"created": 2, "updated": 0}
    count = Estate.objects.count()
    for r in records:
        r["户数"] += 100
    path = files.geojson(tmp_path, records)
    assert run(path, "estates", commit=True)["result"] == {"created": 0, "updated": 2}
    assert Estate.objects.count() == count
    assert Estate.objects.get(code="UPS-000").households == records[0]["户数"]


def test_enterprise_service_areas_follow_imported_households(tmp_path):
    from django.db import connection
    from django.utils import timezone

    jurisdiction = EnterpriseJurisdiction.objects.order_by("enterprise_id").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT estate_id FROM layers_active_contracts(%s) WHERE enterprise_id = %s ORDER BY 1 LIMIT 2",
                       [timezone.localdate(), jurisdiction.enterprise_id])
        served = Estate.objects.filter(pk__in=[r[0] for r in cursor.fetchall()]).order_by("code")
    records = files.estate_records(list(served), households_delta=1000)
    before = jurisdiction.households
    assert run(files.geojson(tmp_path, records), "estates", commit=True)["result"]["updated"] == len(records) > 0
    jurisdiction = EnterpriseJurisdiction.objects.get(enterprise_id=jurisdiction.enterprise_id)
    assert jurisdiction.households == before + 1000 * len(records)


def test_mapping_errors_are_plain(tmp_path):
    path = files.geojson(tmp_path, files.estate_records(estates(1)))
    with pytest.raises(svc.ImportRefused, match="no column “nope”"):
        run(path, "estates", mapping={"code": "小区编码", "name": "nope"})
    with pytest.raises(svc.ImportRefused, match="rows are matched by it"):
        run(path, "estates", mapping={"name": "小区名称"})
    report = run(path, "estates", mapping={"code": "小区编码"})  # attributes only: an update needs nothing else
    assert report["summary"]["update"] == 1


# --- the web API ------------------------------------------------------------------------------------------------

def upload(client, path, target="estates"):
    with open(path, "rb") as f:
        return client.post("/api/imports/", {"file": SimpleUploadedFile(path.name, f.read()), "target": target})


def test_a_guessed_encoding_is_labelled_in_the_users_language():
    from django.utils import translation

    from layers.services.imports import encoding_label

    with translation.override("zh-hans"):
        assert encoding_label("GB18030 (detected, no .cpg)") == "GB18030（自动识别，无 .cpg 文件）"
    with translation.override("en"):
        assert encoding_label("GB18030 (detected, no .cpg)") == "GB18030 (detected, no .cpg)"
    assert encoding_label("GBK (.cpg)") == "GBK (.cpg)" and encoding_label(None) is None


def test_api_upload_check_commit(client, tmp_path):
    client.force_login(planner())
    records = files.estate_records(estates(2), prefix="API-")
    response = upload(client, files.shapefile_zip(tmp_path, records, cpg=False))
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["report"]["file"]["encoding"] == "GB18030 (detected, no .cpg)"
    assert job["mapping"]["name"] == "小区名称"
    response = client.post(f"/api/imports/{job['id']}/commit/", {}, content_type="application/json")
    assert response.status_code == 409  # no dry run yet
    response = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"]},
                           content_type="application/json")
    assert response.status_code == 200
    checked = response.json()
    assert checked["status"] == "checked" and checked["report"]["summary"]["create"] == 2
    assert len(checked["report"]["preview"]["features"]) == 2
    assert not Estate.objects.filter(code__startswith="API-").exists()
    response = client.post(f"/api/imports/{job['id']}/commit/", {"reason": "年度普查"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["report"]["result"] == {"created": 2, "updated": 0}
    assert Estate.objects.filter(code__startswith="API-").count() == 2
    stored = ImportJob.objects.get(pk=job["id"])
    assert stored.status == ImportStatus.COMMITTED and stored.reason == "年度普查" and stored.user == planner()
    again = client.post(f"/api/imports/{job['id']}/commit/", {}, content_type="application/json")
    assert again.status_code == 409


def test_api_commit_with_errors_is_400_and_keeps_the_report(client, tmp_path):
    client.force_login(planner())
    records = files.estate_records(estates(2), prefix="ERR-")
    records[1]["建成年份"] = "很久以前"
    job = upload(client, files.estates_csv_wkt(tmp_path, records)).json()
    checked = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"]},
                          content_type="application/json").json()
    [error] = checked["report"]["errors"]
    assert error["row"] == 3 and error["key"] == "ERR-001" and error["errors"][0].endswith("“很久以前” is not a year")
    response = client.post(f"/api/imports/{job['id']}/commit/", {}, content_type="application/json")
    assert response.status_code == 400 and "1 row(s) have errors" in response.json()["error"]
    assert response.json()["report"]["errors"][0]["row"] == 3
    assert not Estate.objects.filter(code__startswith="ERR-").exists()


def test_api_file_without_crs_asks_for_one(client, tmp_path):
    client.force_login(planner())
    records = files.reproject(files.estate_records(estates(2), prefix="NOCRS-"), 4530)
    job = upload(client, files.shapefile_zip(tmp_path, records, prj=False)).json()
    assert job["report"]["file"]["crs"]["guess"] == 4530
    response = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"]},
                           content_type="application/json")
    assert response.status_code == 400 and "EPSG:4530" in response.json()["error"]
    response = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"], "srid": 4530},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["report"]["summary"]["create"] == 2


@pytest.mark.parametrize("case, status, message", [
    ("too_big", 413, "files up to"),
    ("far_too_big", 413, "The upload is"),
    ("entries", 400, "entries; at most"),
    ("bomb", 400, "uncompressed are accepted"),
    ("traversal", 400, "unsafe path “../../evil.txt”"),
    ("format", 400, "unsupported file type .exe"),
])
def test_api_limits_are_clear_refusals(client, tmp_path, settings, case, status, message):
    client.force_login(planner())
    records = files.estate_records(estates(1), prefix="LIM-")
    if case == "too_big":
        settings.IMPORT_MAX_BYTES = 1000
        path = files.geojson(tmp_path, records * 5)
    elif case == "far_too_big":  # refused from its Content-Length, before the body is parsed
        settings.IMPORT_MAX_BYTES = 1000
        path = files.geojson(tmp_path, records * 200)
        assert files.size(path) > 1000 + 64 * 1024
    elif case == "entries":
        path = files.shapefile_zip(tmp_path, records, extra_entries=[(f"readme{i}.txt", "x") for i in range(50)])
    elif case == "bomb":
        settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
        path = files.shapefile_zip(tmp_path, records, extra_entries=[("padding.bin", b"\0" * (6 * 1024 * 1024))])
        assert files.size(path) < 100_000  # a small file that unpacks large
    elif case == "traversal":
        path = files.shapefile_zip(tmp_path, records, extra_entries=[("../../evil.txt", "x")])
    else:
        path = tmp_path / "setup.exe"
        path.write_bytes(b"MZ")
    response = upload(client, path)
    assert response.status_code == status, response.content
    assert message in response.json()["error"]
    assert not ImportJob.objects.exists()
    assert not (tmp_path.parent / "evil.txt").exists()


def test_limit_refusal_speaks_chinese_by_default(tmp_path, settings):
    """Without a language choice the refusal is in Chinese, and a small limit is not shown as "0.0 MB"."""
    client = Client()
    client.force_login(planner())
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, files.geojson(tmp_path, files.estate_records(estates(1), prefix="ZH-") * 5))
    assert response.status_code == 413
    error = response.json()["error"]
    assert "可导入的文件不得超过1000 B" in error and "0.0 MB" not in error


@pytest.mark.parametrize("username", ["official", "street-230112001"])
def test_officials_and_street_offices_cannot_import(client, tmp_path, username):
    client.force_login(User.objects.get(username=username))
    assert client.get("/imports/").status_code == 403
    response = upload(client, files.geojson(tmp_path, files.estate_records(estates(1), prefix="X-")))
    assert response.status_code == 403 and "error" in response.json()
    assert not ImportJob.objects.exists()


def test_the_schema_documents_the_import_api(client):
    client.force_login(planner())
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/imports/" in schema["paths"] and "/api/imports/{id}/check/" in schema["paths"]
    upload_body = schema["paths"]["/api/imports/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body


# --- the command --------------------------------------------------------------------------------------------------

def test_command_dry_run_and_commit(tmp_path, capsys):
    records = files.estate_records(estates(2), prefix="CMD-")
    path = files.shapefile_zip(tmp_path, records, cpg=False)
    call_command("import_layer", str(path), target="estates", dry_run=True, user="planner")
    out = capsys.readouterr().out
    assert "GB18030 (detected, no .cpg)" in out and "nothing was written" in out
    assert not Estate.objects.filter(code__startswith="CMD-").exists()
    call_command("import_layer", str(path), "--target", "estates", "--mapping", "name=小区名称,code=小区编码",
                 "--srid", "4490")
    assert "Imported: 2 new, 0 updated." in capsys.readouterr().out
    assert Estate.objects.get(code="CMD-000").name == records[0]["小区名称"]


def test_command_exits_non_zero_on_row_errors(tmp_path, capsys):
    records = files.estate_records(estates(2), prefix="CMDX-")
    records[1]["户数"] = "许多"
    path = files.estates_csv_wkt(tmp_path, records)
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_layer", str(path), target="estates")
    out = capsys.readouterr().out
    assert "row 3 (CMDX-001): " in out and "“许多” is not a whole number" in out
    assert not Estate.objects.filter(code__startswith="CMDX-").exists()


# --- the sample files in fixtures/ (offered on the import page) ---------------------------------------------------

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def sample_dry_run(client, name, target, **check):
    """Upload a sample through the API and dry-run it with the suggested mapping: (upload job, checked job)."""
    response = upload(client, SAMPLES_DIR / name, target)
    assert response.status_code == 201, response.content
    job = response.json()
    checked = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"], **check},
                          content_type="application/json")
    assert checked.status_code == 200, checked.content
    return job, checked.json()


def preview_shapes(report):
    return {f["properties"]["key"]: shapely.geometry.shape(f["geometry"]) for f in report["preview"]["features"]}


def test_every_sample_is_offered_and_downloads(client):
    from layers.views.imports import SAMPLES

    client.force_login(planner())
    page = client.get("/imports/")
    for sample in SAMPLES:
        assert f'data-sample="{sample.file}"' in page.content.decode()
        response = client.get(f"/imports/samples/{sample.file}")
        assert response.status_code == 200 and response["Content-Type"] == sample.content_type
        assert f'filename="{sample.file}"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == (SAMPLES_DIR / sample.file).read_bytes()
        assert (SAMPLES_DIR / sample.file).stat().st_size < 100_000  # small enough to read in a review
    assert client.get("/imports/samples/make_samples.py").status_code == 404  # only the samples are served
    assert client.get("/imports/samples/README.md").status_code == 404
    client.force_login(User.objects.get(username="official"))  # may not import: no samples either
    assert client.get(f"/imports/samples/{SAMPLES[0].file}").status_code == 403


def test_sample_gbk_shapefile_without_cpg(client):
    client.force_login(planner())
    before = snapshot()
    job, checked = sample_dry_run(client, "estates_gbk_no_cpg.zip", "estates")
    file = job["report"]["file"]
    assert file["format"] == "shapefile" and file["encoding"] == "GB18030 (detected, no .cpg)" and file["rows"] == 4
    assert job["mapping"]["name"] == "小区名称" and job["mapping"]["owners_committee"] == "业委会"
    report = checked["report"]
    assert report["crs"]["source"] == 4490 and report["crs"]["file"] == 4490
    assert report["summary"] == {"rows": 4, "ok": 4, "errors": 0, "create": 0, "update": 4, "warnings": 0}
    assert not report["gcj02"]["suspected"]
    for code, shape in preview_shapes(report).items():
        stored = Estate.objects.get(code=code)
        assert max_vertex_shift(stored.geom, shape) < 0.01  # the same boundaries, read in the right place
    names = {f["properties"]["key"]: f["properties"]["name"] for f in report["preview"]["features"]}
    assert names == {code: Estate.objects.get(code=code).name for code in names}  # GBK names decoded intact
    assert snapshot() == before  # a dry run


def test_sample_geopackage_in_gauss_kruger(client):
    client.force_login(planner())
    count = Building.objects.count()
    job, checked = sample_dry_run(client, "buildings_gk126.gpkg", "buildings")
    file = job["report"]["file"]
    assert file["format"] == "gpkg" and file["layer"] == "楼栋" and file["rows"] == 4
    assert file["crs"]["epsg"] == 4551
    report = checked["report"]
    assert report["crs"]["source"] == 4551
    assert report["summary"] == {"rows": 4, "ok": 4, "errors": 0, "create": 4, "update": 0, "warnings": 0}
    for code, shape in preview_shapes(report).items():
        estate = Estate.objects.get(code=code.split("-X")[0])
        assert estate.geom.contains(GEOSGeometry(shape.wkt, srid=4490))  # reprojected onto its estate
        assert not any(shapely.from_wkb(bytes(b.geom.wkb)).intersects(shape) for b in estate.buildings.all())
    assert [f["properties"]["name"] for f in report["preview"]["features"]] == [f"新建{n}号楼" for n in range(1, 5)]
    assert Building.objects.count() == count


def test_sample_csv_with_lonlat(client):
    client.force_login(planner())
    job, checked = sample_dry_run(client, "estates_lonlat.csv", "estates")
    file = job["report"]["file"]
    assert file["format"] == "csv" and file["encoding"] == "UTF-8 (BOM)" and file["rows"] == 5
    assert file["columns"][:2] == ["小区编码", "小区名称"] and {"经度", "纬度"} <= set(file["columns"])
    report = checked["report"]
    assert report["crs"]["source"] == 4490
    # Every point lies inside the stored boundary of its estate (no warning), and only updates attributes.
    assert report["summary"] == {"rows": 5, "ok": 5, "errors": 0, "create": 0, "update": 5, "warnings": 0}
    for code, shape in preview_shapes(report).items():
        assert shape.geom_type == "Point" and Estate.objects.get(code=code).geom.contains(
            GEOSGeometry(shape.wkt, srid=4490))


def test_sample_geojson_in_gcj02(client):
    client.force_login(planner())
    job, checked = sample_dry_run(client, "estates_gcj02.geojson", "estates")
    assert job["report"]["file"]["format"] == "geojson" and job["report"]["file"]["rows"] == 6
    report = checked["report"]
    assert report["crs"]["source"] == 4326  # RFC 7946: WGS 84 longitude/latitude
    verdict = report["gcj02"]
    assert verdict["suspected"] and verdict["method"] == "codes" and verdict["pairs"] == 6, verdict
    assert 200 < verdict["median_offset_m"] < 900
    for code, shape in preview_shapes(report).items():
        assert max_vertex_shift(Estate.objects.get(code=code).geom, shape) > 200  # as drawn on the commercial map
    converted = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"], "gcj02": "convert"},
                            content_type="application/json").json()["report"]
    assert converted["summary"] == {"rows": 6, "ok": 6, "errors": 0, "create": 0, "update": 6, "warnings": 0}
    for code, shape in preview_shapes(converted).items():
        assert max_vertex_shift(Estate.objects.get(code=code).geom, shape) < 1.0  # back within a metre


# --- where the coordinates come from: each choice of the import page's source picker ------------------------------

@pytest.mark.parametrize("prefix, method", [(None, "codes"), ("BD-", "containment")])
def test_bd09_shifted_data_is_detected_as_such_and_converted_back(tmp_path, prefix, method):
    records = gcj_records(estates(6, offset=30), prefix=prefix, forward=gcj02.wgs84_to_bd09)
    path = files.geojson(tmp_path, [{k: v for k, v in r.items() if k != "original"} for r in records])
    verdict = run(path, "estates")["gcj02"]
    assert verdict["suspected"] and verdict["system"] == "bd09" and verdict["method"] == method, verdict
    assert 900 < verdict["median_offset_m"] < 1800
    with pytest.raises(svc.ImportRefused, match="GCJ-02"):
        run(path, "estates", commit=True)  # undecided: nothing is written
    report = run(path, "estates", gcj="bd09", commit=True)
    assert report["summary"]["errors"] == 0 and report["gcj02"]["choice"] == "bd09"
    for r in records:
        assert max_vertex_shift(Estate.objects.get(code=r["小区编码"]).geom, r["original"]) < 1.0


def shifted(records, forward):
    return [{**r, "geometry": shapely.transform(r["geometry"], forward)} for r in records]


# (source on the page, srid sent, offset choice sent, how the file is written)
SOURCES = [
    ("cgcs2000", 4490, "", lambda rs, tmp: files.geojson(tmp, rs)),
    ("gcj02", 4490, "convert", lambda rs, tmp: files.geojson(tmp, shifted(rs, gcj02.wgs84_to_gcj02))),
    ("bd09", 4490, "bd09", lambda rs, tmp: files.geojson(tmp, shifted(rs, gcj02.wgs84_to_bd09))),
    ("webmercator", 3857, "", lambda rs, tmp: files.shapefile_zip(tmp, files.reproject(rs, 3857), prj=False)),
    ("gk_prefixed zone 42", 4530, "", lambda rs, tmp: files.shapefile_zip(tmp, files.reproject(rs, 4530), prj=False)),
    ("gk_plain CM 126°E", 4551, "", lambda rs, tmp: files.shapefile_zip(tmp, files.reproject(rs, 4551), prj=False)),
]


@pytest.mark.parametrize("source, srid, offset, write", SOURCES, ids=[s[0] for s in SOURCES])
def test_each_source_choice_lands_new_estates_where_they_belong(client, tmp_path, source, srid, offset, write):
    """Through the API as the page sends it: the picked source's srid and offset choice; stored within a metre."""
    client.force_login(planner())
    records = files.estate_records(estates(3, offset=40), prefix="SRC-")
    job = upload(client, write(records, tmp_path)).json()
    body = {"mapping": job["mapping"], "srid": srid, "gcj02": offset}
    checked = client.post(f"/api/imports/{job['id']}/check/", body, content_type="application/json")
    assert checked.status_code == 200, checked.content
    report = checked.json()["report"]
    assert report["summary"]["errors"] == 0 and report["summary"]["create"] == 3, report["errors"]
    assert report["crs"]["source"] == srid and report["gcj02"]["choice"] == offset
    assert not report["unusual"]["needs_confirmation"]
    committed = client.post(f"/api/imports/{job['id']}/commit/", {}, content_type="application/json")
    assert committed.status_code == 200, committed.content
    assert ImportJob.objects.get(pk=job["id"]).gcj02 == offset
    for r in records:
        assert max_vertex_shift(Estate.objects.get(code=r["小区编码"]).geom, r["geometry"]) < 1.0


def test_an_offset_choice_on_unshifted_data_moves_it_away(tmp_path):
    """The choice is applied, not second-guessed: converting true positions moves them by the offset."""
    records = files.estate_records(estates(2, offset=50), prefix="MOVE-")
    report = run(files.geojson(tmp_path, records), "estates", gcj="bd09")
    originals = {r["小区编码"]: r["geometry"] for r in records}
    assert len(report["preview"]["features"]) == 2
    for feature in report["preview"]["features"]:
        moved = shapely.geometry.shape(feature["geometry"])
        assert 900 < max_vertex_shift(moved, originals[feature["properties"]["key"]]) < 1800


# --- data from elsewhere, or severalfold what it replaces: flagged, then confirmed ---------------------------------

def far_district(tmp_path):
    """A district outline from another province: the demo district moved 8° west (about 600 km)."""
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT)
    moved = shapely.affinity.translate(files.shp(district.geom), xoff=-8.0)
    return files.geojson(tmp_path, [{"区划代码": "610199", "名称": "外省区", "级别": "区", "geometry": moved}],
                         name="far")


def test_a_file_far_from_the_district_is_flagged_and_needs_confirmation(tmp_path):
    path = far_district(tmp_path)
    report = run(path, "admin_areas")
    unusual = report["unusual"]
    assert report["summary"]["errors"] == 0
    assert unusual["needs_confirmation"] and unusual["far_rows"] == 1 and 400 < unusual["far_max_km"] < 800
    assert "km from the district's area" in report["warnings"][0]["warnings"][0]
    with pytest.raises(svc.ImportRefused, match="lie up to .* km from the district's area"):
        run(path, "admin_areas", commit=True)
    assert not AdminArea.objects.filter(code="610199").exists()
    table = svc.read_table(path, name=path.name)
    options = svc.Options(mapping=svc.describe_table(table, target="admin_areas")["suggested_mapping"])
    svc.import_table_commit(table, target="admin_areas", user=administrator(), options=options, file_name=path.name,
                            confirm_unusual=True)
    assert AdminArea.objects.filter(code="610199").exists()


def test_a_district_outline_growing_severalfold_needs_confirmation_over_the_api(tmp_path):
    client = Client()  # the default language: the refusal is in Chinese
    client.force_login(administrator())  # districts are the system administrator's to import
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT)
    before = district.geom.area
    grown = shapely.affinity.scale(files.shp(district.geom), 2.0, 2.0, origin="centroid")  # area ×4
    path = files.geojson(tmp_path, [{"区划代码": district.code, "名称": district.name, "geometry": grown}],
                         name="grown")
    job = upload(client, path, target="admin_areas").json()
    checked = client.post(f"/api/imports/{job['id']}/check/", {"mapping": job["mapping"]},
                          content_type="application/json").json()
    unusual = checked["report"]["unusual"]
    assert unusual["ratio_rows"] == 1 and 3.9 < unusual["ratio"][0]["ratio"] < 4.1 and unusual["far_rows"] == 0
    refused = client.post(f"/api/imports/{job['id']}/commit/", {}, content_type="application/json")
    assert refused.status_code == 400
    assert "面积变化数倍" in refused.json()["error"] and "我已确认" in refused.json()["error"]
    district.refresh_from_db()
    assert district.geom.area == pytest.approx(before)
    committed = client.post(f"/api/imports/{job['id']}/commit/", {"confirm_unusual": True},
                            content_type="application/json")
    assert committed.status_code == 200, committed.content
    district.refresh_from_db()
    assert district.geom.area == pytest.approx(4 * before, rel=0.01)
