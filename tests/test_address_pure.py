"""The hotline-address parser (layers/planning/address.py): parts, normalisation, aliases, and the labelled set."""
import pytest

from layers.demo.addresses import KINDS, labelled_addresses, labelled_csv
from layers.demo.city import generate_city
from layers.planning.address import estate_aliases, estate_core, normalise, parse, road_stem


@pytest.mark.parametrize("text, parts", [
    ("阿城区金城街道解放大街100号3单元",
     {"district": "阿城区", "street": "金城街道", "road": "解放大街", "number": "100", "unit": "3", "estate": ""}),
    ("解放街100号院", {"road": "解放街", "number": "100", "estate": "", "district": ""}),
    ("金都小区5号楼", {"estate": "金都小区", "building": "5", "road": "", "district": ""}),
    ("哈尔滨市阿城区金都小区三号楼2单元201室", {"district": "阿城区", "estate": "金都小区", "building": "3",
                                               "unit": "2", "room": "201"}),
    ("解放大街１００号 金都小区5-3-201", {"road": "解放大街", "number": "100", "estate": "金都小区",
                                          "building": "5", "unit": "3", "room": "201"}),
    ("和平社区金都小区5栋", {"community": "和平社区", "estate": "金都小区", "building": "5"}),
    ("江北路430号院2号楼1单元", {"road": "江北路", "number": "430", "estate": "", "building": "2", "unit": "1"}),
    ("康街乐362号海棠小区", {"road": "康街乐", "number": "362", "estate": "海棠小区"}),  # misspelt road
    ("平原4号楼", {"estate": "平原", "building": "4", "road": ""}),
])
def test_parse_takes_hotline_addresses_apart(text, parts):
    parsed = parse(text)
    assert {name: getattr(parsed, name) for name in parts} == parts


def test_a_word_ending_in_qu_is_not_a_district():
    assert parse("金都小区5号楼").district == ""
    assert parse("和平社区金都小区").district == ""


def test_normalise_turns_full_width_and_numerals_into_digits():
    assert normalise("解放大街１００号（三单元）") == "解放大街100号3单元"
    assert normalise("十二号楼") == "12号楼"
    assert normalise("二十三栋") == "23栋"
    assert normalise("金都小区二期") == "金都小区二期"  # a period is no building number


def test_road_stem_and_estate_core():
    assert road_stem("解放大街") == road_stem("解放街") == "解放"
    assert road_stem("莲池胡同") == "莲池"
    assert estate_core("金都小区二期") == "金都"
    assert estate_aliases("阿城糖厂家属楼") == ["阿城糖厂", "糖厂家属楼"]
    assert estate_aliases("金都") == []


def test_labelled_addresses_are_deterministic_and_cover_every_kind():
    city = generate_city(scale="small", seed=3)
    first, again = labelled_addresses(city, 60), labelled_addresses(city, 60)
    assert labelled_csv(first) == labelled_csv(again)
    assert {a.kind for a in first} == set(KINDS)
    codes = {e.code for e in city.estates}
    assert all(a.estate_code in codes for a in first)
    assert any("１" in a.address or "２" in a.address or "３" in a.address for a in first if a.kind == "full_width")
