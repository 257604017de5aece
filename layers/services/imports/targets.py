"""The import targets, registered by name: administrative areas, management areas, estates, buildings, enterprises.

Management areas and enterprises are written through their services (layers.services.management_areas and
layers.services.enterprises), so each change is validated and recorded as if drawn or typed by hand.
"""
from __future__ import annotations

import shapely
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...credit_code import credit_code_problem
from ...io.cells import choice_spellings
from ...models import (
    AdminArea,
    AdminLevel,
    Building,
    CreditGrade,
    Enterprise,
    Estate,
    ManagementArea,
    OwnersCommittee,
)
from ...models import PARENT_LEVEL, Role
from ...permissions import VIEW, restrict, role_of
from ...refusals import Refusal
from .. import enterprises as register_svc
from .. import management_areas as svc
from ..jurisdictions import enterprise_jurisdictions_refresh_some
from .importers import Field, Importer, Row, RowError, admin_area_geometries, register, to_geos

CODE_ALIASES = ("编码", "代码", "编号", "code")
NAME_ALIASES = ("名称", "name", "名字")

# --- targets --------------------------------------------------------------------------------------------------

@register
class AdminAreaImporter(Importer):
    """The city, districts, streets and communities; a parent may come earlier in the same file. The city level (the
    city and its districts' boundaries) is the system administrator's; a district's planner imports the streets and
    communities of its own district only (DOMAIN.md "Levels")."""

    target = "admin_areas"
    label = gettext_lazy("Administrative areas")
    model = AdminArea
    geometry = "multipolygon"
    outside_matters = False  # a new district lies outside the existing ones; parents are checked instead
    fields = (
        Field("code", required=True, aliases=("区划代码", "行政区划代码", *CODE_ALIASES), max_length=32),
        Field("name", required=True, aliases=("区划名称", *NAME_ALIASES), max_length=100),
        Field("level", kind="choice", aliases=("级别", "层级", "类型", "level"),
              choices=choice_spellings(AdminLevel, {"市": "city", "地级市": "city", "区": "district", "开发区": "district", "县": "district", "区县": "district",
                                                    "街道": "street", "乡镇": "street", "镇": "street", "乡": "street",
                                                    "社区": "community", "村": "community", "居委会": "community"})),
        Field("parent_code", aliases=("上级编码", "上级代码", "父级编码", "上级区划代码", "parent"), max_length=32,
              label=gettext_lazy("parent code")),
    )
    LEVEL_BY_CODE_LENGTH = {6: AdminLevel.DISTRICT, 9: AdminLevel.STREET, 12: AdminLevel.COMMUNITY}
    PARENT_LEVEL = PARENT_LEVEL
    CITY_LEVELS = (AdminLevel.CITY, AdminLevel.DISTRICT)

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
        if level in self.CITY_LEVELS and role_of(self.user) != Role.ADMINISTRATOR:
            row.errors.append(_("only the system administrator imports the city and its districts"))
            return
        if level == AdminLevel.CITY:
            row.refs["parent_id"] = None
            return
        if parent is None and row.existing is None and level == AdminLevel.DISTRICT:
            parent = AdminArea.objects.filter(level=AdminLevel.CITY).order_by("code").values_list("code", flat=True).first()
            if parent is None:
                row.errors.append(_("no city is loaded: import the city first, or give the district's parent code"))
                return
        elif parent is None and row.existing is None and level and row.key:
            # Chinese division codes nest: a street's code starts with its district's.
            parent = row.key[: {AdminLevel.STREET: 6, AdminLevel.COMMUNITY: 9}[level]]
        if parent is not None:
            row.values["__parent"] = parent

    def check_rows(self, rows: list[Row]) -> None:
        in_file = {r.key: r.values.get("level") or (r.existing.level if r.existing else None) for r in rows if r.key}
        # Parents in the user's jurisdiction only (a planner's district and its streets; the system administrator's
        # city): another district's street is an unknown parent. The city itself is a parent for the administrator.
        parents = {r.values.get("__parent") for r in rows} - {None}
        stored = dict(restrict(AdminArea.objects.filter(code__in=parents), self.user, VIEW).values_list("code", "level"))
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
        rank = {AdminLevel.CITY: -1, AdminLevel.DISTRICT: 0, AdminLevel.STREET: 1, AdminLevel.COMMUNITY: 2}
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
        street = row.values.pop("street_code", None)
        if street is not None:
            found = restrict(AdminArea.objects.filter(code=street, level=AdminLevel.STREET), self.user, VIEW).values_list(
                "pk", flat=True).first()
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

    def save(self, rows, *, reason, progress=None):
        def linked(areas):
            return set(Estate.objects.filter(management_area_id__in=areas).values_list("pk", flat=True))

        before = linked([r.existing.pk for r in rows if r.existing is not None])
        counts = super().save(rows, reason=reason, progress=progress)
        # Enterprises serving estates that entered or left the areas see their service area change.
        refresh_jurisdictions(estate_ids=sorted(before | linked([r.existing.pk for r in rows])))
        return counts

    def save_row(self, row: Row, *, reason: str) -> None:
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
        self.communities = {code: (pk, geom)
                            for pk, code, geom in admin_area_geometries(AdminLevel.COMMUNITY, self.user)}
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

    def save(self, rows, *, reason, progress=None):
        counts = super().save(rows, reason=reason, progress=progress)
        # New or moved estates get the management area that covers them (the editing services' rule).
        moved = [r.geom for r in rows if r.geom is not None and not r.point_only]
        if moved:
            svc._relink_estates(area_ids=[], geoms=moved)
        refresh_jurisdictions(estate_ids=[r.existing.pk for r in rows if r.existing is not None])
        return counts


def refresh_jurisdictions(*, estate_ids: list[int]) -> None:
    """Enterprises serving these estates today get their service area rebuilt (outlines or households changed)."""
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
            found = restrict(Estate.objects.filter(code=code), self.user, VIEW).values_list("pk", flat=True).first()
            if found is None:
                row.errors.append(_("unknown estate code “%(code)s”") % {"code": code})
            else:
                row.refs["estate_id"] = found
        elif row.existing is None and row.geom is not None and row.ok:
            found = restrict(Estate.objects.all(), self.user, VIEW).filter(
                geom__contains=to_geos(row.geom.representative_point())).values_list(
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
        fields = {k: v for k, v in row.values.items() if k != "credit_code"}
        try:
            if row.existing is None:
                row.existing = register_svc.enterprise_create(user=self.user, credit_code=row.key, **fields)
            else:
                register_svc.enterprise_update(user=self.user, enterprise_id=row.existing.pk,
                                               reason=reason[:register_svc.REASON_MAX_CHARS], **fields)
        except register_svc.RegisterInvalid as exc:
            raise RowError(_("row %(row)d: %(reason)s") % {"row": row.number, "reason": exc.message}) from exc
