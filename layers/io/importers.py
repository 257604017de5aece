"""Declarative importers, one per target, registered by name (after Geotrek's parsers).

An importer says which fields it fills (with aliases for the mapping suggestion), its upsert key, its geometry
type, and per-field clean hooks `clean_<field>(value, row)`; problems are collected per row (errors block the
commit, warnings do not) instead of stopping at the first. `check()` never writes; `save()` writes the checked rows
and is called by layers.services.imports inside one transaction.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import MultiPolygon

from ..credit_code import credit_code_problem
from ..models import (
    AdminArea,
    AdminLevel,
    Building,
    CreditGrade,
    Enterprise,
    Estate,
    ManagementArea,
    OwnersCommittee,
)
from ..permissions import ADD, ROLE_ACTIONS, require
from ..planning.area_geometry import TOO_LARGE, validity_problems
from ..refusals import Refusal

SRID = Estate._meta.get_field("geom").srid
IMPORTERS: dict[str, type[Importer]] = {}


def register(cls):
    IMPORTERS[cls.target] = cls
    return cls


class RowError(ValueError):
    """A value a clean hook refuses; str() is the reason shown for the row."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text, int, float, year, bool, date, choice
    required: bool = False  # for new objects; an update keeps the stored value when the cell is blank
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: dict[str, str] | None = None  # accepted spelling (lower case) → stored value
    label: str = ""  # shown in messages; defaults to the name


@dataclass
class Row:
    """One source row, checked: what would be written, and why it cannot be."""

    number: int
    key: str | None = None
    values: dict = field(default_factory=dict)
    geom: object = None  # shapely, storage SRID, or None (attributes only)
    point_only: bool = False  # the file gave a point for a polygon target: used for checks, never stored
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    existing: object = None  # the stored object with this key, if any
    refs: dict = field(default_factory=dict)  # resolved foreign keys: name → id

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def action(self) -> str:
        return "update" if self.existing is not None else "create"


TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "有", "开放", "开放式", "√", "✓"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "无", "没有", "封闭", "封闭式", "×", "✗", ""}


