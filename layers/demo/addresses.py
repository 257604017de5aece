"""Hotline addresses written the ways operators write them, each labelled with its estate (and building): pure.

The labelled set of docs/ADDRESS_MATCHING.md is drawn from a demo city (same scale and seed, same set), so it
matches what load_demo writes. DOMAIN.md "Supervision": 12345/12319 work orders carry the caller's free-text address.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from ..planning.address import estate_aliases, road_stem
from .city import City
from .names import numeral

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Characters a typo may put in place of another (near in sound or shape is not needed: one wrong character).
TYPO_CHARACTERS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
KINDS = ("full", "road_number", "estate_building", "abbreviated_road", "no_district", "typo", "unit_room",
         "full_width", "alias", "numeral_building")
CSV_FIELDS = ("address", "estate_code", "building_code", "kind")


@dataclass(frozen=True)
class LabelledAddress:
    address: str
    estate_code: str
    building_code: str  # "" when the address names no building
    kind: str


def _abbreviated(road: str) -> str:
    """解放大街 → 解放街, 和平大道 → 和平道: the short forms operators write; other roads unchanged."""
    stem = road_stem(road)
    return {"大街": stem + "街", "大道": stem + "道"}.get(road[len(stem):], road)


def _typo(rng: random.Random, text: str) -> str:
    """One character wrong or two neighbours swapped, never in the first character."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    if rng.random() < 0.5 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + rng.choice([c for c in TYPO_CHARACTERS if c != text[i]]) + text[i + 1:]


def labelled_addresses(city: City, n: int, seed: int = 12345) -> list[LabelledAddress]:
    """n addresses over the city's estates, the kinds in turn; the same (city, n, seed) always gives the same list."""
    rng = random.Random(seed)
    street_name = {s.code: s.name for s in city.streets}
    community_name = {c.code: c.name for c in city.communities}
    estates = [e for e in city.estates if e.buildings]
    out = []
    for k in range(n):
        e = rng.choice(estates)
        kind = KINDS[k % len(KINDS)]
        b = rng.choice(e.buildings)
        bnum = b.label.removesuffix("号楼")
        unit = f"{rng.randint(1, 6)}单元"
        room = f"{rng.randint(1, 7)}0{rng.randint(1, 4)}"
        road = e.address.removesuffix("号")
        road_name = road.rstrip("0123456789")
        number = road[len(road_name):]
        building_code = ""
        if kind == "full":
            text = f"{city.district.name}{street_name[e.street_code]}{e.address}{e.name}{b.label}{unit}"
            building_code = b.code
        elif kind == "road_number":
            text = e.address + rng.choice(("", "院", unit))
        elif kind == "estate_building":
            text = e.name + rng.choice((b.label, f"{bnum}栋", f"{bnum}号楼{unit}"))
            building_code = b.code
        elif kind == "abbreviated_road":
            text = _abbreviated(road_name) + number + "号" + rng.choice(("", "院", unit))
        elif kind == "no_district":
            text = rng.choice((street_name[e.street_code], community_name[e.community_code])) + e.name + b.label
            building_code = b.code
        elif kind == "typo":
            text = rng.choice((e.address + _typo(rng, e.name), _typo(rng, road_name) + number + "号" + e.name))
        elif kind == "unit_room":
            text = f"{e.name}{bnum}-{unit[0]}-{room}" if rng.random() < 0.5 else f"{e.address}{e.name}{b.label}{unit}{room}室"
            building_code = b.code
        elif kind == "full_width":
            text = (e.address + e.name + b.label).translate(FULL_WIDTH)
            building_code = b.code
        elif kind == "alias":
            aliases = estate_aliases(e.name)
            text = f"{rng.choice(aliases) if aliases else e.name}{b.label}"
            building_code = b.code
        else:  # numeral_building
            text = f"{e.name}{numeral(int(bnum)) if int(bnum) <= 99 else bnum}号楼"
            building_code = b.code
        out.append(LabelledAddress(text, e.code, building_code, kind))
    return out


def labelled_csv(rows: list[LabelledAddress]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows((r.address, r.estate_code, r.building_code, r.kind) for r in rows)
    return buffer.getvalue()
