"""Declarative importers: what a target is, how its rows are checked and how they are saved (after Geotrek's parsers).

An importer says which fields it fills (with aliases for the mapping suggestion), its upsert key, its geometry
type, and per-field clean hooks `clean_<field>(value, row)`; problems are collected per row (errors block the
commit, warnings do not) instead of stopping at the first. `check()` never writes; `save()` writes the checked rows
and is called by layers.services.imports inside one transaction. The targets are in targets.py; the cells are read
by layers/io/cells.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon

from ...io.cells import KIND_LABELS, PARSERS
from ...models import AdminArea, AdminLevel, Estate
from ...permissions import ADD, DISTRICT_LOOKUP, ROLE_ACTIONS, VIEW, pks_in_scope, require, user_scope_sql
from ...planning.area_geometry import TOO_LARGE, validity_problems

SRID = Estate._meta.get_field("geom").srid
CHECK_CHUNK = 500  # rows between two progress reports of a dry run run as a background job
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

    def check(self, raw_rows: list[tuple[int, dict, object]], progress=None) -> list[Row]:
        """Check every row: (number, {field: raw value}, geometry in storage SRID or a problem) → Row.
        `progress(done, total)`, when given (a dry run as a background job), is called every CHECK_CHUNK rows."""
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
        # Objects of another district are not the user's to change (permissions.DISTRICT_LOOKUP): their rows are
        # errors, as if the code were taken by someone else.
        foreign = set()
        if existing and self.model in DISTRICT_LOOKUP:
            pks = {o.pk for o in existing.values()}
            foreign = pks - pks_in_scope(self.model, pks, self.user, VIEW)
        for index, (row, raw, geom) in enumerate(rows):
            if progress is not None and index and index % CHECK_CHUNK == 0:
                progress(index, len(rows))
            if row.key:
                row.existing = existing.get(row.key)
                if row.existing is not None and row.existing.pk in foreign:
                    row.errors.append(_("“%(value)s” belongs to another district: you may import only into your own")
                                      % {"value": row.key})
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
                              % {"field": label, "value": str(value).replace("\x00", "\\x00"),
                                 "kind": KIND_LABELS[f.kind]})
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

    def save(self, rows: list[Row], *, reason: str, progress=None) -> dict:
        """Write the checked rows (all ok) inside the caller's transaction; return {"created": n, "updated": n}.
        `progress(done, total)`, if given, is called between batches (a background job's progress and cancel
        check: an exception from it rolls the caller's transaction back)."""
        if (self.model, ADD) in ROLE_ACTIONS:  # the register's own rule, where the role table has one
            require(self.user, self.model, ADD)
        counts = {"created": 0, "updated": 0}
        if self.bulk:
            return self._save_bulk(rows, progress=progress)
        for done, row in enumerate(self.order(rows), start=1):
            counts["created" if row.existing is None else "updated"] += 1
            self.save_row(row, reason=reason)
            if progress is not None and (done % self.PROGRESS_EVERY == 0 or done == len(rows)):
                progress(done, len(rows))
        return counts

    bulk = False  # True: rows are independent and need no per-row service, so they are written in batches
    BATCH = 1000
    PROGRESS_EVERY = 200  # rows saved one by one between two progress reports

    def _save_bulk(self, rows: list[Row], progress=None) -> dict:
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
        fields = sorted(names - {self.key, "id"})
        for start in range(0, len(new), self.BATCH):
            self.model.objects.bulk_create(new[start:start + self.BATCH], batch_size=self.BATCH)
            if progress is not None:
                progress(start + len(new[start:start + self.BATCH]), len(rows))
        for start in range(0, len(changed), self.BATCH):
            if fields:
                self._update_many(changed[start:start + self.BATCH], fields)
            if progress is not None:
                progress(len(new) + start + len(changed[start:start + self.BATCH]), len(rows))
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


def admin_area_geometries(level: str, user=None) -> list[tuple[int, str, object]]:
    """(id, code, shapely geometry in the storage SRID) of every administrative area of one level (in the user's
    jurisdiction when a user is given: a planner's district's)."""
    scope, params = ("TRUE", []) if user is None else user_scope_sql(AdminArea, user, VIEW, "id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, code, ST_AsBinary(geom) FROM layers_adminarea WHERE level = %s AND {scope}",
                       [level, *params])
        return [(pk, code, shapely.from_wkb(bytes(g))) for pk, code, g in cursor.fetchall()]


def districts_union(user=None):
    """The union of every district (of the user's, when given: rows outside it are errors), shapely in the storage
    SRID, or None when there is none."""
    areas = [g for _pk, _code, g in admin_area_geometries(AdminLevel.DISTRICT, user)]
    return shapely.union_all(areas) if areas else None


def get(target: str) -> type[Importer]:
    if target not in IMPORTERS:
        raise KeyError(target)
    return IMPORTERS[target]
