"""The demo city's enterprise register: annual evaluations since 2019, red listings and the change log behind them.

Consistent with the statuses the city generator gave its enterprises, checked with the same rule the services use
(planning.credit_rating): black-listed ones failed 2019 and 2020 (black since 2021-01-01, load.BLACK_LISTED_ON),
red ones were listed by the district with a reason, normal ones never failed two years running — the first normal
one failed 2019 and 2021 with a pass between (not consecutive: not black-listed). The latest evaluation's grade is the
enterprise's grade. Deterministic for the city's seed.
"""
from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from psycopg2.extras import Json, execute_values

from ..planning import credit_rating
from .city import City, EnterpriseRec

FIRST_YEAR = 2019  # the black-listed enterprises failed 2019 and 2020
TZ = "+08:00"
FAIL_NOTE = "市场行为监督检查评定不合格，已约谈并下发风险提示函"
RED_REASONS = (
    "{year}年度市场行为监督检查评定优秀（{grade}），全年无有效投诉",
    "{year}年度物业服务质量考评第一名，业主满意度96%",
    "连续三年考评合格，{year}年度获评优秀物业服务项目",
)
INITIAL_GRADE = "A"  # the model's default, until the first evaluation


@dataclass
class Change:
    at: str
    action: str
    before: dict | None
    after: dict
    reason: str = ""


@dataclass
class EnterpriseRegister:
    credit_code: str
    evaluations: list[tuple[int, str, bool, str, str]] = field(default_factory=list)  # year, grade, passed, note, at
    listings: list[tuple[str, datetime.date, str, str]] = field(default_factory=list)  # status, on, reason, at
    changes: list[Change] = field(default_factory=list)
    final: dict = field(default_factory=dict)


def _stamp(day: datetime.date, hour: int) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00{TZ}"


def _grades(rec: EnterpriseRec, years: list[int], rng: random.Random, *,
            fail_pass_fail: bool = False) -> list[tuple[int, str, bool]]:
    """(year, grade, passed) per year: the last year's grade is the enterprise's; failing means grade C.
    fail_pass_fail: a normal enterprise fails its first and third years and passes the second (two failing years
    that are not consecutive: the boundary of the black-list rule, 003 §5(3))."""
    out = []
    for k, year in enumerate(years):
        last = k == len(years) - 1
        if rec.list_status == "black" and year in (FIRST_YEAR, FIRST_YEAR + 1):
            grade = "C"
        elif fail_pass_fail and k in (0, 2) and not last:
            grade = "C"
        elif last:
            grade = rec.credit_grade
        elif rec.list_status == "black":
            grade = rng.choice(["C", "B"])
        elif rec.list_status == "red":
            grade = rng.choice(["AAA", "AA", "AA"])
        else:
            previous_failed = bool(out) and not out[-1][2]
            next_is_last = k == len(years) - 2
            # A single failing year now and then, never two in a row (nor right before the final, passing one).
            fail = not previous_failed and not next_is_last and rng.random() < 0.12
            grade = "C" if fail else rng.choice(["AA", "A", "A", "B"])
        out.append((year, grade, grade != "C"))
    return out


def _listing_state(grade: str, decision: credit_rating.ListDecision) -> dict:
    return {"credit_grade": grade, "list_status": decision.status,
            "list_status_since": decision.since.isoformat() if decision.since else None,
            "list_status_reason": decision.reason}


