"""A takeover plan as GeoJSON (bundles with their estates, or one feature per estate) or CSV (UTF-8 with BOM)."""
from __future__ import annotations

import csv
import io
import json

from django.db import connection
from django.utils.translation import gettext

from ..models import TakeoverPlan

# One row per estate of the plan's bundles, easiest bundle first.
ESTATE_ROWS_SQL = """
SELECT b.id, b.rank, b.households, round(b.floor_area::numeric, 2), round(b.score::numeric, 4),
       en.id, en.name, en.credit_code, e.id, e.code, e.name, s.name, c.name, e.households,
       round(e.floor_area::numeric, 2), e.build_year, ST_AsGeoJSON(e.geom, 6, 0)
  FROM layers_bundle b
  JOIN layers_bundleestate be ON be.bundle_id = b.id
  JOIN layers_estate e ON e.id = be.estate_id
  JOIN layers_adminarea c ON c.id = e.community_id
  JOIN layers_adminarea s ON s.id = c.parent_id
  LEFT JOIN layers_enterprise en ON en.id = b.enterprise_id
 WHERE b.plan_id = %(plan)s
 ORDER BY b.rank, b.id, e.code
"""
BUNDLE_GEOMS_SQL = "SELECT id, ST_AsGeoJSON(geom, 6, 0) FROM layers_bundle WHERE plan_id = %(plan)s"

# (heading source string, index in ESTATE_ROWS_SQL)
CSV_COLUMNS = [
    ("Bundle rank", 1), ("Bundle households", 2), ("Bundle floor area (m²)", 3), ("Ease score", 4),
    ("Enterprise", 6), ("Unified social credit code", 7), ("Estate code", 9), ("Estate name", 10),
    ("Street office", 11), ("Community", 12), ("Households", 13), ("Floor area (m²)", 14), ("Build year", 15),
]


def _rows(plan: TakeoverPlan) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(ESTATE_ROWS_SQL, {"plan": plan.pk})
        return cursor.fetchall()


def _num(value):
    return float(value) if value is not None else None


def _plan_properties(plan: TakeoverPlan) -> dict:
    return {"id": plan.pk, "name": plan.name, "status": plan.status, "version": plan.version,
            "start_date": plan.start_date.isoformat(), "street_id": plan.street_id, "parameters": plan.parameters}


def plan_geojson(plan: TakeoverPlan, *, per: str = "bundle") -> dict:
    """per="bundle": one feature per bundle (its outline) listing its estates; per="estate": one per estate."""
    rows = _rows(plan)
    if per == "estate":
        features = [
            {"type": "Feature", "id": r[8], "geometry": json.loads(r[16]),
             "properties": {"estate_id": r[8], "code": r[9], "name": r[10], "street": r[11], "community": r[12],
                            "households": r[13], "floor_area": _num(r[14]), "build_year": r[15],
                            "bundle_id": r[0], "bundle_rank": r[1], "enterprise_id": r[5], "enterprise": r[6]}}
            for r in rows
        ]
    else:
        with connection.cursor() as cursor:
            cursor.execute(BUNDLE_GEOMS_SQL, {"plan": plan.pk})
            outlines = {pk: json.loads(g) if g else None for pk, g in cursor.fetchall()}
        bundles: dict[int, dict] = {}
        for r in rows:
            feature = bundles.setdefault(r[0], {
                "type": "Feature", "id": r[0], "geometry": outlines.get(r[0]),
                "properties": {"bundle_id": r[0], "rank": r[1], "households": r[2], "floor_area": _num(r[3]),
                               "score": _num(r[4]), "enterprise_id": r[5], "enterprise": r[6],
                               "enterprise_credit_code": r[7], "estates": []}})
            feature["properties"]["estates"].append(
                {"id": r[8], "code": r[9], "name": r[10], "households": r[13], "floor_area": _num(r[14])})
        features = list(bundles.values())
    return {"type": "FeatureCollection", "name": plan.name, "plan": _plan_properties(plan), "features": features}


def headings() -> list[str]:
    return [gettext(source) for source, _ in CSV_COLUMNS]


def plan_csv(plan: TakeoverPlan) -> bytes:
    """One row per estate, with its bundle; a byte-order mark so that Excel reads the Chinese as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings())
    for r in _rows(plan):
        writer.writerow(["" if r[i] is None else r[i] for _, i in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(plan: TakeoverPlan, extension: str) -> str:
    return f"takeover-plan-{plan.pk}-v{plan.version}.{extension}"
