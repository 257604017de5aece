"""The annual evaluation (003 §5(3), docs/EVALUATIONS.md): street opinions, the district's scheme, running the
evaluation (drafts) and confirming it (the register's CreditEvaluation, red-list proposals confirmed one by one).

Nothing changes a list silently: confirming records each enterprise's CreditEvaluation through the register's own
service (services.enterprises.evaluation_record), whose rule puts an enterprise failing two years running on the
black list and logs a RegisterChange; the page shows that consequence before the planner confirms. A red-list
proposal becomes a listing only when the planner confirms it (listing_set). Key supervision stays a mark on the
result and in the register's change note. Every write is in the audit log.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    AdminArea,
    CreditEvaluation,
    EnterpriseEvaluation,
    EvaluationScheme,
    EvaluationStatus,
    ListStatus,
    StreetOpinion,
)
from ..models.audit import AuditKind
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require, restrict, street_of
from ..planning import evaluation as pure
from ..refusals import Conflict, Invalid
from ..security.audit import record
from ..selectors import evaluations as selectors
from . import enterprises as register

FIRST_YEAR = 2000
COMMENT_MAX_CHARS = 500


def _audit(user, detail: str, object_id="") -> None:
    record(AuditKind.CHANGE, user=user, method="service", path="evaluations", object_type="evaluation",
           object_id=str(object_id), detail=detail[:500])


def check_year(value, *, finished: bool = True) -> int:
    """A year as an int; `finished`: only a year that has ended may be evaluated."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(_("The year must be a whole number such as 2024."), field="year") from None
    last = timezone.localdate().year - (1 if finished else 0)
    if not FIRST_YEAR <= year <= last:
        raise Invalid(_("The year must lie between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": last},
                      field="year")
    return year


def _district(user, district_id, action=VIEW) -> AdminArea:
    require(user, EnterpriseEvaluation, action)
    return get_restricted(AdminArea.objects.filter(level="district"), user, VIEW, pk=district_id)


# --- street opinions -------------------------------------------------------------------------------------------------

def opinion_save(*, user, enterprise_id: int, year, score, comment: str = "") -> StreetOpinion:
    """A street office's opinion of an enterprise serving in its street in `year` (a later save replaces it)."""
    require(user, StreetOpinion, ADD)
    street = street_of(user)
    year = check_year(year, finished=False)
    try:
        score = int(str(score).strip())
    except (TypeError, ValueError):
        raise Invalid(_("The score must be a whole number from 0 to 100."), field="score") from None
    if not 0 <= score <= 100:
        raise Invalid(_("The score must be a whole number from 0 to 100."), field="score")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise Invalid(_("The comment is longer than %(limit)d characters.") % {"limit": COMMENT_MAX_CHARS},
                      field="comment")
    serving = {row["id"] for row in selectors.street_enterprises(street=street, year=year)}
    if int(enterprise_id) not in serving:
        raise Invalid(_("This enterprise served no estate of your street in %(year)d.") % {"year": year},
                      field="enterprise")
    with transaction.atomic():
        opinion, _created = StreetOpinion.objects.update_or_create(
            street=street, enterprise_id=enterprise_id, year=year,
            defaults={"score": score, "comment": comment, "by": user})
    _audit(user, f"street opinion {street.pk}/{enterprise_id}/{year}: {score}", opinion.pk)
    return opinion


# --- the scheme ------------------------------------------------------------------------------------------------------

SCHEME_FIELDS = ("weight_contracts", "weight_complaints", "weight_inspections", "weight_opinions", "grade_aaa",
                 "grade_aa", "grade_a", "grade_b", "pass_line", "key_supervision_per_1000")


def scheme_save(*, user, district_id: int, **values) -> EvaluationScheme:
    """Set the district's weights and thresholds (checked here and by the database)."""
    require(user, EvaluationScheme, CHANGE)
    district = get_restricted(AdminArea.objects.filter(level="district"), user, VIEW, pk=district_id)
    cleaned = {}
    for name in SCHEME_FIELDS:
        if name not in values:
            continue
        try:
            cleaned[name] = float(str(values[name]).strip()) if name == "key_supervision_per_1000" \
                else int(str(values[name]).strip())
        except (TypeError, ValueError):
            raise Invalid(_("%(field)s must be a number.") % {"field": name}, field=name) from None
    scheme = EvaluationScheme.objects.filter(district=district).first() or EvaluationScheme(district=district)
    for name, value in cleaned.items():
        setattr(scheme, name, value)
    check = pure.Scheme(
        weights={"contracts": scheme.weight_contracts, "complaints": scheme.weight_complaints,
                 "inspections": scheme.weight_inspections, "opinions": scheme.weight_opinions},
        thresholds=(scheme.grade_aaa, scheme.grade_aa, scheme.grade_a, scheme.grade_b),
        pass_line=scheme.pass_line, key_per_1000=float(scheme.key_supervision_per_1000))
    problems = check.problems()
    if problems:
        raise Invalid(_("The scheme is not valid: %(problems)s.") % {"problems": "; ".join(_(p) for p in problems)})
    scheme.updated_by = user
    scheme.save()
    _audit(user, f"evaluation scheme of district {district.pk}: {cleaned}", scheme.pk)
    return scheme


# --- running ---------------------------------------------------------------------------------------------------------

def evaluation_job_start(*, user, district_id: int, year):
    """Run the district's evaluation of `year` as a background job (its results are drafts)."""
    from . import jobs

    district = _district(user, district_id, ADD)
    year = check_year(year)
    _refuse_if_confirmed(district, year)
    return jobs.job_start(user=user, kind="evaluation", title=_("Annual evaluation %(year)d: %(district)s")
                          % {"year": year, "district": district.name},
                          params={"district": district.pk, "year": year})


