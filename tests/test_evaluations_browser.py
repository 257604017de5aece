"""The annual evaluation in headless Chromium: a planner runs the district's evaluation (a background job with its
progress), reads a result's explanation, confirms the year, and the enterprise's credit shows the year."""
import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import CreditEvaluation, EnterpriseEvaluation, ProviderKind

from . import factories
from .browser_helpers import log_in
from .job_worker import workers  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"evaluations-{name}.png"), full_page=True)


def test_planner_runs_and_confirms_the_evaluation_and_the_credit_shows_the_year(page, live_server, demo_city,
                                                                                 settings, workers):
    year = timezone.localdate().year - 1
    planner = User.objects.get(username="planner")
    community = factories.community(planner.profile.district)
    enterprise = factories.enterprise(filed_on=datetime.date(2015, 1, 1))
    estate = factories.estate(households=500, community_area=community)
    factories.contract(estate, start=datetime.date(year - 3, 1, 1), kind=ProviderKind.ENTERPRISE,
                       enterprise_obj=enterprise)
    worker = workers()

    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/evaluations/?year={year}")
    assert page.locator(f"#results-table tr[data-enterprise='{enterprise.pk}']").count() == 0
    with page.expect_navigation():
        page.click("button[data-action=run]")
    row = page.locator(f"#results-table tr[data-enterprise='{enterprise.pk}']")
    row.wait_for(timeout=90_000)  # the page follows the job and reloads when it is done
    assert row.get_attribute("data-status") == "draft", worker.output()
    # Served all year, no complaints, nothing else: contracts 100, complaints 100 → total 100, AAA, red proposed.
    assert row.locator(".total").inner_text() == "100.0" and row.get_attribute("data-grade") == "AAA"
    assert row.locator("[data-flag=red]").count() == 1
    row.locator(".ev-explain summary").click()
    assert "合同履行" in row.locator(".ev-explain ol").inner_text()
    assert not CreditEvaluation.objects.filter(enterprise=enterprise, year=year).exists()
    shot(page, "drafts")

    with page.expect_navigation():
        page.click("button[data-action=confirm]")
    row = page.locator(f"#results-table tr[data-enterprise='{enterprise.pk}']")
    assert row.get_attribute("data-status") == "confirmed"
    assert EnterpriseEvaluation.objects.get(enterprise=enterprise, year=year).status == "confirmed"
    shot(page, "confirmed")

    page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
    credit = page.locator(f"#evaluation-table tr[data-year='{year}']")
    assert credit.count() == 1 and credit.locator(".grade").inner_text() == "AAA"
    assert credit.get_attribute("data-passed") == "true"
    assert [e for e in page.errors] == []