class Importer:
    """Base: subclasses set the class attributes and may add clean_<field> hooks, check_row and save_row."""

    target: str = ""
    label = ""
    do_not_call_in_templates = True  # templates list the classes; calling one would build an importer
    model = None
    key = "code"
    fields: tuple[Field, ...] = ()
    geometry: str | None = None  # "multipolygon", "polygon" or None

    def __init__(self, *, user, districts=None):
        self.user = user
        # The districts' union (shapely, storage SRID): rows outside it are refused. Prepared: tested per row.
        self.districts = districts
        self.districts_loose = None
        if districts is not None:
            self.districts_loose = districts.buffer(1e-6)  # ~0.1 m: shared edges drawn twice are not "outside"
            shapely.prepare(self.districts)
            shapely.prepare(self.districts_loose)

    # --- declarations -----------------------------------------------------------------------------------------

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in cls.fields]

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {f.name: f.aliases for f in cls.fields}

    @classmethod
    def describe(cls) -> dict:
        return {"target": cls.target, "label": str(cls.label), "key": cls.key, "geometry": cls.geometry,
                "fields": [{"name": f.name, "label": str(cls.field_label(f)), "required": f.required,
                            "kind": f.kind} for f in cls.fields]}

    @classmethod
    def field_label(cls, f: Field) -> str:
        if f.label:
            return str(f.label)
        try:
            return str(cls.model._meta.get_field(f.name).verbose_name)
        except Exception:
            return f.name

    # --- checking ---------------------------------------------------------------------------------------------

    def existing_by_key(self, keys: list[str]) -> dict:
        return {getattr(o, self.key): o for o in self.model.objects.filter(**{f"{self.key}__in": keys})}

    def prepare(self, rows: list[Row]) -> None:
        """Load what the checks look up (once per file, not per row)."""

    def check(self, raw_rows: list[tuple[int, dict, object]]) -> list[Row]:
        """Check every row: (number, {field: raw value}, geometry in storage SRID or a problem) → Row."""
        rows = []
        for number, raw, geom in raw_rows:
            row = Row(number=number)
            key_field = next(f for f in self.fields if f.name == self.key)
            row.key = self._parse(key_field, raw.get(self.key), row)
            row.values = {self.key: row.key}
            rows.append((row, raw, geom))
        keys = [r.key for r, _raw, _g in rows if r.key]
        existing = self.existing_by_key(keys)
        seen: dict[str, int] = {}
        for row, raw, geom in rows:
            if row.key:
                row.existing = existing.get(row.key)
                if row.key in seen:
                    row.errors.append(_("duplicate %(field)s “%(value)s” in the file (also on row %(row)d)")
                                      % {"field": self._key_label(), "value": row.key, "row": seen[row.key]})
                else:
                    seen[row.key] = row.number
            elif not row.errors:
                row.errors.append(_("missing required field “%(field)s”") % {"field": self._key_label()})
            for f in self.fields:
                if f.name == self.key:
                    continue
                value = self._parse(f, raw.get(f.name), row)
                hook = getattr(self, f"clean_{f.name}", None)
                if hook is not None and value is not None:
                    try:
                        value = hook(value, row)
                    except RowError as exc:
                        row.errors.append(str(exc))
                        value = None
                if value is None:
                    if f.required and row.existing is None and f.name in raw and not self._has_error_for(row, f):
                        row.errors.append(_("missing required field “%(field)s”") % {"field": self.field_label(f)})
                    elif f.required and row.existing is None and f.name not in raw:
                        row.errors.append(_("missing required field “%(field)s” (no column is mapped to it)")
                                          % {"field": self.field_label(f)})
                    continue
                row.values[f.name] = value
            self._check_geometry(row, geom)
        plain = [r for r, _raw, _g in rows]
        self.prepare(plain)
        for row in plain:
            if row.ok or row.key:
                self.check_row(row)
        self.check_rows(plain)
        return plain

    def _key_label(self) -> str:
        return self.field_label(next(f for f in self.fields if f.name == self.key))

    def _has_error_for(self, row: Row, f: Field) -> bool:
        label = self.field_label(f)
        return any(label in e for e in row.errors)

    def check_row(self, row: Row) -> None:
        """Checks that need the database or other fields (hook)."""

    def check_rows(self, rows: list[Row]) -> None:
        """Checks across rows (hook)."""

    def _parse(self, f: Field, value, row: Row):
        """The cell as the field's type, or None when blank; a bad value adds a row error and returns None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        label = self.field_label(f)
        try:
            parsed = PARSERS[f.kind](value, f)
        except (ValueError, TypeError, KeyError):
            row.errors.append(_("%(field)s: “%(value)s” is not %(kind)s")
                              % {"field": label, "value": value, "kind": KIND_LABELS[f.kind]})
            return None
        if f.max_length and isinstance(parsed, str) and len(parsed) > f.max_length:
            row.errors.append(_("%(field)s: “%(value)s” is longer than %(max)d characters")
                              % {"field": label, "value": parsed, "max": f.max_length})
            return None
        if f.minimum is not None and parsed < f.minimum or f.maximum is not None and parsed > f.maximum:
            row.errors.append(_("%(field)s: %(value)s is outside %(min)s–%(max)s")
                              % {"field": label, "value": parsed, "min": _num(f.minimum), "max": _num(f.maximum)})
            return None
        return parsed

    def _check_geometry(self, row: Row, geom) -> None:
        if self.geometry is None:
            return
        if geom is None:
            if row.existing is None:
                row.errors.append(_("missing geometry: a new %(thing)s needs its boundary")
                                  % {"thing": self.model._meta.verbose_name})
            return
        if hasattr(geom, "translated"):  # readers.GeometryProblem
            row.errors.append(_("invalid geometry: %(reason)s") % {"reason": geom.translated(_)})
            return
        if geom.is_empty:
            row.errors.append(_("invalid geometry: it is empty"))
            return
        geom = shapely.force_2d(geom)
        if geom.geom_type == "Point":
            if row.existing is None:
                row.errors.append(_("a point cannot be the boundary of a new %(thing)s: give its polygon (WKT)")
                                  % {"thing": self.model._meta.verbose_name})
                return
            row.geom, row.point_only = geom, True
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            row.errors.append(_("invalid geometry: a %(type)s, where a polygon is expected") % {"type": geom.geom_type})
            return
        else:
            problems = validity_problems(geom, _)
            if problems:
                problem = problems[0]
                if problem.location is None:
                    row.errors.append(_("invalid geometry: %(reason)s") % {"reason": problem.message})
                else:
                    row.errors.append(_("invalid geometry: %(reason)s (at %(x)s, %(y)s)")
                                      % {"reason": problem.message, "x": f"{problem.location[0]:.6f}",
                                         "y": f"{problem.location[1]:.6f}"})
                row.geom = geom if problem.kind != TOO_LARGE else None  # the preview shows what it can draw
                return
            if self.geometry == "polygon":
                if geom.geom_type == "MultiPolygon":
                    if len(geom.geoms) != 1:
                        row.errors.append(_("invalid geometry: %(n)d separate parts, where one footprint is expected")
                                          % {"n": len(geom.geoms)})
                        row.geom = geom
                        return
                    geom = geom.geoms[0]
            elif geom.geom_type == "Polygon":
                geom = MultiPolygon([geom])
            row.geom = geom
        if self.districts is None or not self.outside_matters:
            return
        if not self.districts.contains(row.geom.representative_point()):
            row.errors.append(_("outside the district"))
        elif not row.point_only and not self.districts_loose.covers(row.geom):
            row.warnings.append(_("part of the boundary lies outside the district"))

    outside_matters = True

    # --- writing ----------------------------------------------------------------------------------------------

    def save(self, rows: list[Row], *, reason: str) -> dict:
        """Write the checked rows (all ok) inside the caller's transaction; return {"created": n, "updated": n}."""
        if (self.model, ADD) in ROLE_ACTIONS:  # the register's own rule, where the role table has one
            require(self.user, self.model, ADD)
        counts = {"created": 0, "updated": 0}
        if self.bulk:
            return self._save_bulk(rows)
        for row in self.order(rows):
            counts["created" if row.existing is None else "updated"] += 1
            self.save_row(row, reason=reason)
        return counts

    bulk = False  # True: rows are independent and need no per-row service, so they are written in batches
    BATCH = 1000

    def _save_bulk(self, rows: list[Row]) -> dict:
        new, changed, names = [], [], set()
        for row in rows:
            obj = row.existing or self.model()
            for name, value in {**row.values, **row.refs}.items():
                setattr(obj, name, value)
                names.add(name)
            if row.geom is not None and not row.point_only:
                obj.geom = to_geos(row.geom)
                names.add("geom")
            (changed if row.existing is not None else new).append(obj)
        self.model.objects.bulk_create(new, batch_size=self.BATCH)
        fields = sorted(names - {self.key, "id"})
        if changed and fields:
            self._update_many(changed, fields)
        return {"created": len(new), "updated": len(changed)}

    def _update_many(self, objs: list, fields: list[str]) -> None:
        """UPDATE … FROM (VALUES …): one statement per batch (Django's bulk_update builds a CASE per row and field,
        which costs seconds per thousand rows)."""
        from psycopg2.extras import execute_values

        meta = self.model._meta
        model_fields = [meta.get_field(name) for name in fields]
        columns = [f.column for f in model_fields]
        assignments = ", ".join(f'"{c}" = v."{c}"::{f.db_type(connection)}' for c, f in zip(columns, model_fields))
        sql = (f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES %s) AS v(id, '
               + ", ".join(f'"{c}"' for c in columns) + ") WHERE t.id = v.id")
        rows = [(obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields))
                for obj in objs]
        with connection.cursor() as cursor:
            execute_values(cursor.cursor, sql, rows, page_size=self.BATCH)

    def order(self, rows: list[Row]) -> list[Row]:
        return rows

    def save_row(self, row: Row, *, reason: str) -> None:
        obj = row.existing or self.model()
        for name, value in row.values.items():
            setattr(obj, name, value)
        for name, value in row.refs.items():
            setattr(obj, name, value)
        if row.geom is not None and not row.point_only:
            obj.geom = to_geos(row.geom)
        obj.save()
        row.existing = row.existing or obj


