"""Bad import files (tests/bad_files.py) through the web import (upload → dry run → commit) and `import_layer`.

A file is refused at the first step that can tell: the upload (unreadable file, 4xx), the dry run (4xx for a
whole-file problem, or 200 with the row's error in the report) — and then the commit is refused (400) too. The
message names the defect (Accept-Language en) and no data is written (the import job itself may record the refusal).
"""
from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from layers.models import Estate

from . import bad_files
from .bad_geometries import CASES, Case, valid_polygon
from .db_fingerprint import fingerprint
from .test_bad_input import client, free_estate, messages, origin_in

pytestmark = pytest.mark.django_db

GEOMETRY_CASES = [c for c in CASES if c.name not in bad_files.NOT_AS_FILE]
FILE_CASE_NAMES = ["crs_3857_with_degrees", "crs_unknown", "no_crs_metres_geojson", "no_crs_metres_csv",
                   "gcj02_offset", "gbk_dbf_labelled_utf8", "invalid_utf8_csv", "invalid_utf8_geojson"]


def _geometry_file(folder, case: Case) -> bad_files.FileCase:
    origin = origin_in(free_estate().geom)
    return next(f for f in bad_files.geometry_files(folder, origin, only=case.name))


def _file_case(folder, name: str) -> bad_files.FileCase:
    origin = origin_in(free_estate().geom)
    estates = list(Estate.objects.order_by("code")[30:36])
    return next(f for f in bad_files.file_cases(folder, origin, estates) if f.name == name)


def import_on_the_web(case: bad_files.FileCase) -> tuple[list[int], str]:
    """(statuses, messages) of upload, dry run and commit — stopping at the first refusal."""
    c = client()
    upload = SimpleUploadedFile(case.path.name, case.path.read_bytes())
    steps = [c.post("/api/imports/", {"file": upload, "target": case.target})]
    if steps[-1].status_code == 201:
        job = steps[-1].json()["id"]
        steps.append(c.post(f"/api/imports/{job}/check/", json.dumps({"mapping": case.mapping}),
                            content_type="application/json"))
        if steps[-1].status_code == 200:
            steps.append(c.post(f"/api/imports/{job}/commit/", "{}", content_type="application/json"))
    return [s.status_code for s in steps], " | ".join(messages(s) for s in steps)


def import_by_command(case: bad_files.FileCase, capsys) -> str:
    mapping = ",".join(f"{k}={v}" for k, v in case.mapping.items())
    with pytest.raises(CommandError) as refused:
        call_command("import_layer", str(case.path), target=case.target, mapping=mapping, user="planner")
    return f"{refused.value} | {capsys.readouterr().out}"


def assert_refused_on_the_web(case: bad_files.FileCase):
    before = fingerprint(import_jobs=False)
    statuses, said = import_on_the_web(case)
    assert fingerprint(import_jobs=False) == before, "a refused import wrote data"
    assert statuses[-1] in (400, 413), (statuses, said[:500])
    assert all(s in (200, 201) for s in statuses[:-1]), statuses
    assert re.search(case.keyword, said, re.I), f"{case.keyword!r} not in {said[:500]!r}"


def assert_refused_by_command(case: bad_files.FileCase, capsys):
    before = fingerprint()
    said = import_by_command(case, capsys)
    assert fingerprint() == before, "a refused import wrote data"
    assert re.search(case.keyword, said, re.I), f"{case.keyword!r} not in {said[:500]!r}"


@pytest.mark.parametrize("case", GEOMETRY_CASES, ids=str)
def test_bad_geometry_file_is_refused_on_the_web(case, tmp_path):
    assert_refused_on_the_web(_geometry_file(tmp_path, case))


@pytest.mark.parametrize("case", GEOMETRY_CASES, ids=str)
def test_bad_geometry_file_is_refused_by_the_command(case, tmp_path, english, capsys):
    assert_refused_by_command(_geometry_file(tmp_path, case), capsys)


@pytest.mark.parametrize("name", FILE_CASE_NAMES)
def test_bad_file_is_refused_on_the_web(name, tmp_path):
    assert_refused_on_the_web(_file_case(tmp_path, name))


@pytest.mark.parametrize("name", FILE_CASE_NAMES)
def test_bad_file_is_refused_by_the_command(name, tmp_path, english, capsys):
    assert_refused_by_command(_file_case(tmp_path, name), capsys)


