"""The import's pure helpers, without a database: GCJ-02, CRS guessing, encodings, mapping, zip safety."""
import io
import math
import zipfile

import numpy as np
import pytest
from pyproj import Transformer

from layers.io import crs, encoding, gcj02, mapping, readers

CITY = (126.96, 45.54)  # the demo district (Acheng, Harbin)


def metres(a, b):
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(lat), (a[1] - b[1]) * 111_320)


def test_gcj02_shifts_hundreds_of_metres_in_china_and_inverts_exactly():
    points = np.array([CITY, (116.397, 39.909), (121.47, 31.23)])
    shifted = gcj02.wgs84_to_gcj02(points)
    for p, s in zip(points, shifted):
        assert 100 < metres(p, s) < 1000
    back = gcj02.gcj02_to_wgs84(shifted)
    assert np.abs(back - points).max() < 1e-8  # < 1 mm


def test_gcj02_known_value_beijing():
    # Tiananmen: WGS84 116.3912757, 39.906217 → GCJ-02 116.397507, 39.907617 (published conversions agree to ~1e-5°)
    lon, lat = gcj02.wgs84_to_gcj02(np.array([[116.3912757, 39.906217]]))[0]
    assert abs(lon - 116.3975) < 2e-5 and abs(lat - 39.9076) < 2e-5


def test_gcj02_leaves_points_outside_china():
    paris = np.array([[2.35, 48.85]])
    assert (gcj02.wgs84_to_gcj02(paris) == paris).all()


def test_judge_offsets_tells_gcj02_from_noise():
    rng = np.random.default_rng(1)
    reference = np.array(CITY) + rng.uniform(-0.02, 0.02, size=(30, 2))
    shifted = gcj02.wgs84_to_gcj02(reference) + rng.normal(0, 5e-5, size=(30, 2))
    verdict = gcj02.judge_offsets(shifted, reference)
    assert verdict.suspected and 300 < verdict.median_m < 800
    noisy = reference + rng.normal(0, 1e-4, size=(30, 2))  # ~10 m of survey noise
    assert not gcj02.judge_offsets(noisy, reference).suspected
    wrong_way = reference + np.array([0.0, -0.006])  # 670 m south: shifted, but not like GCJ-02
    assert not gcj02.judge_offsets(wrong_way, reference).suspected
    assert not gcj02.judge_offsets(shifted[:2], reference[:2]).suspected  # too few to tell


