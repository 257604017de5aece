"""Reads for the annual evaluation: each enterprise's figures of a district and year (in SQL), schemes, results,
street opinions and the enterprises a street office gives its opinion of (docs/EVALUATIONS.md)."""
from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AdminArea, EnterpriseEvaluation, EvaluationScheme, Rating, StreetOpinion
from ..permissions import VIEW, district_of, restrict
from ..planning.evaluation import Inputs, Scheme
from .inspections import inspection_scores

# Per enterprise serving an estate of the district under a contract overlapping the year: estates contracted,
# estates whose service by it ended before the year was over (its last contract there ends by 31 December), the
# households of those estates, and its complaints received in the year in the district.
FIGURES_SQL = """
WITH served AS (
    SELECT c.enterprise_id, c.estate_id, e.households,
           MAX(COALESCE(c.end_date, 'infinity'::date)) AS last_end
    FROM layers_servicecontract c
    JOIN layers_estate e ON e.id = c.estate_id
    JOIN layers_adminarea community ON community.id = e.community_id
    JOIN layers_adminarea street ON street.id = community.parent_id
    WHERE street.parent_id = %(district)s AND c.enterprise_id IS NOT NULL
      AND c.start_date < %(next_year)s AND (c.end_date IS NULL OR c.end_date > %(first_day)s)
    GROUP BY c.enterprise_id, c.estate_id, e.households
), contracts AS (
    SELECT enterprise_id, COUNT(*) AS contracted, COUNT(*) FILTER (WHERE last_end < %(next_year)s) AS ended_early,
           SUM(households) AS households
    FROM served GROUP BY enterprise_id
), complaints AS (
    SELECT enterprise_id, COUNT(*) AS complaints,
           COUNT(*) FILTER (WHERE closed_at IS NOT NULL
                            AND (closed_at AT TIME ZONE %(tz)s)::date <= close_due) AS on_time,
           COUNT(*) FILTER (WHERE (closed_at IS NOT NULL AND (closed_at AT TIME ZONE %(tz)s)::date > close_due)
                            OR (closed_at IS NULL AND close_due < LEAST(%(today)s, %(next_year)s))) AS late,
           COUNT(*) FILTER (WHERE rating <> '') AS rated,
           COUNT(*) FILTER (WHERE rating IN %(satisfied)s) AS satisfied
    FROM layers_complaint
    WHERE district_id = %(district)s AND enterprise_id IS NOT NULL
      AND received_at >= %(start)s AND received_at < %(end)s
    GROUP BY enterprise_id
), opinions AS (
    SELECT o.enterprise_id, COUNT(*) AS opinions, AVG(o.score)::float AS average
    FROM layers_streetopinion o JOIN layers_adminarea street ON street.id = o.street_id
    WHERE street.parent_id = %(district)s AND o.year = %(year)s
    GROUP BY o.enterprise_id
)
SELECT c.enterprise_id, ent.name, c.contracted, c.ended_early, c.households,
       COALESCE(k.complaints, 0), COALESCE(k.on_time, 0), COALESCE(k.late, 0), COALESCE(k.rated, 0),
       COALESCE(k.satisfied, 0), COALESCE(o.opinions, 0), o.average
FROM contracts c
JOIN layers_enterprise ent ON ent.id = c.enterprise_id
LEFT JOIN complaints k ON k.enterprise_id = c.enterprise_id
LEFT JOIN opinions o ON o.enterprise_id = c.enterprise_id
ORDER BY ent.name, c.enterprise_id
"""


