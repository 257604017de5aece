"""Writes of bundled-takeover plans (连片打包, rule 6): create, edit bundles, pick enterprises, approve, discard.

A plan is proposed by layers.planning.bundles.propose_bundles (max-p-regions with bounds, ranked easy first) on the
uncovered old estates of the district or one street (layers.selectors.bundles). Every change to a draft plan is one
transaction that locks the plan row, refuses a caller whose `version` is not the plan's (PlanConflict, HTTP 409),
re-checks every bundle it touches with bundle_problems (PlanInvalid with the problems, HTTP 400), re-ranks the plan's
bundles easy first, bumps the version and writes a PlanVersion snapshot. Approval creates every bundle's contracts
(contracts_assign, mode bundled) in that one transaction, or none. Approved and discarded plans are read-only.
"""
from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    AdminArea,
    AdminLevel,
    Bundle,
    BundleEstate,
    ContractMode,
    Enterprise,
    Estate,
    ListStatus,
    PlanStatus,
    PlanVersion,
    ProviderKind,
    ServiceContract,
    TakeoverPlan,
)
from ..params import number_param
from ..permissions import ADD, CHANGE, district_of, get_restricted, require
from ..planning.bundles import BundleRules, Problem, adjacency, bundle_problems, propose_bundles, rank_easy_first
from ..refusals import Conflict, Invalid, Refusal
from ..rules import contract_not_ended_filter, is_old_estate
from ..selectors import bundles as bundle_inputs
from ..selectors.contracts import contract_provider_name
from ..selectors.plans import plan_coverage
from .contracts import contracts_assign

# Defaults a planner can override per plan (ISSUE4 contract, "Settings").
DEFAULTS = {"gap_m": 50.0, "within_street": False, "min_households": 800, "max_households": 4000,
            "min_floor_area": None, "max_floor_area": None, "seed": 0}
MAX_GAP_M = 500.0
NAME_MAX_CHARS = 120
UNSET = object()


class PlanInvalid(Invalid):
    """A refused plan write (HTTP 400); `problems` (the bundle problems behind it) go into the body."""

    def __init__(self, message: str, problems: list[dict] | None = None, *, field: str | None = None):
        self.problems = problems or []
        super().__init__(message, field=field, details={"problems": self.problems} if self.problems else None)


class PlanConflict(Conflict):
    """The plan moved on since the caller's version, or it is no longer a draft (HTTP 409); the body carries the
    plan's current "version"."""

    def __init__(self, message: str, *, version: int | None = None):
        self.version = version
        super().__init__(message, details={"version": version} if version is not None else None)


@dataclass(frozen=True)
class PlanParameters:
    gap_m: float
    within_street: bool
    min_households: int
    max_households: int
    min_floor_area: float | None
    max_floor_area: float | None
    seed: int

    def rules(self) -> BundleRules:
        return BundleRules(gap_m=self.gap_m, within_street=self.within_street, min_households=self.min_households,
                           max_households=self.max_households, min_floor_area=self.min_floor_area,
                           max_floor_area=self.max_floor_area)

    def as_json(self) -> dict:
        return {"gap_m": self.gap_m, "within_street": self.within_street, "min_households": self.min_households,
                "max_households": self.max_households, "min_floor_area": self.min_floor_area,
                "max_floor_area": self.max_floor_area, "seed": self.seed}


# --- parameters ------------------------------------------------------------------------------------------------

def _number(value, field: str, *, integer: bool, minimum: float, maximum: float | None = None, optional=False):
    if value is None or value == "":
        if optional:
            return None
        raise PlanInvalid(_("%(field)s is required.") % {"field": field}, field=field)
    try:
        return number_param(value, field, integer=integer, minimum=minimum, maximum=maximum)
    except Invalid as exc:  # as a PlanInvalid: the plan page shows it beside its form
        raise PlanInvalid(str(exc), field=field) from None


def _boolean(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "False", "off", 0):
        return False
    if value in ("1", "true", "True", "on", 1):
        return True
    raise PlanInvalid(_("%(field)s must be true or false.") % {"field": field}, field=field)


