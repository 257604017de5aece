"""Coverage figures (docs/COVERAGE_API.md) as a spreadsheet: XLSX (openpyxl) or CSV (UTF-8 with BOM for Excel)."""
from __future__ import annotations

import csv
import io
from typing import Callable

from django.utils.translation import gettext


def _pick(*path: str) -> Callable[[dict], object]:
    def get(row: dict):
        value = row
        for key in path:
            value = value.get(key) if value is not None else None
        return value
    return get


# (heading source string, value getter, kind) — kind picks the XLSX number format.
COLUMNS: list[tuple[str, Callable[[dict], object], str]] = [
    ("Code", _pick("code"), "text"),
    ("Name", _pick("name"), "text"),
    ("Level", _pick("level"), "text"),
    ("Old estates", _pick("old_estates"), "int"),
    ("Old-estate households", _pick("old_households"), "int"),
    ("Old-estate floor area (m²)", _pick("old_floor_area"), "area"),
    ("Estates with professional service", _pick("enterprise", "estates"), "int"),
    ("Households with professional service", _pick("enterprise", "households"), "int"),
    ("Floor area with professional service (m²)", _pick("enterprise", "floor_area"), "area"),
    ("Estates with any service", _pick("served", "estates"), "int"),
    ("Households with any service", _pick("served", "households"), "int"),
    ("Floor area with any service (m²)", _pick("served", "floor_area"), "area"),
    ("Professional property service", _pick("by_status", "enterprise"), "int"),
    ("Caretaker (fallback) service", _pick("by_status", "caretaker"), "int"),
    ("Self-governed", _pick("by_status", "self_governed"), "int"),
    ("No service", _pick("by_status", "none"), "int"),
    ("Socialised rate (estates)", _pick("socialised_rate", "estates"), "rate"),
    ("Socialised rate (households)", _pick("socialised_rate", "households"), "rate"),
    ("Socialised rate (floor area)", _pick("socialised_rate", "floor_area"), "rate"),
    ("Service rate (estates)", _pick("service_rate", "estates"), "rate"),
    ("Service rate (households)", _pick("service_rate", "households"), "rate"),
    ("Service rate (floor area)", _pick("service_rate", "floor_area"), "rate"),
    ("Owners' committee rate", _pick("owners_committee_rate"), "rate"),
    ("Abandoned buildings: reported", _pick("abandoned", "reported"), "int"),
    ("Abandoned buildings: verified", _pick("abandoned", "verified"), "int"),
    ("Abandoned buildings: under caretaker", _pick("abandoned", "under_caretaker"), "int"),
    ("Abandoned buildings: resolved", _pick("abandoned", "resolved"), "int"),
    ("Renovation projects: planned", _pick("renovation", "planned"), "int"),
    ("Renovation projects: in progress", _pick("renovation", "in_progress"), "int"),
    ("Renovation projects: completed", _pick("renovation", "completed"), "int"),
    # Complaints received in the year up to the date (DOMAIN.md "Supervision").
    ("Complaints", _pick("complaints", "complaints"), "int"),
    ("Complaints per 1,000 households", _pick("complaints", "per_1000_households"), "area"),
    ("On-time rate", _pick("complaints", "on_time_rate"), "rate"),
    ("Satisfaction rate", _pick("complaints", "satisfaction_rate"), "rate"),
    ("Overdue", _pick("complaints", "overdue"), "int"),
    # Daily inspections made in the same year, and the annual assessment's ranks among the exported areas
    # (001 §4(2); DOMAIN.md "Assessment of organisations").
    ("Inspections", _pick("inspections", "inspections"), "int"),
    ("Estates inspected", _pick("inspections", "estates_inspected"), "int"),
    ("Share of estates inspected", _pick("inspections", "inspected_share"), "rate"),
    ("Average inspection score (%)", _pick("inspections", "average_pct"), "area"),
    ("Coverage rank", _pick("assessment", "coverage_rank"), "int"),
    ("Complaint rank", _pick("assessment", "complaint_rank"), "int"),
    ("Inspection rank", _pick("assessment", "inspection_rank"), "int"),
    ("Assessment rank", _pick("assessment", "rank"), "int"),
]
NUMBER_FORMATS = {"int": "#,##0", "area": "#,##0.00", "rate": "0.0%", "text": "@"}


def headings() -> list[str]:
    return [gettext(source) for source, _, _ in COLUMNS]


def table(figures: dict) -> list[list]:
    """The rows of the export: one per area in the figures' order, then the total (its name prefixed)."""
    rows = [[get(row) for _, get, _ in COLUMNS] for row in figures["rows"]]
    total = [get(figures["total"]) for _, get, _ in COLUMNS]
    total[1] = f"{gettext('Total')}: {total[1]}" if total[1] else gettext("Total")
    return rows + [total]


def filename(figures: dict, extension: str) -> str:
    return f"coverage-{figures['level']}-{figures['date']}.{extension}"


def coverage_xlsx(figures: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = figures["date"]
    sheet.append(headings())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in table(figures):
        sheet.append(values)
    for index, (_, _, kind) in enumerate(COLUMNS, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = NUMBER_FORMATS[kind]
    sheet.freeze_panes = "D2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def coverage_csv(figures: dict) -> bytes:
    """CSV with a byte-order mark: Excel otherwise reads UTF-8 Chinese as the local code page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings())
    for values in table(figures):
        writer.writerow(["" if v is None else v for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