def to_geos(geom) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=SRID)


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


# --- cell parsers ---------------------------------------------------------------------------------------------

def _number_text(value) -> str:
    return str(value).strip().replace(",", "").replace("，", "").replace(" ", "")


def parse_text(value, f: Field) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes read as numbers by a spreadsheet: 230112001.0 → "230112001"
    return str(value).strip()


def parse_int(value, f: Field) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    number = float(_number_text(value).removesuffix("户").removesuffix("层"))
    if not number.is_integer():
        raise ValueError
    return int(number)


def parse_year(value, f: Field) -> int:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.year
    return parse_int(_number_text(value).removesuffix("年"), f)


def parse_float(value, f: Field) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value) if isinstance(value, (int, float)) else float(_number_text(value).removesuffix("㎡")
                                                                         .removesuffix("m²").removesuffix("平方米"))
    if number != number:  # NaN
        raise ValueError
    return number


def parse_bool(value, f: Field) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError


def parse_date(value, f: Field) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = re.sub(r"[/.年月]", "-", str(value).strip()).removesuffix("日")
    return datetime.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))


def parse_choice(value, f: Field) -> str:
    return f.choices[str(value).strip().lower()]


PARSERS = {"text": parse_text, "int": parse_int, "float": parse_float, "year": parse_year, "bool": parse_bool,
           "date": parse_date, "choice": parse_choice}
