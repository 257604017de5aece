"""The list-status rule (layers/planning/credit_rating.py), without a database: examples and properties."""
import datetime

from hypothesis import given
from hypothesis import strategies as st

from layers.planning.credit_rating import (
    BLACK,
    NORMAL,
    RED,
    ListDecision,
    failing_pairs,
    latest_grade,
    list_status,
)

D = datetime.date
TODAY = D(2026, 11, 22)


def ev(year, passed, grade=None):
    return (year, grade or ("A" if passed else "C"), passed)


def test_never_evaluated_nor_listed_is_normal():
    assert list_status([], [], TODAY) == ListDecision(NORMAL, None, "", False)


def test_two_consecutive_failing_years_black_list_from_the_next_new_year():
    decision = list_status([ev(2019, False), ev(2020, False), ev(2021, True)], [], TODAY)
    assert decision.status == BLACK
    assert decision.since == D(2021, 1, 1)
    assert decision.derived is True
    assert "2019" in decision.reason and "2020" in decision.reason


def test_failing_years_that_are_not_consecutive_do_not_black_list():
    assert list_status([ev(2019, False), ev(2020, True), ev(2021, False)], [], TODAY).status == NORMAL
    # A missing year breaks the run too: nobody evaluated 2020.
    assert list_status([ev(2019, False), ev(2021, False)], [], TODAY).status == NORMAL


def test_the_black_listing_is_not_in_force_before_its_date():
    evaluations = [ev(2024, False), ev(2025, False)]
    assert list_status(evaluations, [], D(2025, 12, 31)).status == NORMAL
    assert list_status(evaluations, [], D(2026, 1, 1)).status == BLACK


def test_a_passing_year_does_not_lift_the_black_list():
    decision = list_status([ev(2019, False), ev(2020, False), ev(2021, True), ev(2022, True)], [], TODAY)
    assert (decision.status, decision.since) == (BLACK, D(2021, 1, 1))


def test_three_failing_years_keep_the_first_listing_date_and_reason():
    decision = list_status([ev(2019, False), ev(2020, False), ev(2021, False)], [], TODAY)
    assert decision.since == D(2021, 1, 1)
    assert "2019" in decision.reason


def test_a_manual_lifting_ends_the_black_list_until_two_more_failing_years():
    evaluations = [ev(2019, False), ev(2020, False), ev(2021, True)]
    lifted = [(NORMAL, D(2022, 3, 1), "整改完成，经复查合格")]
    decision = list_status(evaluations, lifted, TODAY)
    assert (decision.status, decision.since, decision.reason, decision.derived) == (
        NORMAL, D(2022, 3, 1), "整改完成，经复查合格", False)
    again = list_status(evaluations + [ev(2022, False), ev(2023, False)], lifted, TODAY)
    assert (again.status, again.since, again.derived) == (BLACK, D(2024, 1, 1), True)
    assert "2022" in again.reason and "2023" in again.reason


def test_the_failing_pair_before_a_lifting_does_not_count_again():
    # Lifted in 2021 after failing 2019–2020; 2021 fails again: 2020+2021 is a new pair, dated 2022-01-01.
    evaluations = [ev(2019, False), ev(2020, False), ev(2021, False)]
    decision = list_status(evaluations, [(NORMAL, D(2021, 6, 1), "复查合格")], TODAY)
    assert (decision.status, decision.since) == (BLACK, D(2022, 1, 1))


def test_a_manual_listing_applies_from_its_date_and_the_latest_wins():
    listings = [(RED, D(2023, 4, 1), "年度考核优秀"), (BLACK, D(2024, 5, 6), "发生重大安全责任事故")]
    assert list_status([], listings, D(2024, 1, 1)).status == RED
    decision = list_status([], listings, TODAY)
    assert (decision.status, decision.since, decision.reason, decision.derived) == (
        BLACK, D(2024, 5, 6), "发生重大安全责任事故", False)


def test_a_later_derived_black_listing_overrides_an_older_red_listing():
    decision = list_status([ev(2023, False), ev(2024, False)], [(RED, D(2023, 3, 1), "优秀")], TODAY)
    assert (decision.status, decision.since) == (BLACK, D(2025, 1, 1))


def test_a_manual_decision_on_the_same_day_as_a_derived_one_wins():
    decision = list_status([ev(2019, False), ev(2020, False)], [(NORMAL, D(2021, 1, 1), "申诉成立")], TODAY)
    assert decision.status == NORMAL


def test_failing_pairs_and_latest_grade():
    evaluations = [ev(2018, False), ev(2019, False), ev(2020, False), ev(2022, True, "AA")]
    assert failing_pairs(evaluations) == [(2018, 2019), (2019, 2020)]
    assert latest_grade(evaluations) == "AA"
    assert latest_grade([]) is None


# --- properties -----------------------------------------------------------------------------------------------

years = st.integers(2010, 2030)
evaluation_lists = st.dictionaries(years, st.booleans(), max_size=12).map(
    lambda d: [ev(year, passed) for year, passed in sorted(d.items())]
)
dates = st.dates(D(2010, 1, 1), D(2032, 12, 31))
listing_lists = st.lists(st.tuples(st.sampled_from([RED, NORMAL, BLACK]), dates, st.text(min_size=1, max_size=5)),
                         max_size=5)


@given(evaluation_lists, listing_lists, dates)
def test_any_two_failing_years_without_a_later_manual_decision_black_list(evaluations, listings, today):
    pairs = [(a, b) for a, b in failing_pairs(evaluations) if D(b + 1, 1, 1) <= today]
    last_manual = max((on for _, on, _ in listings if on <= today), default=None)
    if pairs and (last_manual is None or last_manual < D(pairs[-1][1] + 1, 1, 1)):
        assert list_status(evaluations, listings, today).status == BLACK


@given(evaluation_lists, listing_lists, dates)
def test_the_status_in_force_has_a_start_no_later_than_today_and_a_reason(evaluations, listings, today):
    decision = list_status(evaluations, listings, today)
    if decision.status == NORMAL and decision.since is None:
        assert decision.reason == "" and not decision.derived
    else:
        assert decision.since <= today
        assert decision.reason
    if decision.derived:
        assert decision.status == BLACK and decision.since.month == 1 and decision.since.day == 1


@given(evaluation_lists, listing_lists, dates)
def test_the_order_of_evaluations_does_not_matter(evaluations, listings, today):
    assert list_status(evaluations, listings, today) == list_status(list(reversed(evaluations)), listings, today)


@given(st.lists(st.tuples(years, st.booleans()), max_size=12, unique_by=lambda t: t[0]), dates)
def test_without_failing_pairs_or_listings_nothing_is_listed(raw, today):
    evaluations = [ev(year, passed) for year, passed in raw]
    if not failing_pairs(evaluations):
        assert list_status(evaluations, [], today).status == NORMAL


@given(evaluation_lists, listing_lists, dates, st.sampled_from([RED, NORMAL, BLACK]), st.text(min_size=1, max_size=5))
def test_a_manual_decision_dated_today_is_what_is_in_force(evaluations, listings, today, status, reason):
    listings = [item for item in listings if item[1] <= today]
    decision = list_status(evaluations, listings + [(status, today, reason)], today)
    assert decision.status == status