def _aware_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def evaluation_inputs(*, district, year: int, today: datetime.date | None = None) -> dict[int, dict]:
    """{enterprise_id: {"name": …, "inputs": Inputs}} for every enterprise serving the district in `year`.
    Not restricted to a user: the callers check who may run the evaluation."""
    district_id = getattr(district, "pk", district)
    first_day, next_year = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    params = {"district": district_id, "year": year, "first_day": first_day, "next_year": next_year,
              "start": _aware_midnight(first_day), "end": _aware_midnight(next_year), "tz": settings.TIME_ZONE,
              "today": today or timezone.localdate(), "satisfied": (Rating.SATISFIED, Rating.BASICALLY)}
    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL, params)
        rows = cursor.fetchall()
    inspections = inspection_scores(year=year, district=district_id)
    out = {}
    for (enterprise_id, name, contracted, ended_early, households, complaints, on_time, late, rated, satisfied,
         opinions, opinion_avg) in rows:
        seen = inspections.get(enterprise_id) or {}
        out[enterprise_id] = {"name": name, "inputs": Inputs(
            contracted_estates=contracted, ended_early=ended_early, households=int(households or 0),
            complaints=complaints, on_time=on_time, late=late, rated=rated, satisfied=satisfied,
            inspections=seen.get("count", 0), inspection_pct=seen.get("average_pct"),
            opinions=opinions, opinion_avg=round(opinion_avg, 1) if opinion_avg is not None else None)}
    return out


def scheme_for(district) -> Scheme:
    """The district's scheme as the pure computation's Scheme (the defaults when it has none)."""
    row = EvaluationScheme.objects.filter(district=district).first()
    if row is None:
        return Scheme()
    return Scheme(weights={"contracts": row.weight_contracts, "complaints": row.weight_complaints,
                           "inspections": row.weight_inspections, "opinions": row.weight_opinions},
                  thresholds=(row.grade_aaa, row.grade_aa, row.grade_a, row.grade_b), pass_line=row.pass_line,
                  key_per_1000=float(row.key_supervision_per_1000))


def evaluations(*, district, year: int):
    """The district's results of the year, best first."""
    return (EnterpriseEvaluation.objects.filter(district=district, year=year).select_related("enterprise")
            .order_by("-total", "enterprise__name"))


def street_enterprises(*, street, year: int) -> list[dict]:
    """The enterprises serving an estate of the street under a contract overlapping `year`, with the street's opinion
    of each (None when not given yet)."""
    street_id = getattr(street, "pk", street)
    first_day, next_year = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT ent.id, ent.name, COUNT(DISTINCT c.estate_id)
               FROM layers_servicecontract c
               JOIN layers_estate e ON e.id = c.estate_id
               JOIN layers_adminarea community ON community.id = e.community_id
               JOIN layers_enterprise ent ON ent.id = c.enterprise_id
               WHERE community.parent_id = %s AND c.start_date < %s AND (c.end_date IS NULL OR c.end_date > %s)
               GROUP BY ent.id, ent.name ORDER BY ent.name, ent.id""", [street_id, next_year, first_day])
        rows = cursor.fetchall()
    opinions = {o.enterprise_id: o for o in StreetOpinion.objects.filter(street_id=street_id, year=year)}
    return [{"id": pk, "name": name, "estates": estates, "opinion": opinions.get(pk)} for pk, name, estates in rows]


def streets_of(district) -> list[AdminArea]:
    return list(AdminArea.objects.filter(parent=district, level="street").order_by("code"))


def districts_for(user):
    """The districts whose evaluation the user may choose: its own, or every district in its scope (city roles)."""
    return restrict(AdminArea.objects.filter(level="district"), user, VIEW).order_by("code")


def district_for(user, chosen: int | None) -> AdminArea | None:
    """The district the user's evaluation pages show: a district role's own; for the city roles the chosen one (or the
    first); None when the chosen one is not in the user's scope."""
    own = district_of(user)
    if own is not None:
        return own
    districts = districts_for(user)
    return districts.filter(pk=chosen).first() if chosen else districts.first()


def explained(lines) -> list[str]:
    """A stored explanation (English msgids with their parameters) in the user's language."""
    out = []
    for text, params in lines:
        try:
            out.append(_(text) % params)
        except (KeyError, TypeError, ValueError):
            out.append(text % params)
    return out


def result_json(row: EnterpriseEvaluation) -> dict:
    return {"id": row.pk, "enterprise": {"id": row.enterprise_id, "name": row.enterprise.name},
            "district": row.district_id, "year": row.year,
            "scores": {"contracts": row.score_contracts, "complaints": row.score_complaints,
                       "inspections": row.score_inspections, "opinions": row.score_opinions},
            "total": row.total, "grade": row.grade, "passed": row.passed, "key_supervision": row.key_supervision,
            "red_list_proposed": row.red_list_proposed, "status": row.status, "inputs": row.inputs,
            "explanation": explained(row.explanation)}