# Published pairs (wandergis/coordtransform README, the most copied implementation; its GCJ-02 → WGS84 and
# BD-09 → GCJ-02 are the one-step approximations, which ours, iterated to exactness, must match within 1e-6°).
KNOWN = [
    ("wgs84_to_gcj02", (116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-9),
    ("gcj02_to_bd09", (116.404, 39.915), (116.41036949371029, 39.92133699351021), 1e-9),
    ("wgs84_to_bd09", (116.404, 39.915), (116.41662724378733, 39.922699552216216), 1e-9),
    ("bd09_to_gcj02", (116.404, 39.915), (116.39762729119315, 39.90865673957631), 1e-6),
    ("gcj02_to_wgs84", (116.404, 39.915), (116.39775550083061, 39.91359571849836), 1e-6),
    # Beijing railway station (caijun/geoChina, R): GCJ-02 39.90245N 116.42703E ↔ BD-09 39.90851N 116.43351E
    ("gcj02_to_bd09", (116.42703, 39.90245), (116.43351, 39.90851), 1e-5),
]


@pytest.mark.parametrize("name,given,expected,tolerance", KNOWN)
def test_offset_systems_match_published_pairs(name, given, expected, tolerance):
    got = getattr(gcj02, name)(np.array([given]))[0]
    assert abs(got[0] - expected[0]) < tolerance and abs(got[1] - expected[1]) < tolerance, got


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_offset_systems_round_trip_to_a_millimetre(system):
    rng = np.random.default_rng(3)
    points = np.column_stack([rng.uniform(75, 134, 200), rng.uniform(18, 53, 200)])  # all over China
    forward, back = gcj02.SYSTEMS[system]
    shifted = forward(points)
    assert np.all(np.hypot(*(shifted - points).T) > 5e-4)  # every point moved (by tens of metres or more)
    assert np.abs(back(shifted) - points).max() < 1e-8  # < 1 mm
    assert np.abs(forward(back(points)) - points).max() < 1e-8


def test_bd09_is_a_further_offset_of_about_a_kilometre_in_harbin():
    gcj_east, gcj_north = gcj02.offset_metres(*CITY, "gcj02")
    bd_east, bd_north = gcj02.offset_metres(*CITY, "bd09")
    assert 300 < math.hypot(gcj_east, gcj_north) < 800
    assert 1000 < math.hypot(bd_east, bd_north) < 1600
    assert math.hypot(bd_east - gcj_east, bd_north - gcj_north) > 500


def test_judge_systems_tells_bd09_from_gcj02():
    rng = np.random.default_rng(2)
    reference = np.array(CITY) + rng.uniform(-0.02, 0.02, size=(30, 2))
    noise = rng.normal(0, 5e-5, size=(30, 2))
    bd = gcj02.judge_systems(gcj02.wgs84_to_bd09(reference) + noise, reference)
    assert bd.suspected and bd.system == "bd09"
    gcj = gcj02.judge_systems(gcj02.wgs84_to_gcj02(reference) + noise, reference)
    assert gcj.suspected and gcj.system == "gcj02"
    assert not gcj02.judge_systems(reference + noise, reference).suspected


@pytest.mark.parametrize("epsg", [3857, 4530, 4551])
def test_guess_crs_from_coordinate_ranges(epsg):
    to = Transformer.from_crs(4490, epsg, always_xy=True)
    xs, ys = to.transform([126.94, 126.99], [45.52, 45.56])
    guess = crs.guess_crs((min(xs), min(ys), max(xs), max(ys)), hint_lon=CITY[0])
    assert guess.epsg == epsg, guess.reason


def test_guess_crs_degrees_and_unknowns():
    assert crs.guess_crs((126.9, 45.5, 127.0, 45.6)).epsg == 4490
    plain_gk = (450_000, 5_040_000, 460_000, 5_050_000)
    assert crs.guess_crs(plain_gk).epsg is None  # the zone cannot be told without the district
    assert crs.guess_crs(plain_gk, hint_lon=117.2).epsg == 4548  # CM 117°E
    assert crs.guess_crs((-5e6, 1, -4e6, 2)).epsg is None
    assert crs.gk_epsg(42, prefixed=True) == 4530 and crs.gk_epsg(42, prefixed=False) == 4551
    assert "zone 42" in crs.describe(4530) and "126°E" in crs.describe(4551)


def test_encoding_detection():
    text = "名称,户数\n木材厂家属院,576\n"
    assert encoding.detect(text.encode("utf-8")).encoding == "utf-8"
    assert encoding.detect(b"\xef\xbb\xbf" + text.encode("utf-8")).label == "UTF-8 (BOM)"
    assert encoding.detect(text.encode("gbk")).encoding == "gb18030"
    assert encoding.detect(text.encode("gb18030")).encoding == "gb18030"
    assert encoding.detect(b"plain ascii").encoding == "utf-8"
    with pytest.raises(encoding.EncodingUnknown):
        encoding.detect(b"\x81\x20\xff\xfe")
    assert encoding.cpg_label("936") == "GBK" and encoding.cpg_label(" UTF-8\n") == "UTF-8"


def test_mapping_suggestion_by_name_and_chinese_alias():
    columns = ["OBJECTID", "小区名称", "小区编码", "总户数", "建成年份", "Shape_Area"]
    aliases = {"code": ("编码", "代码"), "name": ("名称",), "households": ("户数",), "build_year": ("建成年份",),
               "address": ("地址",)}
    assert mapping.suggest(columns, aliases) == {"code": "小区编码", "name": "小区名称", "households": "总户数",
                                                 "build_year": "建成年份"}
    assert mapping.suggest(["Name", "CODE"], {"code": (), "name": ()}) == {"code": "CODE", "name": "Name"}


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, limits, message", [
    ([(f"f{i}.txt", b"x") for i in range(6)], readers.Limits(max_zip_entries=5), "holds 6 entries; at most 5"),
    ([("big.dbf", b"\0" * 2_000_000)], readers.Limits(max_uncompressed_bytes=1_000_000), "unpacks to 1.9 MB"),
    ([("../../etc/evil.shp", b"x")], readers.Limits(), "unsafe path “../../etc/evil.shp”"),
    ([("/abs/evil.shp", b"x")], readers.Limits(), "unsafe path"),
    ([("a.txt", b"x")], readers.Limits(), "holds no shapefile"),
])
def test_zip_limits_are_refused_with_a_clear_message(tmp_path, entries, limits, message):
    path = tmp_path / "upload.zip"
    path.write_bytes(zip_bytes(entries))
    with pytest.raises(readers.ReadError) as refused:
        readers.read(path, limits=limits)
    assert message in str(refused.value)
    assert refused.value.status == 400
    assert not list(tmp_path.glob("**/evil.shp")) and not (tmp_path.parent / "etc").exists()


def test_too_big_a_file_is_413(tmp_path):
    path = tmp_path / "big.geojson"
    path.write_bytes(b" " * 2000)
    with pytest.raises(readers.ReadError) as refused:
        readers.read(path, limits=readers.Limits(max_bytes=1000))
    assert refused.value.status == 413 and "files up to" in str(refused.value)


def test_csv_reader_finds_wkt_or_lonlat_and_counts_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("编码,名称,经度,纬度\nA1,甲,126.95,45.53\n\nA2,乙,x,45.54\n".encode("gb18030"))
    table = readers.read(path)
    assert table.encoding == "GB18030" and table.geometry_columns == ["经度", "纬度"]
    assert table.row_numbers == [2, 4]  # line numbers as in a spreadsheet; blank lines skipped
    assert table.rows[0]["名称"] == "甲" and table.geoms[0].x == 126.95
    assert isinstance(table.geoms[1], readers.GeometryProblem)