def test_the_same_file_without_its_defect_is_imported(tmp_path):
    """The control: the geometry files' template, with a valid square, commits."""
    valid = Case("valid", "", valid_polygon)
    origin = origin_in(free_estate().geom)
    path = bad_files._write(tmp_path, "valid", bad_files._feature_collection(valid.build(*origin)))
    statuses, said = import_on_the_web(bad_files.FileCase("valid", "", path))
    assert statuses == [201, 200, 200], said[:500]


# --- files that are not what their extension says ------------------------------------------------------------------

def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _damaged_zip() -> bytes:
    data = bytearray(_zip({"a.shp": b"x" * 5000, "a.dbf": b"y" * 5000}))
    data[40:60] = bytes(range(200, 220))  # inside the first entry's compressed bytes: its CRC fails
    return bytes(data)


def _sqlite_without_layers(folder) -> bytes:
    path = folder / "plain.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a)")
    return path.read_bytes()


NOISE = bytes((i * 7919 + 13) % 256 for i in range(3000))  # no text in any encoding, no known file type
# (file name, content, what the Chinese message must say)
WRONG_FILES = [
    ("random.gpkg", lambda d: NOISE, r"不是 GeoPackage"),
    ("sqlite.gpkg", _sqlite_without_layers, r"无法作为 GeoPackage 读取"),
    ("empty.geojson", lambda d: b"", r"是空文件"),
    ("text.geojson", lambda d: b"not json at all {", r"不是 GeoJSON.*第 1 行"),
    ("array.geojson", lambda d: b"[1, 2, 3]", r"无法作为 GeoJSON 读取"),
    ("random.geojson", lambda d: NOISE, r"UTF-8"),
    ("text.zip", lambda d: "这是一段文字，不是压缩包。".encode(), r"不是有效的 ?zip"),
    ("empty.zip", lambda d: b"", r"是空文件"),
    ("damaged.zip", lambda d: _damaged_zip(), r"已损坏"),
    ("random-shapefile.zip", lambda d: _zip({"a.shp": NOISE[:500], "a.shx": NOISE[:100], "a.dbf": NOISE[:300]}),
     r"Shapefile|shapefile"),
    ("binary.csv", lambda d: NOISE, r"GB18030"),
    ("zeros.csv", lambda d: b"\x00" * 1000, r"空字符"),
    ("nul.csv", lambda d: b"name,lon,lat\nA\x00B,126.6,45.7\n", r"空字符"),
    ("xlsx.csv", lambda d: b"PK\x03\x04" + NOISE, r"GB18030"),
]
ENGLISH_LIBRARY_WORDS = re.compile(r"not recognized|supported file format|DRIVER|GDAL|OGR|pyogrio|Errno|Traceback|"
                                   r"CRC|Bad magic|zipfile|codec|SQLite format|Error", re.I)


def _refused_plainly(response, says: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    text = messages(response)
    assert re.search(says, text), f"{says!r} not in {text!r}"
    assert "/tmp" not in text and "geoapp-" not in text and "/work" not in text, text
    assert not ENGLISH_LIBRARY_WORDS.search(text), text


@pytest.mark.parametrize("name, content, says", WRONG_FILES, ids=[w[0] for w in WRONG_FILES])
def test_a_file_that_is_not_what_its_extension_says_is_refused_in_chinese_through_the_api(
        name, content, says, tmp_path):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username="planner"))
    before = fingerprint()
    response = c.post("/api/imports/", {"file": SimpleUploadedFile(name, content(tmp_path)), "target": "estates"})
    assert fingerprint() == before, "a refused upload left something"
    _refused_plainly(response, says)


@pytest.mark.parametrize("name, content, says", WRONG_FILES, ids=[w[0] for w in WRONG_FILES])
def test_a_file_that_is_not_what_its_extension_says_is_refused_in_chinese_through_the_import_page(
        name, content, says, tmp_path):
    """As the page sends it: the session, the CSRF token the page carries, and the page's default language."""
    c = Client(enforce_csrf_checks=True)
    c.force_login(User.objects.get(username="planner"))
    page = c.get("/imports/")
    assert page.status_code == 200
    token = c.cookies["csrftoken"].value
    response = c.post("/api/imports/", {"file": SimpleUploadedFile(name, content(tmp_path)), "target": "estates"},
                      HTTP_X_CSRFTOKEN=token)
    _refused_plainly(response, says)


@pytest.mark.parametrize("name, content, says", WRONG_FILES[:6], ids=[w[0] for w in WRONG_FILES[:6]])
def test_the_command_names_no_server_path_either(name, content, says, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(CommandError) as refused:
        call_command("import_layer", str(path), target="estates", user="planner")
    assert "geoapp-" not in str(refused.value) and "not recognized" not in str(refused.value)
