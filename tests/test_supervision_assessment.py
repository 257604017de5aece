"""The annual assessment's ranking with daily inspections (001 §4(2); DOMAIN.md "Assessment of organisations"):
coverage, complaints and inspections, each ranked, the overall rank by the mean of the three — on the dashboard, in
its export and in the print report, against figures computed here from the rows in the database."""
import csv
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from layers.models import AdminArea, Estate, Inspection
from layers.selectors.supervision import assessment_ranking
from layers.services.inspections import ensure_default_checklist

pytestmark = pytest.mark.django_db

# A period long before the demo year: only the inspections made here fall in it.
START, END = datetime.date(2015, 3, 1), datetime.date(2015, 3, 31)


def _inspect(estate, day, total, maximum, inspector):
    checklist = ensure_default_checklist(estate.community.parent.parent)
    return Inspection.objects.create(estate=estate, checklist=checklist, street=estate.community.parent,
                                     community=estate.community, inspected_on=day, inspector=inspector,
                                     total_score=total, max_score=maximum)


def _expected_inspections(street, start, end):
    """The street's figures recomputed from the rows: count, estates inspected, their share, mean percent."""
    made = list(Inspection.objects.filter(street=street, inspected_on__range=(start, end)))
    estates = Estate.objects.filter(community__parent=street).count()
    inspected = len({i.estate_id for i in made})
    mean = round(sum(100.0 * i.total_score / i.max_score for i in made) / len(made), 1) if made else None
    return len(made), inspected, (round(inspected / estates, 4) if estates else None), mean


def _competition(rows, key):
    """Rank 1..n by `key` (smaller first), the code breaking ties — written out independently of the selector."""
    ordered = sorted(rows, key=lambda r: (key(r), r["code"]))
    return {r["id"]: n for n, r in enumerate(ordered, 1)}


def test_the_ranking_counts_the_inspections_of_the_period_and_ranks_on_them():
    planner = User.objects.get(username="planner")
    district = planner.profile.district
    streets = list(AdminArea.objects.filter(level="street", parent=district).order_by("code"))
    assert len(streets) >= 2
    first, second = streets[0], streets[1]
    a, b = Estate.objects.filter(community__parent=first).select_related("community__parent__parent")[:2]
    c = Estate.objects.filter(community__parent=second).select_related("community__parent__parent").first()
    _inspect(a, datetime.date(2015, 3, 3), 80, 100, planner)
    _inspect(a, datetime.date(2015, 3, 20), 60, 100, planner)
    _inspect(b, datetime.date(2015, 3, 5), 45, 50, planner)
    _inspect(c, datetime.date(2015, 3, 9), 30, 100, planner)
    _inspect(c, datetime.date(2015, 4, 9), 100, 100, planner)  # after the period: not counted

    ranking = assessment_ranking(user=planner, home=district, start=START, end=END)
    assert ranking["level"] == "street"
    rows = {r["id"]: r for r in ranking["rows"]}
    assert set(rows) == {s.pk for s in streets}
    for street in streets:
        count, inspected, share, mean = _expected_inspections(street, START, END)
        r = rows[street.pk]
        assert (r["inspections"], r["estates_inspected"], r["inspected_share"], r["average_pct"]) == (
            count, inspected, share, mean)
    assert (rows[first.pk]["inspections"], rows[first.pk]["estates_inspected"]) == (3, 2)
    assert rows[first.pk]["average_pct"] == round((80 + 60 + 90) / 3, 1)
    assert (rows[second.pk]["inspections"], rows[second.pk]["average_pct"]) == (1, 30.0)
    # Streets without inspections come after those with some.
    uninspected = [s.pk for s in streets[2:]]
    assert all(rows[pk]["inspections"] == 0 and rows[pk]["average_pct"] is None for pk in uninspected)

    # The inspection rank: larger share of estates inspected, then better mean score, then more inspections.
    expected_inspection = _competition(ranking["rows"], lambda r: (
        r["inspected_share"] is None, -(r["inspected_share"] or 0), -(r["average_pct"] or 0), -r["inspections"]))
    assert {r["id"]: r["inspection_rank"] for r in ranking["rows"]} == expected_inspection
    assert max(rows[first.pk]["inspection_rank"], rows[second.pk]["inspection_rank"]) <= 2
    # The overall rank: the sum of the three ranks, ties by the complaint rank, then the inspection rank.
    ordered = sorted(ranking["rows"], key=lambda r: (
        r["coverage_rank"] + r["complaint_rank"] + expected_inspection[r["id"]], r["complaint_rank"],
        expected_inspection[r["id"]], r["code"]))
    assert [r["id"] for r in ranking["rows"]] == [r["id"] for r in ordered]
    assert [r["rank"] for r in ranking["rows"]] == list(range(1, len(streets) + 1))
    assert all(r["rank_sum"] == r["coverage_rank"] + r["complaint_rank"] + r["inspection_rank"]
               for r in ranking["rows"])