def plan_parameters(**values) -> PlanParameters:
    """Validated parameters from loose input (form strings or JSON), with the defaults filled in."""
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise PlanInvalid(_("Unknown parameters: %(names)s.") % {"names": ", ".join(unknown)}, field=unknown[0])
    v = {**DEFAULTS, **{k: val for k, val in values.items() if val is not None and val != ""}}
    p = PlanParameters(
        gap_m=float(_number(v["gap_m"], "gap_m", integer=False, minimum=0, maximum=MAX_GAP_M)),
        within_street=_boolean(v["within_street"], "within_street"),
        min_households=_number(v["min_households"], "min_households", integer=True, minimum=1),
        max_households=_number(v["max_households"], "max_households", integer=True, minimum=1),
        min_floor_area=_number(v["min_floor_area"], "min_floor_area", integer=False, minimum=0, optional=True),
        max_floor_area=_number(v["max_floor_area"], "max_floor_area", integer=False, minimum=0, optional=True),
        seed=_number(v["seed"], "seed", integer=True, minimum=0, maximum=2**31 - 1),
    )
    if p.max_households < p.min_households:
        raise PlanInvalid(_("The maximum households (%(max)s) must not be below the minimum (%(min)s).")
                          % {"max": p.max_households, "min": p.min_households}, field="max_households")
    if p.min_floor_area is not None and p.max_floor_area is not None and p.max_floor_area < p.min_floor_area:
        raise PlanInvalid(_("The maximum floor area (%(max)s m²) must not be below the minimum (%(min)s m²).")
                          % {"max": p.max_floor_area, "min": p.min_floor_area}, field="max_floor_area")
    return p


def parameters_of(plan: TakeoverPlan) -> PlanParameters:
    return plan_parameters(**{k: plan.parameters.get(k) for k in DEFAULTS})


# --- messages --------------------------------------------------------------------------------------------------

def _estate_label(estate: Estate) -> str:
    return f"{estate.name} ({estate.code})"


def problem_message(problem: Problem, *, number: int | None, labels: dict[int, str] | None = None) -> str:
    """A plain-language sentence for a bundle_problems Problem of the bundle numbered `number` (None: a new one)."""
    labels = labels or {}
    bundle = _("Bundle #%(number)s") % {"number": number} if number is not None else _("The new bundle")
    p = problem.params
    if problem.code == "not_contiguous":
        return _("%(bundle)s would fall apart into %(parts)s groups of estates that are not adjacent (neither "
                 "touching nor within the plan's gap).") % {"bundle": bundle, "parts": p.get("parts")}
    if problem.code in ("too_small", "too_large"):
        if p.get("measure") == "floor_area":
            text = (_("%(bundle)s would have %(value)s m² of floor area, less than the minimum %(limit)s m².")
                    if problem.code == "too_small" else
                    _("%(bundle)s would have %(value)s m² of floor area, more than the maximum %(limit)s m²."))
        else:
            text = (_("%(bundle)s would have %(value)s households, fewer than the minimum %(limit)s.")
                    if problem.code == "too_small" else
                    _("%(bundle)s would have %(value)s households, more than the maximum %(limit)s."))
        return text % {"bundle": bundle, "value": p.get("value"), "limit": p.get("limit")}
    if problem.code == "empty":
        return _("%(bundle)s would have no estate left; delete the bundle instead.") % {"bundle": bundle}
    ids = p.get("unit_ids") or []
    names = ", ".join(labels.get(i, str(i)) for i in ids[:10])
    if problem.code == "duplicate_unit":
        return _("%(bundle)s lists these estates twice: %(estates)s.") % {"bundle": bundle, "estates": names}
    return _("%(bundle)s: these estates are not uncovered old estates of the plan: %(estates)s.") % {
        "bundle": bundle, "estates": names}


def _problems_json(problems: Sequence[Problem], *, number, rank, bundle_id, labels) -> list[dict]:
    return [{"code": p.code, "params": p.params, "bundle_id": bundle_id, "number": number, "rank": rank,
             "message": problem_message(p, number=number, labels=labels)} for p in problems]


# --- reading helpers -------------------------------------------------------------------------------------------

