"""The shared domain rules for SQL statements and the ORM: fragments calling the SQL functions of migration 0014.

Every statement that needs "old estate" or "contract active on a date" writes it through these helpers, so the rule
has one definition (the SQL function) and one Python twin (layers.planning.rules) kept equal by tests/test_rules.py.
"""
from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Value

from .planning import rules as pure


def old_estate_cutoff() -> int:
    """The last build year of an old estate (settings.OLD_ESTATE_CUTOFF_YEAR)."""
    return int(settings.OLD_ESTATE_CUTOFF_YEAR)


def is_old_estate(build_year: int) -> bool:
    return pure.is_old_estate(build_year, cutoff=old_estate_cutoff())


def old_estate_sql(build_year: str = "e.build_year", cutoff: str = "%(cutoff)s") -> str:
    """SQL: whether the estate of column `build_year` is old; `cutoff` a placeholder or a literal year."""
    return f"layers_is_old_estate({build_year}, {cutoff})"


def old_estate_literal_sql(build_year: str) -> str:
    """old_estate_sql with the setting written in (for SQL built without parameters, e.g. export fields)."""
    return old_estate_sql(build_year, str(old_estate_cutoff()))


def contract_active_sql(alias: str = "c", on: str = "%(on)s") -> str:
    """SQL: whether contract `alias` is active on the date `on` (a placeholder or an expression)."""
    return f"layers_contract_active({alias}.start_date, {alias}.end_date, {on})"


def contract_not_ended_sql(alias: str = "c", on: str = "%(on)s") -> str:
    """SQL: whether contract `alias` has not ended by `on` (it runs on `on`, or starts later)."""
    return f"layers_contract_not_ended({alias}.end_date, {on})"


class IsOldEstate(Func):
    function = "layers_is_old_estate"
    output_field = models.BooleanField()


class ContractActive(Func):
    function = "layers_contract_active"
    output_field = models.BooleanField()


class ContractNotEnded(Func):
    function = "layers_contract_not_ended"
    output_field = models.BooleanField()


def old_estate_filter(field: str = "build_year") -> IsOldEstate:
    """ORM: `.filter(old_estate_filter())` keeps the old estates."""
    return IsOldEstate(F(field), Value(old_estate_cutoff(), output_field=models.IntegerField()))


def contract_active_filter(on: datetime.date, prefix: str = "") -> ContractActive:
    """ORM: `.filter(contract_active_filter(on))` keeps the contracts active on `on`."""
    return ContractActive(F(f"{prefix}start_date"), F(f"{prefix}end_date"), Value(on, output_field=models.DateField()))


def contract_not_ended_filter(on: datetime.date, prefix: str = "") -> ContractNotEnded:
    """ORM: `.filter(contract_not_ended_filter(on))` keeps the contracts running on `on` or starting later."""
    return ContractNotEnded(F(f"{prefix}end_date"), Value(on, output_field=models.DateField()))
