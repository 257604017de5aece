"""Hotline work orders (12345 / 12319) imported from the XLSX or CSV the hotline system exports (DOMAIN.md
"Supervision"): a dry run reports every row (estate matched and how surely, to confirm, duplicate, errors by row and
column), the commit takes every new order in one transaction, once per order number.
"""
from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..io import encoding as enc
from ..io.readers import Limits, ReadError, read_csv
from ..models import Channel, Complaint, ComplaintCategory
from ..permissions import ADD, may, require
from ..refusals import Forbidden, Invalid, TooLarge
from ..selectors.address import match_addresses
from ..selectors.complaints import category_finder
from .complaints import ADDRESS_MAX_CHARS, CALLER_WORDS_MAX_CHARS, _district, complaint_create_many, \
    ensure_default_categories

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
COMMIT_CHUNK = 500  # orders taken in per bulk insert (and per progress report of the background job)
HEADER_SEARCH_ROWS = 5  # an export may put a title line or two above its header

# The column names hotline systems use in their exports (first one is what the report calls the column).
COLUMNS = {
    "order_no": ("工单编号", "工单号", "编号", "order_no"),
    "received_at": ("受理时间", "来电时间", "登记时间", "received_at"),
    "caller_words": ("来电内容", "诉求内容", "内容", "caller_words"),
    "address_text": ("地址", "事发地址", "诉求地址", "address"),
    "hotline_category": ("类别", "诉求类别", "问题分类", "category"),
    "caller_name": ("来电人", "姓名", "caller_name"),
    "caller_phone": ("联系电话", "电话", "caller_phone"),
    "source": ("来源", "渠道", "source"),
}
REQUIRED = ("order_no", "received_at", "caller_words", "address_text")
SOURCES = {"12345": Channel.HOTLINE_12345, "12319": Channel.HOTLINE_12319}
# The hotline systems' usual form, read without trying every format in turn (the same moment DATE_FORMATS give).
ISO_TIME_RE = re.compile(r"\d{4}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y%m%d%H%M%S")