def _lock(user, plan_id: int, version, action: str = CHANGE) -> TakeoverPlan:
    """The plan, row-locked until commit, if it is a draft at `version`; else PlanConflict."""
    plan = get_restricted(TakeoverPlan.objects.select_for_update(of=("self",)), user, action, pk=plan_id)
    if plan.status != PlanStatus.DRAFT:
        raise PlanConflict(_("Plan “%(name)s” is %(status)s and can no longer be changed.")
                           % {"name": plan.name, "status": PlanStatus(plan.status).label}, version=plan.version)
    try:
        version = number_param(version, "version", integer=True)
    except Invalid as exc:
        raise PlanInvalid(str(exc), field="version") from None
    if version is None:
        raise PlanInvalid(_("Send the plan version you edited (version)."), field="version")
    if version != plan.version:
        raise PlanConflict(_("Plan “%(name)s” was changed meanwhile: it is now version %(version)s, you edited "
                             "version %(yours)s. Reload it and redo your change.")
                           % {"name": plan.name, "version": plan.version, "yours": version}, version=plan.version)
    return plan


def _members(plan: TakeoverPlan) -> dict[int, list[int]]:
    """bundle id → its estate ids (sorted), for every bundle of the plan (empty bundles included)."""
    members: dict[int, list[int]] = {b: [] for b in plan.bundles.values_list("pk", flat=True)}
    for bundle_id, estate_id in (BundleEstate.objects.filter(plan=plan).order_by("estate_id")
                                 .values_list("bundle_id", "estate_id")):
        members.setdefault(bundle_id, []).append(estate_id)
    return members


def _snapshot(plan: TakeoverPlan) -> dict:
    members = _members(plan)
    bundles = [
        {"id": b.pk, "number": b.number, "rank": b.rank, "enterprise_id": b.enterprise_id,
         "estate_ids": members.get(b.pk, []),
         "households": b.households, "floor_area": b.floor_area, "score": b.score}
        for b in plan.bundles.order_by("rank", "pk")
    ]
    return {"status": plan.status, "bundles": bundles}


def _save_version(plan: TakeoverPlan, *, user, note: str, bump: bool = True, extra: dict | None = None) -> None:
    if bump:
        plan.version += 1
    plan.save()
    snapshot = _snapshot(plan)
    if extra:
        snapshot.update(extra)
    PlanVersion.objects.create(plan=plan, version=plan.version, note=note[:200], snapshot=snapshot, user=user)


UNION_SQL = """
UPDATE layers_bundle b
   SET geom = s.geom
  FROM (SELECT be.bundle_id, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(e.geom)), 3)) AS geom
          FROM layers_bundleestate be JOIN layers_estate e ON e.id = be.estate_id
         WHERE be.plan_id = %(plan)s AND (%(bundles)s::bigint[] IS NULL OR be.bundle_id = ANY(%(bundles)s::bigint[]))
         GROUP BY be.bundle_id) AS s
 WHERE b.id = s.bundle_id
"""


def _refresh_outlines(plan: TakeoverPlan, bundle_ids: Iterable[int] | None = None) -> None:
    """Each bundle's outline = the union of its estates, computed in SQL."""
    ids = None if bundle_ids is None else sorted(set(bundle_ids))
    with connection.cursor() as cursor:
        cursor.execute(UNION_SQL, {"plan": plan.pk, "bundles": ids})


RERANK_SQL = """
UPDATE layers_bundle b
   SET rank = v.rank, score = v.score, households = v.households, floor_area = v.floor_area
  FROM (SELECT unnest(%(ids)s::bigint[]) AS id, unnest(%(ranks)s::int[]) AS rank,
               unnest(%(scores)s::float8[]) AS score, unnest(%(households)s::int[]) AS households,
               unnest(%(areas)s::float8[]) AS floor_area) AS v
 WHERE b.id = v.id
   AND (b.rank, b.score, b.households, b.floor_area) IS DISTINCT FROM (v.rank, v.score, v.households, v.floor_area)
"""