def _refuse_if_confirmed(district, year: int) -> None:
    if EnterpriseEvaluation.objects.filter(district=district, year=year, status=EvaluationStatus.CONFIRMED).exists():
        raise Conflict(_("The evaluation of %(year)d has been confirmed; it cannot be run again.") % {"year": year})


def evaluation_run(*, user, district_id: int, year, progress=None) -> int:
    """Compute every enterprise serving the district in `year`; replace the drafts. Returns how many."""
    district = _district(user, district_id, ADD)
    year = check_year(year)
    scheme = selectors.scheme_for(district)
    with transaction.atomic():
        _refuse_if_confirmed(district, year)
        figures = selectors.evaluation_inputs(district=district, year=year)
        total = len(figures)
        if progress:
            progress(0, total)
        EnterpriseEvaluation.objects.filter(district=district, year=year).exclude(
            enterprise_id__in=list(figures)).delete()
        for done, (enterprise_id, row) in enumerate(figures.items(), start=1):
            result = pure.evaluate(row["inputs"], scheme)
            EnterpriseEvaluation.objects.update_or_create(
                enterprise_id=enterprise_id, district=district, year=year,
                defaults={"inputs": {**row["inputs"].__dict__, "per_1000": result.per_1000},
                          "explanation": result.explanation,
                          **{f"score_{c}": result.scores.get(c) for c in pure.COMPONENTS},
                          "total": result.total, "grade": result.grade, "passed": result.passed,
                          "key_supervision": result.key_supervision, "red_list_proposed": result.red_list_proposed,
                          "status": EvaluationStatus.DRAFT})
            if progress:
                progress(done, total)
    _audit(user, f"evaluation {district.pk}/{year} run: {total} enterprises", district.pk)
    return total


# --- what confirming does --------------------------------------------------------------------------------------------

def consequences(rows, year: int) -> dict[int, dict]:
    """Per result id: what confirming it does to the register — whether a credit evaluation of the year is recorded
    already (then it is left as it is) and whether the black list follows (failing this year and the last)."""
    enterprise_ids = [r.enterprise_id for r in rows]
    recorded = set(CreditEvaluation.objects.filter(enterprise_id__in=enterprise_ids, year=year)
                   .values_list("enterprise_id", flat=True))
    failed_before = set(CreditEvaluation.objects.filter(enterprise_id__in=enterprise_ids, year=year - 1, passed=False)
                        .values_list("enterprise_id", flat=True))
    return {r.pk: {"recorded": r.enterprise_id in recorded,
                   "black_list": not r.passed and r.enterprise_id in failed_before
                   and r.enterprise_id not in recorded} for r in rows}


def _note(row: EnterpriseEvaluation) -> str:
    parts = [_("Annual evaluation, total %(total)s") % {"total": row.total}]
    if row.key_supervision:
        parts.append(_("key supervision: many complaints"))
    if row.red_list_proposed:
        parts.append(_("red list proposed"))
    return "; ".join(parts)[:200]


def evaluation_confirm(*, user, district_id: int, year) -> dict:
    """Confirm the district's drafts of `year`: each becomes the register's CreditEvaluation (its list rule applies
    and is logged), unless one is recorded for that year already (another district confirmed first)."""
    district = _district(user, district_id, CHANGE)
    require(user, CreditEvaluation, ADD)
    year = check_year(year)
    counts = {"confirmed": 0, "recorded": 0, "already_recorded": 0, "black_listed": 0}
    with transaction.atomic():
        rows = list(EnterpriseEvaluation.objects.select_for_update().filter(
            district=district, year=year, status=EvaluationStatus.DRAFT).select_related("enterprise"))
        if not rows:
            raise Invalid(_("There are no draft results of %(year)d to confirm; run the evaluation first.")
                          % {"year": year})
        now = timezone.now()
        for row in rows:
            if CreditEvaluation.objects.filter(enterprise_id=row.enterprise_id, year=year).exists():
                counts["already_recorded"] += 1
            else:
                register.evaluation_record(user=user, enterprise_id=row.enterprise_id, year=year, grade=row.grade,
                                           passed=row.passed, note=_note(row))
                counts["recorded"] += 1
                row.enterprise.refresh_from_db()
                if row.enterprise.list_status == ListStatus.BLACK and not row.passed:
                    counts["black_listed"] += 1
            row.status, row.confirmed_by, row.confirmed_at = EvaluationStatus.CONFIRMED, user, now
            row.save(update_fields=["status", "confirmed_by", "confirmed_at"])
            counts["confirmed"] += 1
    _audit(user, f"evaluation {district.pk}/{year} confirmed: {counts}", district.pk)
    return counts


def red_list_confirm(*, user, evaluation_id: int):
    """The planner accepts a confirmed result's red-list proposal: the enterprise is listed red from today."""
    require(user, EnterpriseEvaluation, CHANGE)
    row = get_restricted(EnterpriseEvaluation.objects.select_related("enterprise"), user, CHANGE, pk=evaluation_id)
    if row.status != EvaluationStatus.CONFIRMED or not row.red_list_proposed:
        raise Invalid(_("Only a confirmed result proposing the red list can put the enterprise on it."))
    listing = register.listing_set(
        user=user, enterprise_id=row.enterprise_id, status=ListStatus.RED, listed_on=timezone.localdate(),
        reason=_("Annual evaluation %(year)d: grade %(grade)s") % {"year": row.year, "grade": row.grade})
    _audit(user, f"red list from evaluation {row.pk}", row.pk)
    return listing


def visible_evaluations(user, *, district, year: int):
    require(user, EnterpriseEvaluation, VIEW)
    return restrict(selectors.evaluations(district=district, year=year), user, VIEW)


def default_year() -> int:
    return timezone.localdate().year - 1