@dataclass
class Row:
    number: int  # the row number the user sees in the spreadsheet
    values: dict
    errors: list[dict] = field(default_factory=list)
    received_at: datetime.datetime | None = None
    channel: str = ""
    status: str = "new"  # new | to_confirm | existing | duplicate | error
    match: object = None
    category: object = None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the numbered rows of an XLSX or CSV (UTF-8 or GBK/GB18030) file; Invalid when unreadable."""
    if not data:
        raise Invalid(_("“%(name)s” is empty: the file holds no work orders.") % {"name": name}, field="file")
    if len(data) > MAX_BYTES:
        raise too_large(name)
    lower = name.lower()
    if lower.endswith(".csv"):
        try:
            table = read_csv(data, name=name, limits=Limits(max_rows=MAX_ROWS))
        except ReadError as exc:
            raise Invalid(exc.translated(_), field="file") from None
        rows = [(n, [row.get(c, "") for c in table.columns]) for n, row in zip(table.row_numbers, table.rows)]
        return table.columns, rows
    if lower.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, name)
    raise Invalid(_("“%(name)s”: unsupported file type; use .xlsx or .csv as exported by the hotline system.")
                  % {"name": name}, field="file")


def too_large(name: str) -> TooLarge:
    return TooLarge(_("“%(name)s” is too large: at most %(max)d MB.") % {"name": name, "max": MAX_BYTES >> 20})


def count_rows(data: bytes, name: str) -> int:
    """How many orders the file holds (to decide whether the commit runs as a background job)."""
    return len(read_rows(data, name)[1])


def _read_xlsx(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        lines = list(sheet.iter_rows(values_only=True))
        book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError) as exc:
        raise Invalid(_("“%(name)s” cannot be read as an XLSX spreadsheet: the file is damaged or is not an Excel "
                        "workbook (%(reason)s).") % {"name": name, "reason": type(exc).__name__}, field="file") from None
    known = {spelling for spellings in COLUMNS.values() for spelling in spellings}
    for k, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        header = [_cell(v) for v in line]
        if known & set(header):
            rows = [(k + 2 + j, [_cell(v) if not isinstance(v, datetime.datetime) else v for v in values])
                    for j, values in enumerate(lines[k + 1:]) if any(_cell(v) for v in values)]
            if len(rows) > MAX_ROWS:
                raise TooLarge(_("“%(name)s” has more than %(max)d rows.") % {"name": name, "max": MAX_ROWS})
            return header, rows
    if not any(any(_cell(v) for v in line) for line in lines):
        raise Invalid(_("“%(name)s” is empty: the file holds no work orders.") % {"name": name}, field="file")
    raise Invalid(_("“%(name)s”: no header line with the hotline columns (工单编号, 受理时间, 来电内容, 地址) in its "
                    "first %(n)d lines.") % {"name": name, "n": HEADER_SEARCH_ROWS}, field="file")


def _columns(header: list[str], name: str) -> dict[str, int]:
    positions = {}
    lowered = [h.strip().lower() for h in header]
    for key, spellings in COLUMNS.items():
        for spelling in spellings:
            if spelling.lower() in lowered:
                positions[key] = lowered.index(spelling.lower())
                break
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in positions]
    if missing:
        raise Invalid(_("“%(name)s” lacks the column(s) %(columns)s (the hotline export's 工单编号, 受理时间/来电时间, "
                        "来电内容/诉求内容, 地址/事发地址).") % {"name": name, "columns": "、".join(missing)},
                      field="file")
    return positions


def _parse_time(value) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time(9))
    else:
        text = str(value or "").strip()
        moment = None
        if ISO_TIME_RE.fullmatch(text):
            try:
                moment = datetime.datetime.fromisoformat(text)
            except ValueError:
                pass
        for fmt in DATE_FORMATS if moment is None else ():
            try:
                moment = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _error(row: Row, key: str, message: str) -> None:
    row.errors.append({"row": row.number, "column": COLUMNS[key][0], "message": message})


def _check_row(row: Row, default_channel: str, now: datetime.datetime) -> None:
    v = row.values
    if not v["order_no"]:
        _error(row, "order_no", _("The work order number is missing."))
    elif len(v["order_no"]) > 40:
        _error(row, "order_no", _("The work order number is too long: %(n)d characters, at most %(max)d.")
               % {"n": len(v["order_no"]), "max": 40})
    raw_time = v["received_at"]
    row.received_at = _parse_time(raw_time)
    if not _cell(raw_time) and not isinstance(raw_time, datetime.datetime):
        _error(row, "received_at", _("The time received is missing."))
    elif row.received_at is None:
        _error(row, "received_at", _("“%(value)s” is not a date and time (e.g. 2026-11-03 09:15).")
               % {"value": _cell(raw_time)[:40]})
    elif row.received_at > now + datetime.timedelta(minutes=5):
        _error(row, "received_at", _("The time received lies in the future: %(value)s")
               % {"value": timezone.localtime(row.received_at).strftime("%Y-%m-%d %H:%M")})
    if not v["caller_words"]:
        _error(row, "caller_words", _("What the caller said is missing."))
    elif len(v["caller_words"]) > CALLER_WORDS_MAX_CHARS:
        _error(row, "caller_words", _("Too long: %(n)d characters, at most %(max)d.")
               % {"n": len(v["caller_words"]), "max": CALLER_WORDS_MAX_CHARS})
    if len(v["address_text"]) > ADDRESS_MAX_CHARS:
        _error(row, "address_text", _("Too long: %(n)d characters, at most %(max)d.")
               % {"n": len(v["address_text"]), "max": ADDRESS_MAX_CHARS})
    source = v["source"]
    if source and not any(code in source for code in SOURCES):
        _error(row, "source", _("Unknown source “%(value)s”: 12345 or 12319.") % {"value": source[:40]})
    row.channel = next((channel for code, channel in SOURCES.items() if code in source), default_channel)
    for key, limit in (("hotline_category", 100), ("caller_name", 50), ("caller_phone", 30)):
        if len(v[key]) > limit:
            _error(row, key, _("Too long: %(n)d characters, at most %(max)d.") % {"n": len(v[key]), "max": limit})


def require_importer(user) -> None:
    """Hotline orders reach the district (DOMAIN.md "Supervision"): who keeps its routing table imports them; street
    offices and communities take in what they are told, with its estate."""
    require(user, Complaint, ADD)
    if not may(user, ComplaintCategory, ADD):
        raise Forbidden(_("Hotline work orders are imported by the district."))


def complaint_import_check(*, user, data: bytes, name: str, district_id: int | None = None,
                           default_channel: str = Channel.HOTLINE_12345) -> dict:
    """The dry run: what the commit would do with each row. Writes nothing (but the district's default routing
    table when it has none)."""
    require_importer(user)
    prepared = _prepare(user, data, name, district_id, default_channel)
    return _report(prepared, name)


def _prepare(user, data, name, district_id, default_channel) -> dict:
    header, lines = read_rows(data, name)
    positions = _columns(header, name)
    if not lines:
        raise Invalid(_("“%(name)s” is empty: the file holds no work orders.") % {"name": name}, field="file")
    district = _district(user, None, district_id)
    ensure_default_categories(district)
    now = timezone.now()
    rows = []
    for number, values in lines:
        row = Row(number=number, values={
            key: (values[positions[key]] if key in positions and positions[key] < len(values) else "")
            for key in COLUMNS})
        row.values = {key: (value if key == "received_at" else _cell(value)) for key, value in row.values.items()}
        _check_row(row, default_channel, now)
        rows.append(row)
    numbers = [r.values["order_no"] for r in rows if r.values["order_no"]]
    existing = set(Complaint.objects.filter(order_no__in=numbers).values_list("order_no", flat=True))
    seen: dict[str, int] = {}
    for row in rows:
        number = row.values["order_no"]
        if row.errors:
            row.status = "error"
        elif number in existing:
            row.status = "existing"
        elif number in seen:
            row.status = "duplicate"
            _error(row, "order_no", _("The work order number %(no)s appears again (first in row %(row)d).")
                   % {"no": number, "row": seen[number]})
        if number and number not in seen:
            seen[number] = row.number
    todo = [r for r in rows if r.status == "new"]
    matches = match_addresses([r.values["address_text"] for r in todo], user=user)
    category_for = category_finder(district)
    for row, match in zip(todo, matches):
        row.match = match
        if not match.matched:
            row.status = "to_confirm"
        row.category = category_for(row.values["hotline_category"], row.values["caller_words"])
    return {"rows": rows, "district": district, "existing": existing}


def _report(prepared: dict, name: str) -> dict:
    rows = prepared["rows"]
    counts = {status: sum(1 for r in rows if r.status == status)
              for status in ("new", "to_confirm", "existing", "duplicate", "error")}
    out = []
    for row in rows:
        match = row.match
        estate = match.estate if match is not None and match.estate is not None else None
        out.append({
            "row": row.number, "order_no": row.values["order_no"], "status": row.status,
            "received_at": row.received_at.isoformat() if row.received_at else None,
            "address": row.values["address_text"][:ADDRESS_MAX_CHARS],
            "estate": None if estate is None else {"id": estate.estate_id, "name": estate.estate_name},
            "confidence": None if match is None else round(match.confidence, 3),
            "category": row.category.name if row.category else None, "channel": row.channel,
            "errors": row.errors,
        })
    return {"file_name": name, "district": prepared["district"].name, "rows": len(rows), "counts": counts,
            "to_add": counts["new"] + counts["to_confirm"], "errors": [e for r in rows for e in r.errors],
            "orders": out}


def _order(row: Row) -> dict:
    """complaint_create's arguments for one checked row."""
    match = row.match
    located = match is not None and match.matched and match.estate is not None
    return dict(channel=row.channel, received_at=row.received_at, caller_words=row.values["caller_words"],
                category_id=row.category.pk if row.category else None, address_text=row.values["address_text"],
                hotline_category=row.values["hotline_category"], order_no=row.values["order_no"],
                estate_id=match.estate.estate_id if located else None,
                building_id=match.building_id if located else None,
                caller_name=row.values["caller_name"], caller_phone=row.values["caller_phone"],
                match_confidence=match.confidence if match is not None else None)