def _rerank(plan: TakeoverPlan, srid: int) -> None:
    """Households, floor area, score and rank of every bundle, easy first (rank_easy_first) after an edit."""
    members = {b: ids for b, ids in _members(plan).items() if ids}
    if not members:
        return
    units = bundle_inputs.units_by_ids(estate_ids=[i for ids in members.values() for i in ids], srid=srid)
    units_by_id = {u.id: u for u in units}
    groups = {tuple(sorted(i for i in ids if i in units_by_id)): b for b, ids in members.items()}
    groups.pop((), None)
    ranked = rank_easy_first(list(groups), units_by_id=units_by_id, territories=bundle_inputs.territories(srid=srid))
    rows = [(groups[tuple(p.unit_ids)], p.rank, round(p.score, 6), p.households, float(p.floor_area))
            for p in ranked]
    with connection.cursor() as cursor:  # one statement; Django's bulk_update builds a CASE per row and field
        cursor.execute(RERANK_SQL, {"ids": [r[0] for r in rows], "ranks": [r[1] for r in rows],
                                    "scores": [r[2] for r in rows], "households": [r[3] for r in rows],
                                    "areas": [r[4] for r in rows]})


def _srid(plan: TakeoverPlan) -> int:
    return bundle_inputs.metric_srid(street_id=plan.street_id)


# --- create ----------------------------------------------------------------------------------------------------

def plan_inputs_check(*, user, name, start_date, street_id=None, **parameters):
    """The inputs of a new plan, checked (PlanInvalid naming the field): its name, street, district and parameters.
    The plan page checks them before it starts a proposal job, so a wrong field is shown at once."""
    require(user, TakeoverPlan, ADD)
    if name is not None and not isinstance(name, str):
        raise PlanInvalid(_("The name must be text."), field="name")
    name = (name or "").strip()
    if not name:
        raise PlanInvalid(_("Give the plan a name."), field="name")
    if len(name) > NAME_MAX_CHARS:
        raise PlanInvalid(_("The name is longer than %(max)d characters.") % {"max": NAME_MAX_CHARS}, field="name")
    if not isinstance(start_date, datetime.date):
        raise PlanInvalid(_("The contract start date is required (YYYY-MM-DD)."), field="start_date")
    street = None
    if street_id not in (None, ""):
        if isinstance(street_id, bool) or not str(street_id).strip().isdigit():
            raise PlanInvalid(_("street must be a street office's id (a whole number), not %(value)s.")
                              % {"value": json.dumps(street_id, ensure_ascii=False)[:40]}, field="street")
        street = AdminArea.objects.filter(pk=int(street_id), level=AdminLevel.STREET).first()
        if street is None:
            raise PlanInvalid(_("No street office with id %(id)s.") % {"id": street_id}, field="street")
    # A plan is for one district (DOMAIN.md "Levels"): the street's, else the planner's own; a street outside the
    # planner's district is not found. Only the system administrator may plan the whole city (no district).
    own = district_of(user)
    if street is not None and own is not None and street.parent_id != own.pk:
        raise PlanInvalid(_("No street office with id %(id)s.") % {"id": street_id}, field="street")
    district = street.parent if street is not None else own
    return name, street, district, plan_parameters(**parameters)