def test_dashboard_export_and_report_carry_the_inspection_column():
    client = Client()
    planner = User.objects.get(username="planner")
    client.force_login(planner)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    section = page.context["complaints"]
    html = page.content.decode()
    assert "巡查排名" in html and "巡查平均得分 (%)" in html and "Average inspection" not in html
    assert "三项排名" in html  # the method note says how the rank is combined
    streets = {s.pk: s for s in AdminArea.objects.filter(level="street", parent=planner.profile.district)}
    for r in section["rows"]:
        count, inspected, share, mean = _expected_inspections(streets[r["id"]], start, today)
        assert count > 0  # the demo inspects every estate four times a year
        assert (r["inspections"], r["estates_inspected"], r["inspected_share"], r["average_pct"]) == (
            count, inspected, share, mean)
        assert f'<td data-col="inspections">{count}</td>' in html
        assert f'<td data-col="inspection-rank">{r["inspection_rank"]}</td>' in html

    # The export of the streets: the inspection figures and the ranks, as on the dashboard.
    data = client.get("/api/coverage/", {"date": today.isoformat(), "level": "street"}).json()
    by_id = {r["id"]: r for r in section["rows"]}
    assert {r["id"] for r in data["rows"]} == set(by_id)
    for row in data["rows"]:
        assert row["inspections"]["inspections"] == by_id[row["id"]]["inspections"]
        assert row["assessment"]["inspection_rank"] == by_id[row["id"]]["inspection_rank"]
        assert row["assessment"]["rank"] == by_id[row["id"]]["rank"]
    assert data["total"]["assessment"] is None
    exported = list(csv.reader(io.StringIO(client.get("/api/coverage/export.csv", {
        "date": today.isoformat(), "level": "street"}).content.decode("utf-8-sig"))))
    heading = exported[0]
    inspections, rank, inspection_rank = (heading.index("日常巡查"), heading.index("考核综合排名"),
                                          heading.index("巡查排名"))
    by_code = {r["code"]: r for r in section["rows"]}
    for line in exported[1:-1]:
        r = by_code[line[0]]
        assert (int(line[inspections]), int(line[rank]), int(line[inspection_rank])) == (
            r["inspections"], r["rank"], r["inspection_rank"])

    # The print report: the same ranking with the inspection columns.
    report = client.get("/reports/coverage/")
    assert report.status_code == 200
    body = report.content.decode()
    assert 'id="report-assessment-ranking"' in body and "巡查排名" in body
    assert [r["inspections"] for r in report.context["complaints"]["rows"]] == [
        r["inspections"] for r in section["rows"]]


def test_a_street_office_sees_its_communities_ranked_with_their_inspections():
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    client = Client()
    client.force_login(User.objects.get(username=f"street-{street.code}"))
    page = client.get("/dashboard/")
    assert page.status_code == 200
    communities = page.context["complaints"]["communities"]
    expected = set(AdminArea.objects.filter(level="community", parent=street).values_list("pk", flat=True))
    assert {r["id"] for r in communities} == expected
    today = timezone.localdate()
    for r in communities:
        made = Inspection.objects.filter(community_id=r["id"],
                                         inspected_on__range=(today - datetime.timedelta(days=364), today))
        assert r["inspections"] == made.count()
    assert 'id="community-assessment-ranking"' in page.content.decode()
    assert street.name in page.content.decode()
