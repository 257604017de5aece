"""SQL mutation testing of the rule functions (migration 0014): mutmut mutates Python, not SQL inside strings, so each
comparison, AND/OR, IS NULL and status of the installed functions is changed here one at a time, and the boundary
checks below (the statements of coverage, worklists, bundles and contracts) must notice every change
(docs/RELIABILITY.md "Mutation testing")."""
import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from layers.selectors.bundles import metric_srid, uncovered_units
from layers.selectors.coverage import coverage_figures
from layers.models import Estate
from layers.selectors.contracts import contracts_active_on
from layers.selectors.worklists import worklist_get
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 3, 1)
DAY = datetime.timedelta(days=1)

FUNCTIONS = (
    "layers_is_old_estate(smallint, integer)",
    "layers_contract_not_ended(date, date)",
    "layers_contract_active(date, date, date)",
    "layers_provider_status(character varying)",
)

# One token → its mutant; each occurrence is mutated alone.
OPERATORS = {"<=": "<", ">=": ">", "<": "<=", ">": ">=", "AND": "OR", "OR": "AND", "IS NULL": "IS NOT NULL",
             "'enterprise'": "'caretaker'", "'self_governed'": "'caretaker'", "'caretaker'": "'none'"}
TOKEN = re.compile(r"<=|>=|<|>|\bAND\b|\bOR\b|IS NULL|'enterprise'|'self_governed'|'caretaker'")


def definition(signature: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef(%s::regprocedure)", [signature])
        return cursor.fetchone()[0]


def mutants() -> list[tuple[str, str, str]]:
    """(signature, description, mutated CREATE statement) for every token of every function's body."""
    out = []
    for signature in FUNCTIONS:
        head, _, rest = definition(signature).partition("$function$")
        body, _, tail = rest.rpartition("$function$")
        for match in TOKEN.finditer(body):
            token = match.group()
            if token.startswith("'") and "THEN" not in body[max(0, match.start() - 6):match.start()] \
                    and "ELSE" not in body[max(0, match.start() - 6):match.start()]:
                continue  # a WHEN value, not a result
            mutated = body[:match.start()] + OPERATORS[token] + body[match.end():]
            out.append((signature, f"{token} → {OPERATORS[token]} at {match.start()}",
                        f"{head}$function${mutated}$function${tail}"))
    return out


def boundary_cases():
    community = factories.community()
    at = factories.estate_at_cutoff(community_area=community)
    after = factories.estate_after_cutoff(community_area=community)
    handed = factories.estate(community_area=factories.community())
    ending, starting = factories.handover(handed, D)
    later = factories.estate_at_cutoff(community_area=community)
    factories.contract(later, start=D + DAY * 30)
    community_agent = factories.estate_at_cutoff(community_area=community)
    factories.contract(community_agent, start=D - DAY * 5, kind="community")
    return community, at, after, handed, ending, starting, later, community_agent


def check(cases) -> None:
    """Every boundary the rules define, through the statements that use them; AssertionError on any deviation."""
    community, at, after, handed, ending, starting, later, community_agent = cases
    rows = coverage_figures(on=D, level="community", parent_id=community.parent_id)["rows"]
    row = next(r for r in rows if r["id"] == community.pk)
    assert row["old_estates"] == 3  # at, later, community_agent; not after
    assert row["by_status"] == {"enterprise": 0, "caretaker": 0, "self_governed": 1, "none": 2}
    listed = {r["id"] for r in worklist_get(user=User.objects.get(username="planner"), name="uncovered",
                                            street_id=community.parent_id, on=D, per_page=200).rows}
    assert listed == {at.pk, later.pk}
    assert [u.id for u in uncovered_units(on=D, srid=metric_srid(), estate_ids=[at.pk, after.pk, later.pk])] == [at.pk]
    assert list(contracts_active_on(D).filter(estate=handed)) == [starting]
    assert list(contracts_active_on(D - DAY).filter(estate=handed)) == [ending]
    statuses = dict(Estate.objects.filter(pk__in=[handed.pk]).with_service_status(D - DAY)
                    .values_list("pk", "service_status"))
    assert statuses == {handed.pk: "caretaker"}
    assert Estate.objects.with_service_status(D).get(pk=handed.pk).service_status == "enterprise"


class _Rollback(Exception):
    pass


def test_the_boundary_checks_pass_on_the_real_functions():
    check(boundary_cases())


def test_every_sql_mutant_of_the_rule_functions_is_killed():
    cases = boundary_cases()
    generated = mutants()
    assert len(generated) >= 8, generated
    survivors = []
    for signature, description, statement in generated:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
                try:
                    check(cases)
                except AssertionError:
                    raise _Rollback from None
                survivors.append(f"{signature}: {description}")
                raise _Rollback
        except _Rollback:
            pass
    assert definition(FUNCTIONS[0]).count("<=") == 1  # rolled back: the real function is in place again
    assert survivors == []