KIND_LABELS = {"text": gettext_lazy("text"), "int": gettext_lazy("a whole number"), "float": gettext_lazy("a number"),
               "year": gettext_lazy("a year"), "bool": gettext_lazy("yes or no"),
               "date": gettext_lazy("a date (YYYY-MM-DD)"), "choice": gettext_lazy("one of the allowed values")}


def choice_spellings(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Accepted spellings of a TextChoices: its values, its English labels, and extra (Chinese) words."""
    spellings = {}
    for value, label in choices.choices:
        spellings[str(value).lower()] = value
        spellings[str(label).lower()] = value
    for word, value in (extra or {}).items():
        spellings[word.lower()] = value
    return spellings


CODE_ALIASES = ("编码", "代码", "编号", "code")
NAME_ALIASES = ("名称", "name", "名字")


def _lookup(model, codes: set[str], **filters) -> dict[str, int]:
    return dict(model.objects.filter(code__in=codes, **filters).values_list("code", "pk")) if codes else {}


# --- targets --------------------------------------------------------------------------------------------------

@register
class AdminAreaImporter(Importer):
    """Districts, streets and communities; a parent may come earlier in the same file."""

    target = "admin_areas"
    label = gettext_lazy("Administrative areas")
    model = AdminArea
    geometry = "multipolygon"
    outside_matters = False  # a new district lies outside the existing ones; parents are checked instead
    fields = (
        Field("code", required=True, aliases=("区划代码", "行政区划代码", *CODE_ALIASES), max_length=32),
        Field("name", required=True, aliases=("区划名称", *NAME_ALIASES), max_length=100),
        Field("level", kind="choice", aliases=("级别", "层级", "类型", "level"),
              choices=choice_spellings(AdminLevel, {"区": "district", "县": "district", "区县": "district",
                                                    "街道": "street", "乡镇": "street", "镇": "street", "乡": "street",
                                                    "社区": "community", "村": "community", "居委会": "community"})),
        Field("parent_code", aliases=("上级编码", "上级代码", "父级编码", "上级区划代码", "parent"), max_length=32,
              label=gettext_lazy("parent code")),
    )
    LEVEL_BY_CODE_LENGTH = {6: AdminLevel.DISTRICT, 9: AdminLevel.STREET, 12: AdminLevel.COMMUNITY}
    PARENT_LEVEL = {AdminLevel.STREET: AdminLevel.DISTRICT, AdminLevel.COMMUNITY: AdminLevel.STREET}

    def check_row(self, row: Row) -> None:
        level = row.values.get("level") or (row.existing.level if row.existing else None)
        if level is None and row.key:
            level = self.LEVEL_BY_CODE_LENGTH.get(len(row.key))
            if level is None:
                row.errors.append(_("level missing, and the code “%(code)s” does not tell it (6, 9 or 12 digits)")
                                  % {"code": row.key})
                return
            row.values["level"] = level
        parent = row.values.pop("parent_code", None)
        if level == AdminLevel.DISTRICT:
            row.refs["parent_id"] = None
            return
        if parent is None and row.existing is None and level and row.key:
            # Chinese division codes nest: a street's code starts with its district's.
            parent = row.key[: {AdminLevel.STREET: 6, AdminLevel.COMMUNITY: 9}[level]]
        if parent is not None:
            row.values["__parent"] = parent

    def check_rows(self, rows: list[Row]) -> None:
        in_file = {r.key: r.values.get("level") or (r.existing.level if r.existing else None) for r in rows if r.key}
        stored = dict(AdminArea.objects.filter(
            code__in={r.values.get("__parent") for r in rows} - {None}).values_list("code", "level"))
        for row in rows:
            parent = row.values.get("__parent")
            if parent is None:
                continue
            level = row.values.get("level") or (row.existing.level if row.existing else None)
            parent_level = in_file.get(parent) or stored.get(parent)
            if parent_level is None:
                row.errors.append(_("unknown parent code “%(code)s”") % {"code": parent})
            elif parent_level != self.PARENT_LEVEL.get(level):
                row.errors.append(_("parent “%(code)s” is a %(parent)s, not the level above a %(level)s")
                                  % {"code": parent, "parent": AdminLevel(parent_level).label,
                                     "level": AdminLevel(level).label})

    def order(self, rows):
        rank = {AdminLevel.DISTRICT: 0, AdminLevel.STREET: 1, AdminLevel.COMMUNITY: 2}
        return sorted(rows, key=lambda r: rank.get(r.values.get("level") or r.existing.level, 3))

    def save_row(self, row: Row, *, reason: str) -> None:
        parent = row.values.pop("__parent", None)
        if parent is not None:
            row.refs["parent_id"] = AdminArea.objects.get(code=parent).pk
        super().save_row(row, reason=reason)


@register
class ManagementAreaImporter(Importer):
    """Management areas go through layers.services.management_areas: validated, recorded with a reason."""

    target = "management_areas"
    label = gettext_lazy("Management areas")
    model = ManagementArea
    geometry = "multipolygon"
    fields = (
        Field("code", required=True, aliases=("区域编码", "区域代码", *CODE_ALIASES), max_length=32),
        Field("name", required=True, aliases=("区域名称", "物业管理区域", *NAME_ALIASES), max_length=100),
        Field("street_code", aliases=("街道编码", "街道代码", "所属街道"), max_length=32,
              label=gettext_lazy("street code")),
    )

    def check_row(self, row: Row) -> None:
        from ..services import management_areas as svc

        street = row.values.pop("street_code", None)
        if street is not None:
            found = AdminArea.objects.filter(code=street, level=AdminLevel.STREET).values_list("pk", flat=True).first()
            if found is None:
                row.errors.append(_("unknown street code “%(code)s”") % {"code": street})
            else:
                row.refs["street_id"] = found
        if row.geom is None or row.point_only or not row.ok:
            if row.point_only:
                row.errors.append(_("a point cannot redraw a management area: give its polygon (WKT)"))
            return
        validation = svc.management_area_validate(user=self.user, geometry=row.geom,
                                                  area_id=row.existing.pk if row.existing else None)
        for problem in validation.problems:
            row.errors.append(problem.message)

    def check_rows(self, rows: list[Row]) -> None:
        """Rule 1 within the file: two rows' areas must not overlap either."""
        shaped = [r for r in rows if r.geom is not None and not r.point_only and r.geom.is_valid]
        if len(shaped) < 2:
            return
        tree = shapely.STRtree([r.geom for r in shaped])
        for i, j in zip(*tree.query([r.geom for r in shaped], predicate="intersects")):
            if i < j and shapely.relate_pattern(shaped[i].geom, shaped[j].geom, "2********"):
                shaped[j].errors.append(_("overlaps management area %(code)s on row %(row)d")
                                        % {"code": shaped[i].key, "row": shaped[i].number})

    def order(self, rows):
        # Shrinking redraws before creations, so a new area may take the room an old one gives up.
        return sorted(rows, key=lambda r: r.existing is None)

    def save(self, rows, *, reason):
        def linked(areas):
            return set(Estate.objects.filter(management_area_id__in=areas).values_list("pk", flat=True))

        before = linked([r.existing.pk for r in rows if r.existing is not None])
        counts = super().save(rows, reason=reason)
        # Enterprises serving estates that entered or left the areas see their service area change.
        refresh_jurisdictions(estate_ids=sorted(before | linked([r.existing.pk for r in rows])))
        return counts

    def save_row(self, row: Row, *, reason: str) -> None:
        from ..services import management_areas as svc

        geometry = None if row.point_only else row.geom
        try:
            if row.existing is None:
                saved = svc.management_area_create(user=self.user, geometry=geometry, name=row.values["name"],
                                                   code=row.key, street_id=row.refs.get("street_id"), reason=reason)
            else:
                current = ManagementArea.objects.get(pk=row.existing.pk)
                saved = svc.management_area_update(user=self.user, area_id=current.pk, base_version=current.version,
                                                   geometry=geometry, name=row.values.get("name"),
                                                   street_id=row.refs.get("street_id"), reason=reason)
        except Refusal as exc:  # the service's refusal, reported for the row
            raise RowError(_("row %(row)d: %(reason)s") % {"row": row.number, "reason": exc}) from exc
        row.existing = row.existing or saved.area


@register
class EstateImporter(Importer):
    target = "estates"
    label = gettext_lazy("Estates")
    model = Estate
    geometry = "multipolygon"
    bulk = True
    fields = (
        Field("code", required=True, aliases=("小区编码", "小区代码", *CODE_ALIASES), max_length=32),
        Field("name", required=True, aliases=("小区名称", "小区名", *NAME_ALIASES), max_length=100),
        Field("address", aliases=("地址", "小区地址", "详细地址", "address"), max_length=200),
        Field("build_year", kind="year", required=True, minimum=1900, maximum=2100,
              aliases=("建成年份", "建成年代", "建设年份", "竣工年份", "建成时间", "年份", "year")),
        Field("households", kind="int", required=True, minimum=0, maximum=1_000_000,
              aliases=("户数", "总户数", "住户数", "households")),
        Field("floor_area", kind="float", required=True, minimum=0,
              aliases=("建筑面积", "总建筑面积", "面积", "floor_area", "area")),
        Field("is_open", kind="bool", aliases=("开放式", "是否开放", "开放", "open")),
        Field("owners_committee", kind="choice", aliases=("业委会", "业主委员会", "业委会状态"),
              choices=choice_spellings(OwnersCommittee, {"无": "none", "没有": "none", "筹备": "preparing",
                                                         "筹备中": "preparing", "已成立": "established",
                                                         "有": "established", "成立": "established",
                                                         "社区代行": "community_acting"})),
        Field("community_code", aliases=("社区编码", "社区代码", "所属社区"), max_length=32,
              label=gettext_lazy("community code")),
    )

    def prepare(self, rows):
        self.communities = {code: (pk, geom) for pk, code, geom in _areas(AdminLevel.COMMUNITY)}
        self.community_tree = shapely.STRtree([g for _pk, g in self.communities.values()]) if self.communities else None
        self.community_list = list(self.communities.values())

    def check_row(self, row: Row) -> None:
        code = row.values.pop("community_code", None)
        if code is not None:
            found = self.communities.get(code)
            if found is None:
                row.errors.append(_("unknown community code “%(code)s”") % {"code": code})
            else:
                row.refs["community_id"] = found[0]
        elif row.existing is None and row.geom is not None and self.community_tree is not None:
            point = row.geom.representative_point()
            hits = self.community_tree.query(point, predicate="within")
            if len(hits):
                row.refs["community_id"] = self.community_list[int(hits[0])][0]
            elif row.ok:
                row.errors.append(_("lies in no community: give a community code"))
        if row.point_only and row.existing is not None and not row.existing.geom.contains(to_geos(row.geom)):
            row.warnings.append(_("the point lies outside the stored boundary of %(name)s")
                                % {"name": row.existing.name})

    def save(self, rows, *, reason):
        counts = super().save(rows, reason=reason)
        from ..services import management_areas as svc

        # New or moved estates get the management area that covers them (the editing services' rule).
        moved = [r.geom for r in rows if r.geom is not None and not r.point_only]
        if moved:
            svc._relink_estates(area_ids=[], geoms=moved)
        refresh_jurisdictions(estate_ids=[r.existing.pk for r in rows if r.existing is not None])
        return counts


def refresh_jurisdictions(*, estate_ids: list[int]) -> None:
    """Enterprises serving these estates today get their service area rebuilt (outlines or households changed)."""
    from ..services.jurisdictions import enterprise_jurisdictions_refresh_some

    if not estate_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT enterprise_id FROM layers_active_contracts(%s) "
                       "WHERE provider_kind = 'enterprise' AND estate_id = ANY(%s)",
                       [timezone.localdate(), list(estate_ids)])
        enterprises = [row[0] for row in cursor.fetchall()]
    enterprise_jurisdictions_refresh_some(enterprise_ids=enterprises)