def complaint_import_commit(*, user, data: bytes, name: str, district_id: int | None = None,
                            default_channel: str = Channel.HOTLINE_12345, progress=None) -> dict:
    """Take in every new order of the file in one transaction. Refused (nothing written) while any row has an
    error; orders already taken in are counted, not added again (the order number is unique)."""
    require_importer(user)
    prepared = _prepare(user, data, name, district_id, default_channel)
    report = _report(prepared, name)
    if report["errors"]:
        first = report["errors"][0]
        raise Invalid(_("%(n)d error(s) in “%(name)s”, nothing was imported. First: row %(row)d, column %(column)s: "
                        "%(message)s") % {"n": len(report["errors"]), "name": name, **first},
                      details={"report": report})
    todo = [r for r in prepared["rows"] if r.status in ("new", "to_confirm")]
    with transaction.atomic():
        for start in range(0, len(todo), COMMIT_CHUNK):
            complaint_create_many(user=user, orders=[_order(row) for row in todo[start:start + COMMIT_CHUNK]],
                                  district_id=prepared["district"].pk)
            if progress is not None:
                progress(min(start + COMMIT_CHUNK, len(todo)), len(todo))
    report["added"] = len(todo)
    report["already_there"] = report["counts"]["existing"]
    report["committed"] = True
    return report