def enterprise_register(rec: EnterpriseRec, *, seed: int, today: datetime.date,
                        fail_pass_fail: bool = False) -> EnterpriseRegister:
    """The evaluations, listings and changes of one demo enterprise, replayed in date order with the services' rule."""
    rng = random.Random(f"register:{seed}:{rec.credit_code}")
    register = EnterpriseRegister(rec.credit_code)
    years = list(range(max(FIRST_YEAR, rec.filed_on.year), today.year))
    grades = _grades(rec, years, rng, fail_pass_fail=fail_pass_fail and rec.list_status == "normal" and len(years) >= 4)
    snapshot = {"name": rec.name, "credit_code": rec.credit_code, "filed_on": rec.filed_on.isoformat(),
                "contact_person": rec.contact_person, "contact_phone": rec.contact_phone, "address": rec.address}
    state = {"credit_grade": INITIAL_GRADE, "list_status": "normal", "list_status_since": None,
             "list_status_reason": ""}
    register.changes.append(Change(_stamp(rec.filed_on, 9), "create", None, snapshot | state, "物业服务企业备案"))

    # Events in date order: each year's evaluation early the next year; a red listing after the last-but-one one.
    events = []
    for k, (year, grade, passed) in enumerate(grades):
        day = datetime.date(year + 1, 2, 6 + rng.randrange(15))
        events.append((day, "evaluation", (year, grade, passed, "" if passed else FAIL_NOTE)))
    if rec.list_status == "red":
        year = today.year - 2
        grade = next((g for y, g, _ in grades if y == year), rec.credit_grade)
        day = datetime.date(year + 1, 3, 1 + rng.randrange(20))
        events.append((day, "listing", ("red", rng.choice(RED_REASONS).format(year=year, grade=grade))))
    events.sort(key=lambda item: item[0])

    evaluations, listings = [], []
    for day, kind, data in events:
        at = _stamp(day, 10)
        if kind == "evaluation":
            year, grade, passed, note = data
            evaluations.append((year, grade, passed))
            register.evaluations.append((year, grade, passed, note, at))
        else:
            status, reason = data
            listings.append((status, day, reason))
            register.listings.append((status, day, reason, at))
        decision = credit_rating.list_status(evaluations, listings, day)
        new = _listing_state(credit_rating.latest_grade(evaluations) or INITIAL_GRADE, decision)
        after = dict(new)
        if kind == "evaluation":
            after["evaluation"] = {"year": year, "grade": grade, "passed": passed, "note": note}
            register.changes.append(Change(at, "evaluation", state, after, note))
        else:
            after["listing"] = {"status": status, "listed_on": day.isoformat(), "reason": reason}
            register.changes.append(Change(at, "listing", state, after, reason))
        state = new

    final = credit_rating.list_status(evaluations, listings, today)
    black_since = datetime.date(FIRST_YEAR + 2, 1, 1)
    if final.status != rec.list_status or (final.status == "black" and final.since != black_since):
        raise AssertionError(f"demo register of {rec.credit_code} gives {final}, the city says {rec.list_status}")
    register.final = _listing_state(state["credit_grade"], final)
    return register


def fail_pass_fail_enterprise(city: City) -> str | None:
    """The credit code of the normal enterprise whose register fails, passes, fails (the first normal one)."""
    return next((rec.credit_code for rec in city.enterprises if rec.list_status == "normal"), None)


def register_write(raw, city: City, enterprise_id: dict[str, int], *, username: str = "planner") -> dict[str, int]:
    """Insert the register of every demo enterprise and update the enterprises' grade and list status."""
    raw.execute("SELECT id FROM auth_user WHERE username = %s", [username])
    row = raw.fetchone()
    user_id = row[0] if row else None
    evaluations, listings, changes, finals = [], [], [], []
    alternating = fail_pass_fail_enterprise(city)
    for rec in city.enterprises:
        eid = enterprise_id[rec.credit_code]
        register = enterprise_register(rec, seed=city.seed, today=city.today,
                                       fail_pass_fail=rec.credit_code == alternating)
        evaluations += [(eid, year, grade, passed, note, user_id, at)
                        for year, grade, passed, note, at in register.evaluations]
        listings += [(eid, status, reason, on, user_id, at) for status, on, reason, at in register.listings]
        changes += [(eid, c.action, Json(c.before) if c.before is not None else None, Json(c.after), c.reason,
                     user_id, c.at) for c in register.changes]
        f = register.final
        finals.append((eid, f["credit_grade"], f["list_status"], f["list_status_since"], f["list_status_reason"]))
    execute_values(raw, """INSERT INTO layers_creditevaluation
                             (enterprise_id, year, grade, passed, note, recorded_by_id, recorded_at) VALUES %s""",
                   evaluations, page_size=1000)
    execute_values(raw, """INSERT INTO layers_enterpriselisting
                             (enterprise_id, status, reason, listed_on, decided_by_id, decided_at) VALUES %s""",
                   listings, page_size=1000)
    execute_values(raw, """INSERT INTO layers_registerchange
                             (enterprise_id, action, before, after, reason, user_id, changed_at) VALUES %s""",
                   changes, page_size=1000)
    execute_values(raw, """UPDATE layers_enterprise e
                              SET credit_grade = v.grade, list_status = v.status, list_status_since = v.since::date,
                                  list_status_reason = v.reason
                             FROM (VALUES %s) AS v (id, grade, status, since, reason) WHERE e.id = v.id""",
                   finals, page_size=1000)
    return {"credit evaluations": len(evaluations), "enterprise listings": len(listings),
            "register changes": len(changes)}