def plan_create(*, user, name: str, start_date: datetime.date, street_id: int | None = None, progress=None,
                **parameters) -> TakeoverPlan:
    """A draft plan with the bundles propose_bundles finds among the uncovered old estates (district or street).

    `progress(done, total, message)`, when given (a proposal job), is called before each of the three steps —
    never inside the transaction that writes the plan, so a cancel it raises leaves nothing written."""
    step = progress or (lambda done, total, message: None)
    name, street, district, params = plan_inputs_check(user=user, name=name, start_date=start_date,
                                                       street_id=street_id, **parameters)
    step(0, 3, _("Reading the uncovered estates"))
    srid = bundle_inputs.metric_srid(street_id=street.pk if street else None)
    units = bundle_inputs.uncovered_units(on=start_date, srid=srid, street_id=street.pk if street else None,
                                          district_id=district.pk if district else None)
    step(1, 3, _("Proposing bundles among %(n)s uncovered estates") % {"n": f"{len(units):,}"})
    proposed = propose_bundles(units, params.rules(), territories=bundle_inputs.territories(srid=srid),
                               seed=params.seed)
    step(2, 3, _("Saving %(n)s bundles") % {"n": f"{len(proposed):,}"})
    with transaction.atomic():
        plan = TakeoverPlan.objects.create(name=name, district=district, street=street, start_date=start_date,
                                           parameters=params.as_json(), created_by=user)
        bundles = Bundle.objects.bulk_create([
            Bundle(plan=plan, number=p.rank, rank=p.rank, households=p.households, floor_area=p.floor_area,
                   score=round(p.score, 6))
            for p in proposed
        ])
        BundleEstate.objects.bulk_create([
            BundleEstate(plan=plan, bundle=bundle, estate_id=estate_id)
            for bundle, p in zip(bundles, proposed) for estate_id in p.unit_ids
        ])
        _refresh_outlines(plan)
        _save_version(plan, user=user, note=_("Proposed: %(n)s bundles from %(units)s uncovered estates")
                      % {"n": len(proposed), "units": len(units)}, bump=False)
    return plan


# --- bundle edits ----------------------------------------------------------------------------------------------

def _refusals(plan: TakeoverPlan, estate_ids: Sequence[int], eligible: set[int],
              bundle_of: dict[int, int], numbers: dict[int, int]) -> list[str]:
    """Why each of `estate_ids` outside `eligible` cannot join a bundle of the plan."""
    estates = {e.pk: e for e in Estate.objects.filter(pk__in=estate_ids).select_related("community__parent")}
    contracts = {}
    for c in (ServiceContract.objects.filter(contract_not_ended_filter(plan.start_date),
                                             estate_id__in=estate_ids)
              .select_related("enterprise", "caretaker_agency", "estate__community").order_by("start_date")):
        contracts.setdefault(c.estate_id, c)
    messages = []
    for i in estate_ids:
        estate = estates.get(i)
        if estate is None:
            messages.append(_("No estate with id %(id)s.") % {"id": i})
        elif i in bundle_of:
            messages.append(_("%(estate)s is already in bundle #%(number)s of this plan; move it instead.")
                            % {"estate": _estate_label(estate), "number": numbers.get(bundle_of[i], "?")})
        elif i in eligible:
            continue
        elif not is_old_estate(estate.build_year):
            messages.append(_("%(estate)s was built in %(year)s: it is not an old estate.")
                            % {"estate": _estate_label(estate), "year": estate.build_year})
        elif plan.district_id and estate.community.parent.parent_id != plan.district_id:
            messages.append(_("No estate with id %(id)s.") % {"id": i})  # another district's: as if absent
        elif plan.street_id and estate.community.parent_id != plan.street_id:
            messages.append(_("%(estate)s lies in %(street)s, outside this plan's street.")
                            % {"estate": _estate_label(estate), "street": estate.community.parent.name})
        elif i in contracts:
            c = contracts[i]
            messages.append(_("%(estate)s is already served by %(provider)s from %(start)s.")
                            % {"estate": _estate_label(estate), "provider": contract_provider_name(c),
                               "start": c.start_date})
        else:
            messages.append(_("%(estate)s cannot join a bundle.") % {"estate": _estate_label(estate)})
    return messages


def _ids(values, field: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple, set)):
        raise PlanInvalid(_("%(field)s must be a list of estate ids.") % {"field": field}, field=field)
    try:
        return list(dict.fromkeys(int(v) for v in values))
    except (TypeError, ValueError):
        raise PlanInvalid(_("%(field)s must be a list of estate ids.") % {"field": field}, field=field) from None


