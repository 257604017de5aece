"""Hotline addresses as written by operators, taken apart into district/street/road/number/estate/building/unit (pure).

DOMAIN.md "Supervision": 12345/12319 work orders carry the caller's address as free text ("阿城区金城街道解放大街
100号3单元", "解放街100号院", "金都小区5号楼"); to locate a complaint on an estate the address is normalised here and
matched against the estates' names, aliases and addresses in layers/selectors/address.py.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Road suffixes, longest first so that 解放大街 is read as 解放 + 大街, not 解放大 + 街.
ROAD_SUFFIXES = ("大街", "大道", "道街", "胡同", "路", "街", "巷", "里")
ROAD_SUFFIX_RE = "|".join(ROAD_SUFFIXES)
# Generic estate words an operator may leave out (金都小区 → 金都).
ESTATE_SUFFIXES = ("住宅区", "小区", "家园", "新村", "公寓", "花园", "嘉园", "名苑", "雅居", "华府", "公馆", "尚城",
                   "家属楼", "家属院", "宿舍", "苑")
# Place prefixes dropped before parsing: the province and city are the same for every address of the district.
PLACE_PREFIXES = ("黑龙江省", "黑龙江", "哈尔滨市", "哈尔滨")
# Words that end in 区 but are not a district.
NOT_DISTRICTS = ("小区", "社区", "住宅区", "校区", "园区", "厂区", "号院区")

_NUMERALS = {c: i + 1 for i, c in enumerate("一二三四五六七八九")}
_NUMERAL_RE = re.compile(r"([一二三四五六七八九十]{1,3})(?=号楼|号|栋|幢|单元|楼|层|室)")
_DROP_RE = re.compile(r"[\s,，。．.、;；:：\"'“”‘’()（）\[\]【】<>《》#＃~～_]+")
_DISTRICT_RE = re.compile(r"^([\u4e00-\u9fff]{1,4}?(?:区|县))(?=.)")
_STREET_RE = re.compile(r"^([\u4e00-\u9fff]{1,6}?(?:街道办事处|街道办|街道|镇|乡))(?=.)")
_COMMUNITY_RE = re.compile(r"^([\u4e00-\u9fff]{1,6}?社区(?:居委会)?)(?=.)")
_ROAD_RE = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:" + ROAD_SUFFIX_RE + r"))(\d{1,5})(?:号院|号|(?![\d楼栋幢单元层室-]))")
# No road suffix recognised (a misspelt road): text, a number and 号, then an estate or nothing.
_NUMBERED_RE = re.compile(r"^([\u4e00-\u9fff]{2,8}?)(\d{1,5})号(?:院)?(?![楼\d])")
_TRIPLE_RE = re.compile(r"(\d{1,3})-(\d{1,2})-(\d{1,4})$")  # 5-3-201: building-unit-room
_BUILDING_RE = re.compile(r"(\d{1,3})(?:号楼|栋|幢|号|楼)")
_UNIT_RE = re.compile(r"(\d{1,2})(?:单元|门)")
_ROOM_RE = re.compile(r"(\d{1,2}层)?(\d{1,5})(?:室|号房|户)?$")


@dataclass(frozen=True)
class ParsedAddress:
    text: str  # the normalised whole
    district: str = ""
    street: str = ""
    community: str = ""
    road: str = ""  # as written, with its suffix: 解放大街
    number: str = ""  # the house number on the road: "100"
    estate: str = ""  # what is left to be an estate name: 金都小区
    building: str = ""  # "5"
    unit: str = ""
    room: str = ""

    @property
    def road_stem(self) -> str:
        return road_stem(self.road)


def _numeral_value(chars: str) -> str:
    """一..九十九 → digits (only the forms found before 号/栋/单元: 三, 十二, 二十, 二十三)."""
    if "十" not in chars:
        return str(_NUMERALS.get(chars, 0)) if len(chars) == 1 else chars
    tens, _, ones = chars.partition("十")
    value = (_NUMERALS.get(tens, 0) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)
    return str(value)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), punctuation and spaces out, Chinese numerals before 号/栋/单元 to digits."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("—", "-").replace("－", "-")
    text = _DROP_RE.sub("", text)
    return _NUMERAL_RE.sub(lambda m: _numeral_value(m.group(1)), text)


def road_stem(road: str) -> str:
    """The road without its kind: 解放大街, 解放街 → 解放 (operators shorten 大街 to 街)."""
    for suffix in ROAD_SUFFIXES:
        if road.endswith(suffix) and len(road) > len(suffix):
            return road[: -len(suffix)]
    return road


def estate_core(name: str) -> str:
    """An estate name without its generic word and period: 金都小区二期 → 金都."""
    name = re.sub(r"[一二三四五六七八九]+[期区]$", "", name)
    for suffix in ESTATE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def estate_aliases(name: str) -> list[str]:
    """Short names operators use for an estate: without the generic word (金都小区 → 金都), without the town
    (阿城糖厂家属楼 → 糖厂家属楼). The estate's own name is not repeated."""
    out = []
    for alias in (estate_core(name), name.removeprefix("阿城") if name.startswith("阿城") else ""):
        if alias and alias != name and len(alias) >= 2 and alias not in out:
            out.append(alias)
    return out


def _strip_prefix(pattern: re.Pattern, text: str, refuse=()) -> tuple[str, str]:
    match = pattern.match(text)
    if not match or match.group(1).endswith(refuse):
        return "", text
    return match.group(1), text[match.end():]


def parse(text: str) -> ParsedAddress:
    """Take a hotline address apart. Every part is optional; what is not recognised stays in `estate`."""
    whole = normalise(text)
    rest = whole
    for prefix in PLACE_PREFIXES:
        rest = rest.removeprefix(prefix)
    district, rest = _strip_prefix(_DISTRICT_RE, rest, NOT_DISTRICTS)
    street, rest = _strip_prefix(_STREET_RE, rest)
    community, rest = _strip_prefix(_COMMUNITY_RE, rest)
    road = number = ""
    match = _ROAD_RE.search(rest)
    if match and not match.group(1).endswith(tuple(ESTATE_SUFFIXES)):
        road, number = match.group(1), match.group(2)
        # An estate name written before the road belongs to the estate ("金都小区解放大街100号" is rare; the
        # usual order is road then estate), so keep both sides of the road as estate text.
        rest = rest[: match.start()] + rest[match.end():]
    elif (numbered := _NUMBERED_RE.match(rest)) and not numbered.group(1).endswith(tuple(ESTATE_SUFFIXES)):
        road, number = numbered.group(1), numbered.group(2)
        rest = rest[numbered.end():]
    building = unit = room = ""
    triple = _TRIPLE_RE.search(rest)
    if triple:
        building, unit, room = triple.groups()
        rest = rest[: triple.start()]
    else:
        unit_match = _UNIT_RE.search(rest)
        if unit_match:
            unit = unit_match.group(1)
            tail = rest[unit_match.end():]
            room_match = _ROOM_RE.search(tail)
            room = room_match.group(2) if room_match else ""
            rest = rest[: unit_match.start()]
        building_match = None
        for building_match in _BUILDING_RE.finditer(rest):
            pass
        if building_match and (building_match.end() == len(rest) or not unit):
            building = building_match.group(1)
            rest = rest[: building_match.start()]
    estate = re.sub(r"^\d+", "", rest).rstrip("-")
    return ParsedAddress(whole, district, street, community, road, number, estate, building, unit, room)