@register
class BuildingImporter(Importer):
    target = "buildings"
    label = gettext_lazy("Buildings")
    model = Building
    geometry = "polygon"
    bulk = True
    fields = (
        Field("code", required=True, aliases=("楼栋编码", "楼栋代码", *CODE_ALIASES), max_length=40),
        Field("estate_code", aliases=("小区编码", "小区代码", "所属小区"), max_length=32, label=gettext_lazy("estate code")),
        Field("label", required=True, aliases=("楼号", "楼栋号", "楼栋名称", "名称", "label"), max_length=40),
        Field("floors", kind="int", required=True, minimum=1, maximum=120, aliases=("层数", "楼层数", "楼层", "floors")),
        Field("households", kind="int", required=True, minimum=0, maximum=100_000, aliases=("户数", "households")),
        Field("build_year", kind="year", required=True, minimum=1900, maximum=2100,
              aliases=("建成年份", "建成年代", "建设年份", "年份")),
        Field("has_elevator", kind="bool", aliases=("电梯", "有无电梯", "是否有电梯", "elevator")),
    )

    def check_row(self, row: Row) -> None:
        code = row.values.pop("estate_code", None)
        if code is not None:
            found = Estate.objects.filter(code=code).values_list("pk", flat=True).first()
            if found is None:
                row.errors.append(_("unknown estate code “%(code)s”") % {"code": code})
            else:
                row.refs["estate_id"] = found
        elif row.existing is None and row.geom is not None and row.ok:
            found = Estate.objects.filter(geom__contains=to_geos(row.geom.representative_point())).values_list(
                "pk", flat=True).first()
            if found is None:
                row.errors.append(_("lies in no estate: give an estate code"))
            else:
                row.refs["estate_id"] = found