def _check_bundles(plan: TakeoverPlan, proposed: dict[int | None, list[int]], params: PlanParameters,
                   srid: int) -> None:
    """bundle_problems for each changed bundle (None = a new one); PlanInvalid listing them all."""
    every = sorted({i for ids in proposed.values() for i in ids})
    units = bundle_inputs.units_by_ids(estate_ids=every, srid=srid)
    units_by_id = {u.id: u for u in units}
    graph = adjacency(units, gap_m=params.gap_m, within_street=params.within_street)
    labels = {e.pk: _estate_label(e) for e in Estate.objects.filter(pk__in=every).only("pk", "name", "code")}
    problems = []
    labels_of = {pk: (number, rank) for pk, number, rank in plan.bundles.values_list("pk", "number", "rank")}
    for bundle_id, ids in proposed.items():
        found = bundle_problems(ids, units_by_id=units_by_id, graph=graph, rules=params.rules())
        number, rank = labels_of.get(bundle_id, (None, None))
        problems += _problems_json(found, number=number, rank=rank, bundle_id=bundle_id, labels=labels)
    if problems:
        message = problems[0]["message"] if len(problems) == 1 else _(
            "The change is refused: %(problems)s") % {"problems": " ".join(p["message"] for p in problems)}
        raise PlanInvalid(message, problems)


def _enterprise_for_bundle(enterprise_id) -> Enterprise | None:
    if enterprise_id is None or enterprise_id == "":
        return None
    try:
        enterprise_id = int(enterprise_id)
    except (TypeError, ValueError):
        raise PlanInvalid(_("enterprise_id must be an enterprise id."), field="enterprise_id") from None
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        raise PlanInvalid(_("No enterprise with id %(id)s.") % {"id": enterprise_id}, field="enterprise_id")
    if enterprise.list_status == ListStatus.BLACK:
        raise PlanInvalid(
            _("%(name)s is on the black list (since %(since)s: %(reason)s) and may get no bundle.")
            % {"name": enterprise.name, "since": enterprise.list_status_since or "—",
               "reason": enterprise.list_status_reason or "—"}, field="enterprise_id")
    return enterprise


def _write_bundle_rows(fn):
    """The trigger of migration 0009 (black list) as a plain refusal, should a listing land between check and save."""
    try:
        return fn()
    except IntegrityError as exc:
        if "blacklisted_enterprise" in str(exc):
            raise PlanInvalid(_("The enterprise is on the black list and may get no bundle."),
                              field="enterprise_id") from exc
        raise


