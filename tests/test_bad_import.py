"""Bad import files (tests/bad_files.py) through the web import (upload → dry run → commit) and `import_layer`.

A file is refused at the first step that can tell: the upload (unreadable file, 4xx), the dry run (4xx for a
whole-file problem, or 200 with the row's error in the report) — and then the commit is refused (400) too. The
message names the defect (Accept-Language en) and no data is written (the import job itself may record the refusal).
"""
from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

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