@register
class EnterpriseImporter(Importer):
    """The enterprise register: no geometry; upserted by the unified social credit code."""

    target = "enterprises"
    label = gettext_lazy("Enterprises")
    model = Enterprise
    key = "credit_code"
    geometry = None
    # Through the register's services (layers.services.enterprises), so each change is in its change log.
    fields = (
        Field("credit_code", required=True, aliases=("统一社会信用代码", "社会信用代码", "信用代码", "credit_code"),
              max_length=18),
        Field("name", required=True, aliases=("企业名称", "单位名称", *NAME_ALIASES), max_length=120),
        Field("credit_grade", kind="choice", aliases=("信用等级", "等级", "grade"),
              choices=choice_spellings(CreditGrade)),
        Field("filed_on", kind="date", aliases=("备案日期", "备案时间", "filed_on")),
        Field("contact_person", aliases=("联系人", "负责人"), max_length=50),
        Field("contact_phone", aliases=("联系电话", "电话", "手机"), max_length=30),
        Field("address", aliases=("地址", "企业地址", "注册地址"), max_length=200),
    )

    def check_row(self, row: Row) -> None:
        if row.key:
            problem = credit_code_problem(row.key.upper())
            if problem:
                row.errors.append(_("invalid unified social credit code “%(code)s”: %(problem)s")
                                  % {"code": row.key, "problem": problem})
            else:
                row.key = row.values["credit_code"] = row.key.upper()
        grade = row.values.get("credit_grade")
        if row.existing is not None and grade is not None:
            row.values.pop("credit_grade")
            if grade != row.existing.credit_grade:
                row.warnings.append(_("credit grade not changed: it follows the annual evaluations (%(grade)s kept)")
                                    % {"grade": row.existing.credit_grade})
        filed_on = row.values.get("filed_on")
        if filed_on is not None and filed_on > timezone.localdate():
            row.errors.append(_("filing date %(date)s is in the future") % {"date": filed_on.isoformat()})

    def save_row(self, row: Row, *, reason: str) -> None:
        from ..services import enterprises as register

        fields = {k: v for k, v in row.values.items() if k != "credit_code"}
        try:
            if row.existing is None:
                row.existing = register.enterprise_create(user=self.user, credit_code=row.key, **fields)
            else:
                register.enterprise_update(user=self.user, enterprise_id=row.existing.pk,
                                           reason=reason[:register.REASON_MAX_CHARS], **fields)
        except register.RegisterInvalid as exc:
            raise RowError(_("row %(row)d: %(reason)s") % {"row": row.number, "reason": exc.message}) from exc


def _areas(level: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, code, ST_AsBinary(geom) FROM layers_adminarea WHERE level = %s", [level])
        return [(pk, code, shapely.from_wkb(bytes(g))) for pk, code, g in cursor.fetchall()]


def districts_union():
    """The union of every district (shapely, storage SRID), or None when there is none yet."""
    areas = [g for _pk, _code, g in _areas(AdminLevel.DISTRICT)]
    return shapely.union_all(areas) if areas else None


def get(target: str) -> type[Importer]:
    if target not in IMPORTERS:
        raise KeyError(target)
    return IMPORTERS[target]