def bundle_update(*, user, plan_id: int, bundle_id: int, version, add=None, remove=None, move=None,
                  enterprise_id=UNSET, note: str = "") -> Bundle:
    """Change one bundle of a draft plan: add uncovered estates, remove estates, move estates in from other bundles
    (a bundle emptied by the move is deleted), and/or set its enterprise. Every bundle changed is re-checked
    (contiguous, within the size bounds); refused as a whole otherwise.
    """
    require(user, TakeoverPlan, CHANGE)
    add, remove, move = _ids(add, "add"), _ids(remove, "remove"), _ids(move, "move")
    with transaction.atomic():
        plan = _lock(user, plan_id, version)
        bundle = plan.bundles.filter(pk=bundle_id).first()
        if bundle is None:
            raise PlanInvalid(_("Plan “%(name)s” has no bundle %(id)s.") % {"name": plan.name, "id": bundle_id},
                              field="bundle")
        if not (add or remove or move) and enterprise_id is UNSET:
            raise PlanInvalid(_("Nothing to change: send add, remove, move or enterprise_id."))
        params, srid = parameters_of(plan), _srid(plan)
        members = _members(plan)
        bundle_of = {e: b for b, ids in members.items() for e in ids}
        numbers = dict(plan.bundles.values_list("pk", "number"))
        notes = []
        if add or remove or move:
            overlap = set(add) & set(remove) | set(move) & set(remove) | set(add) & set(move)
            if overlap:
                raise PlanInvalid(_("An estate cannot be added and removed at once (ids %(ids)s).")
                                  % {"ids": ", ".join(map(str, sorted(overlap)))})
            own = set(members[bundle.pk])
            not_in = [i for i in remove if i not in own]
            if not_in:
                raise PlanInvalid(_("Estates %(ids)s are not in bundle #%(number)s.")
                                  % {"ids": ", ".join(map(str, not_in)), "number": bundle.number}, field="remove")
            bad_moves = [i for i in move if bundle_of.get(i) in (None, bundle.pk)]
            if bad_moves:
                raise PlanInvalid(_("Estates %(ids)s are not in another bundle of this plan; add them instead.")
                                  % {"ids": ", ".join(map(str, bad_moves))}, field="move")
            if add:
                eligible = {u.id for u in bundle_inputs.uncovered_units(
                    on=plan.start_date, srid=srid, street_id=plan.street_id, estate_ids=add, district_id=plan.district_id)}
                refused = _refusals(plan, add, eligible, bundle_of, numbers)
                if refused:
                    raise PlanInvalid(" ".join(refused), field="add")
            proposed = {bundle.pk: sorted((own - set(remove)) | set(add) | set(move))}
            emptied = []
            for source in sorted({bundle_of[i] for i in move}):
                left = sorted(set(members[source]) - set(move))
                if left:
                    proposed[source] = left
                else:
                    emptied.append(source)
            _check_bundles(plan, proposed, params, srid)
            if remove:
                BundleEstate.objects.filter(plan=plan, bundle=bundle, estate_id__in=remove).delete()
            if move:
                BundleEstate.objects.filter(plan=plan, estate_id__in=move).update(bundle=bundle)
            if add:
                BundleEstate.objects.bulk_create([BundleEstate(plan=plan, bundle=bundle, estate_id=i) for i in add])
            if emptied:
                Bundle.objects.filter(pk__in=emptied).delete()
            _refresh_outlines(plan, [b for b in proposed])
            _rerank(plan, srid)
            if add:
                notes.append(_("added %(n)s estates") % {"n": len(add)})
            if remove:
                notes.append(_("removed %(n)s estates") % {"n": len(remove)})
            if move:
                notes.append(_("moved in %(n)s estates") % {"n": len(move)})
        if enterprise_id is not UNSET:
            enterprise = _enterprise_for_bundle(enterprise_id)
            bundle.refresh_from_db()
            bundle.enterprise = enterprise
            _write_bundle_rows(lambda: bundle.save(update_fields=["enterprise"]))
            notes.append(_("enterprise: %(name)s") % {"name": enterprise.name if enterprise else "—"})
        bundle.refresh_from_db()
        _save_version(plan, user=user, note=note or _("Bundle #%(number)s: %(what)s")
                      % {"number": bundle.number, "what": "; ".join(notes)})
    return bundle


def bundle_enterprise_set(*, user, plan_id: int, bundle_id: int, version, enterprise_id) -> Bundle:
    """Give a bundle to an enterprise (None: none yet); a black-listed enterprise is refused (rule 4)."""
    return bundle_update(user=user, plan_id=plan_id, bundle_id=bundle_id, version=version,
                         enterprise_id=enterprise_id)


def bundle_create(*, user, plan_id: int, version, estate_ids, enterprise_id=None) -> Bundle:
    """A new bundle of uncovered estates that are in no bundle of the plan yet; checked like an edit."""
    require(user, TakeoverPlan, CHANGE)
    ids = _ids(estate_ids, "estates")
    if not ids:
        raise PlanInvalid(_("Choose the estates of the new bundle."), field="estates")
    with transaction.atomic():
        plan = _lock(user, plan_id, version)
        params, srid = parameters_of(plan), _srid(plan)
        members = _members(plan)
        bundle_of = {e: b for b, bids in members.items() for e in bids}
        numbers = dict(plan.bundles.values_list("pk", "number"))
        eligible = {u.id for u in bundle_inputs.uncovered_units(
            on=plan.start_date, srid=srid, street_id=plan.street_id, estate_ids=ids, district_id=plan.district_id)}
        refused = _refusals(plan, ids, eligible, bundle_of, numbers)
        if refused:
            raise PlanInvalid(" ".join(refused), field="estates")
        _check_bundles(plan, {None: sorted(ids)}, params, srid)
        enterprise = _enterprise_for_bundle(enterprise_id)
        # The next number of the plan (numbers are never reused, so a version's note names one bundle); the plan
        # row is locked, and bundle_number_in_plan holds it in the database.
        bundle = _write_bundle_rows(lambda: Bundle.objects.create(
            plan=plan, number=max(numbers.values(), default=0) + 1, rank=len(numbers) + 1, enterprise=enterprise))
        BundleEstate.objects.bulk_create([BundleEstate(plan=plan, bundle=bundle, estate_id=i) for i in ids])
        _refresh_outlines(plan, [bundle.pk])
        _rerank(plan, srid)
        bundle.refresh_from_db()
        _save_version(plan, user=user, note=_("New bundle #%(number)s of %(n)s estates")
                      % {"number": bundle.number, "n": len(ids)})
    return bundle


