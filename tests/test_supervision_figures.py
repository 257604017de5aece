"""Officials' complaint figures (layers/selectors/supervision.py) against hand-built complaints, and the demo year."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from django.utils import timezone

from layers.models import AdminArea, Complaint, ComplaintCategory, Estate
from layers.selectors.supervision import complaints_by_street, street_ranking

pytestmark = pytest.mark.django_db

# A period long before the demo year, so only the hand-built complaints fall in it.
START, END = datetime.date(2015, 3, 1), datetime.date(2015, 3, 31)


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _complaint(estate, category, n, *, closed_on=None, rating="", due=datetime.date(2015, 3, 20)):
    street = estate.community.parent
    return Complaint.objects.create(
        channel="hotline_12345", received_at=_at(datetime.date(2015, 3, 2 + n)), caller_words="楼道漏水",
        category=category, district=street.parent, street=street, community=estate.community, estate=estate,
        status="closed" if closed_on else "signed", signed_at=_at(datetime.date(2015, 3, 2 + n), 12),
        closed_at=_at(closed_on) if closed_on else None, rating=rating,
        sign_due=datetime.date(2015, 3, 5), reply_due=datetime.date(2015, 3, 10), close_due=due)


def test_figures_per_street_follow_the_hand_built_complaints():
    estate = Estate.objects.select_related("community__parent__parent").order_by("id")[0]
    street = estate.community.parent
    category = ComplaintCategory.objects.get(district=street.parent, code="pm_repair")
    _complaint(estate, category, 0, closed_on=datetime.date(2015, 3, 10), rating="satisfied")     # on time
    _complaint(estate, category, 1, closed_on=datetime.date(2015, 3, 19), rating="basically")     # on time
    _complaint(estate, category, 2, closed_on=datetime.date(2015, 3, 25), rating="unsatisfied")   # late
    _complaint(estate, category, 3)                                                               # open, overdue
    _complaint(estate, category, 4, due=datetime.date(2015, 4, 30))                               # open, not due
    planner = User.objects.get(username="planner")
    rows = {r["id"]: r for r in complaints_by_street(user=planner, start=START, end=END)}
    assert set(rows) == {street.pk}
    row = rows[street.pk]
    households = Estate.objects.filter(community__parent=street).aggregate(n=Sum("households"))["n"]
    assert row["households"] == households
    assert row["complaints"] == 5
    assert row["per_1000_households"] == round(5 * 1000 / households, 2)
    assert (row["closed"], row["on_time"], row["on_time_rate"]) == (3, 2, round(2 / 3, 4))
    assert (row["rated"], row["satisfied"], row["satisfaction_rate"]) == (3, 2, round(2 / 3, 4))
    assert row["overdue"] == 2  # the late closure and the open case past its close-by date
    # Another street's office sees none of them (its complaint scope is its street).
    other = AdminArea.objects.filter(level="street", parent=street.parent).exclude(pk=street.pk).order_by("code")[0]
    office = User.objects.get(username=f"street-{other.code}")
    assert complaints_by_street(user=office, start=START, end=END) == []
    assert [r["id"] for r in complaints_by_street(user=User.objects.get(username=f"street-{street.code}"),
                                                  start=START, end=END)] == [street.pk]


def test_the_demo_year_ranks_every_street_and_is_worse_on_badly_served_estates():
    planner = User.objects.get(username="planner")
    today = timezone.localdate()
    ranking = street_ranking(user=planner, start=today - datetime.timedelta(days=365), end=today)
    streets = AdminArea.objects.filter(level="street", parent__code=planner.profile.district.code)
    assert {r["id"] for r in ranking} == set(streets.values_list("pk", flat=True))
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    assert all(r["complaints"] > 0 and 0 < r["on_time_rate"] <= 1 for r in ranking)
    assert ranking[0]["per_1000_households"] <= ranking[-1]["per_1000_households"]
    # Heating complaints come in the heating season only (the demo year is seasonal).
    heating = Complaint.objects.filter(category__code="dept_heating")
    assert heating.exists() and not heating.filter(received_at__month__in=[5, 6, 7, 8, 9]).exists()
    # Closed cases carry a rating; some cases sit at the joint meeting with their item.
    assert not Complaint.objects.filter(status="closed", rating="").exists()
    assert Complaint.objects.filter(at_joint_meeting=True, joint_meeting__isnull=False).exists()


def test_the_dashboard_ranks_the_streets_on_coverage_complaints_and_inspections():
    from django.test import Client  # noqa: PLC0415
    planner = User.objects.get(username="planner")
    client = Client()
    client.force_login(planner)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    section = page.context["complaints"]
    streets = set(AdminArea.objects.filter(level="street", parent=planner.profile.district)
                  .values_list("pk", flat=True))
    assert {r["id"] for r in section["rows"]} == streets
    assert [r["rank"] for r in section["rows"]] == list(range(1, len(streets) + 1))
    # The overall rank follows the sum of the coverage, complaint and inspection ranks.
    sums = [r["coverage_rank"] + r["complaint_rank"] + r["inspection_rank"] for r in section["rows"]]
    assert sums == sorted(sums)
    # The complaint rank agrees with street_ranking over the same year.
    ranking = street_ranking(user=None, start=section["start"], end=section["end"])
    assert {r["id"]: r["rank"] for r in ranking} == {r["id"]: r["complaint_rank"] for r in section["rows"]
                                                      if r["complaints"]}
    html = page.content.decode()
    assert 'id="assessment-ranking"' in html and 'id="complaints-by-enterprise"' in html
    assert section["overdue"] == sum(r["overdue"] for r in section["by_area"]) > 0


def test_exports_and_report_carry_the_complaint_figures():
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from django.test import Client  # noqa: PLC0415
    client = Client()
    client.force_login(User.objects.get(username="planner"))
    today = timezone.localdate().isoformat()
    data = client.get("/api/coverage/", {"date": today, "level": "street"}).json()
    ranking = {r["id"]: r for r in street_ranking(user=None, start=timezone.localdate() - datetime.timedelta(days=364),
                                                  end=timezone.localdate())}
    assert data["rows"] and all(r["complaints"]["complaints"] == ranking[r["id"]]["complaints"] for r in data["rows"])
    rows = list(csv.reader(io.StringIO(client.get("/api/coverage/export.csv", {"date": today, "level": "street"})
                                       .content.decode("utf-8-sig"))))
    column = rows[0].index("每千户投诉量")
    by_code = {r["code"]: r for r in data["rows"]}
    assert all(float(row[column]) == by_code[row[0]]["complaints"]["per_1000_households"] for row in rows[1:-1])
    report = client.get("/reports/coverage/")
    assert report.status_code == 200
    assert 'data-table="assessment"' in report.content.decode()
    assert len(report.context["complaints"]["rows"]) == len(data["rows"])