def bundle_delete(*, user, plan_id: int, bundle_id: int, version) -> None:
    """Drop a bundle from a draft plan; its estates become free for other bundles."""
    require(user, TakeoverPlan, CHANGE)
    with transaction.atomic():
        plan = _lock(user, plan_id, version)
        bundle = plan.bundles.filter(pk=bundle_id).first()
        if bundle is None:
            raise PlanInvalid(_("Plan “%(name)s” has no bundle %(id)s.") % {"name": plan.name, "id": bundle_id},
                              field="bundle")
        number = bundle.number
        bundle.delete()
        _rerank(plan, _srid(plan))
        _save_version(plan, user=user, note=_("Bundle #%(number)s deleted") % {"number": number})


# --- approve, discard ------------------------------------------------------------------------------------------

def plan_approve(*, user, plan_id: int, version) -> TakeoverPlan:
    """Every bundle's contracts (enterprise, mode bundled, from the plan's start date) in one transaction, or none.

    Refused when a bundle has no enterprise (all are listed), when a bundle no longer passes bundle_problems, or
    when contracts_assign refuses a bundle (an estate served meanwhile, an enterprise black-listed meanwhile…):
    the message names the bundle and nothing is written.
    """
    require(user, TakeoverPlan, CHANGE)
    require(user, ServiceContract, ADD)
    with transaction.atomic():
        plan = _lock(user, plan_id, version)
        bundles = list(plan.bundles.select_related("enterprise").order_by("rank", "pk"))
        if not bundles:
            raise PlanInvalid(_("Plan “%(name)s” has no bundle to approve.") % {"name": plan.name})
        without = sorted(b.number for b in bundles if b.enterprise_id is None)
        if without:
            raise PlanInvalid(_("Choose an enterprise for every bundle first; missing for bundles %(numbers)s.")
                              % {"numbers": ", ".join(f"#{n}" for n in without)}, field="enterprise_id")
        params, srid = parameters_of(plan), _srid(plan)
        members = _members(plan)
        _check_bundles(plan, {b.pk: members.get(b.pk, []) for b in bundles}, params, srid)
        coverage = plan_coverage(plan=plan)  # the figures as they stood when approved, kept
        created = 0
        for b in bundles:
            try:
                contracts = contracts_assign(
                    user=user, estate_ids=members[b.pk], provider_kind=ProviderKind.ENTERPRISE,
                    mode=ContractMode.BUNDLED, start_date=plan.start_date, enterprise_id=b.enterprise_id,
                    bundle_id=b.pk, note=_("Bundled takeover: %(plan)s, bundle #%(number)s")
                    % {"plan": plan.name, "number": b.number})
            except Refusal as exc:  # contracts_assign refused the bundle: nothing of the plan is approved
                raise PlanInvalid(_("Bundle #%(number)s (%(enterprise)s): %(reason)s Nothing was approved.")
                                  % {"number": b.number, "enterprise": b.enterprise.name,
                                     "reason": exc.message}) from exc
            created += len(contracts)
        plan.status = PlanStatus.APPROVED
        plan.approved_by, plan.approved_at = user, timezone.now()
        _save_version(plan, user=user, note=_("Approved: %(n)s contracts in %(b)s bundles")
                      % {"n": created, "b": len(bundles)}, extra={"coverage": coverage})
    return plan


def plan_discard(*, user, plan_id: int, version) -> TakeoverPlan:
    """A draft plan set aside (kept, with its versions, read-only)."""
    require(user, TakeoverPlan, CHANGE)
    with transaction.atomic():
        plan = _lock(user, plan_id, version)
        plan.status = PlanStatus.DISCARDED
        _save_version(plan, user=user, note=_("Discarded"))
    return plan
