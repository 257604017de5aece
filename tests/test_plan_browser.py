"""The bundled-takeover journey in headless Chromium: a planner proposes a plan, edits a bundle on the map (removes
and adds an estate; an invalid add is refused with its problem shown), picks enterprises from the ranked candidates,
approves, and the map and coverage figures change. An official sees the plan read-only."""
import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.selectors import bundles as bundle_inputs
from layers.models import AdminArea, BundleEstate, Estate, PlanStatus, ServiceContract, TakeoverPlan
from layers.planning.bundles import adjacency, bundle_problems
from layers.services import plans as services

from .browser_helpers import log_in, pixel
from .job_worker import workers  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def members(plan, bundle_id) -> set[int]:
    return set(BundleEstate.objects.filter(plan=plan, bundle_id=bundle_id).values_list("estate_id", flat=True))


def removable(plan):
    """(bundle, estate) whose removal leaves a valid bundle."""
    params = services.parameters_of(plan)
    for bundle in plan.bundles.order_by("rank"):
        ids = sorted(members(plan, bundle.pk))
        units = {u.id: u for u in bundle_inputs.units_by_ids(estate_ids=ids, srid=32652)}
        graph = adjacency(units.values(), gap_m=params.gap_m, within_street=params.within_street)
        for estate_id in ids:
            rest = [i for i in ids if i != estate_id]
            if not bundle_problems(rest, units_by_id=units, graph=graph, rules=params.rules()):
                return bundle, estate_id
    raise AssertionError("no bundle can spare an estate")


def show_estate(page, estate_id, zoom=17):
    """Centre the map on the estate and wait for the plan's estate tiles; the estate's page coordinates."""
    point = Estate.objects.get(pk=estate_id).geom.point_on_surface
    page.evaluate("([lat, lon, z]) => window.geoappMap.setView([lat, lon], z, {animate: false})",
                  [point.y, point.x, zoom])
    page.wait_for_selector("#plan[data-estate-tiles=loaded]", timeout=20_000)
    page.wait_for_timeout(150)
    return pixel(page, point.x, point.y)


def click_estate(page, estate_id, zoom=17):
    x, y = show_estate(page, estate_id, zoom)
    page.mouse.click(x, y)


def wait_version(page, version):
    page.wait_for_selector(f"#plan[data-version='{version}'][data-busy='false']", timeout=20_000)


def coverage_total(page, live_server, day):
    response = page.request.get(f"{live_server.url}/api/coverage/?date={day}&level=street")
    assert response.ok
    return response.json()["total"]


def test_planner_builds_edits_approves_a_plan(page, live_server, demo_city, workers):
    ARTIFACTS.mkdir(exist_ok=True)
    workers(JOBS_CHUNK_PAUSE=1)  # the proposal runs in the worker; a pause after each step shows the bar move
    today = timezone.localdate()
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    log_in(page, live_server, "planner")
    before = coverage_total(page, live_server, today.isoformat())

    # The list page and its form.
    page.click("[data-nav=plans]")
    page.wait_for_url(f"{live_server.url}/plans/")
    assert page.locator("#plans-table tr[data-plan-id]").count() == TakeoverPlan.objects.count()  # the demo's
    page.click("#new-plan-toggle")
    page.screenshot(path=str(ARTIFACTS / "plan-list-form.png"))
    page.fill("#id_name", "金城连片接管")
    page.select_option("#id_street", str(street.pk))
    page.fill("#id_start_date", today.isoformat())
    page.click("#create-plan")
    # The proposal is a background job: the list shows its progress bar, then opens the plan by itself.
    page.wait_for_url(re.compile(r"/plans/\?job=\d+$"))
    page.wait_for_function("""() => {
        const bar = document.querySelector("#plan-job progress");
        return bar && bar.value > 0 && bar.value < bar.max; }""", timeout=60_000)
    assert "金城连片接管" in page.inner_text("#plan-job .jb-title")
    page.screenshot(path=str(ARTIFACTS / "plan-list-job.png"))
    page.wait_for_url(f"{live_server.url}/plans/*/", timeout=60_000)
    plan = TakeoverPlan.objects.get(name="金城连片接管")
    assert page.url.endswith(f"/plans/{plan.pk}/")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)
    bundles = plan.bundles.count()
    assert bundles > 0 and page.locator("#bundle-list li").count() == bundles
    assert plan.street_id == street.pk and plan.start_date == today and plan.version == 1

    # Edit a bundle on the map: remove an estate, then add it back.
    bundle, estate_id = removable(plan)
    page.click(f"#bundle-list li[data-bundle-id='{bundle.pk}']")
    page.click("#edit-bundle")
    assert page.get_attribute("#plan", "data-editing") == "true"
    click_estate(page, estate_id)
    wait_version(page, 2)
    assert estate_id not in members(plan, bundle.pk)
    households = Estate.objects.get(pk=estate_id).households
    shown = page.inner_text(f"#bundle-list li[data-bundle-id='{bundle.pk}'] [data-v=households]")
    assert int(shown.replace(",", "")) == bundle.households - households
    click_estate(page, estate_id)
    wait_version(page, 3)
    assert estate_id in members(plan, bundle.pk)

    # An estate too far away: refused, the problem is shown, nothing saved.
    taken = set(BundleEstate.objects.filter(plan=plan).values_list("estate_id", flat=True))
    free = [u.id for u in bundle_inputs.uncovered_units(on=today, srid=32652, street_id=street.pk)
            if u.id not in taken]
    bundle.refresh_from_db()
    far = max(free, key=lambda i: Estate.objects.get(pk=i).geom.distance(bundle.geom))
    click_estate(page, far, zoom=16)
    page.wait_for_selector("#plan-message[data-problems~=not_contiguous]", timeout=20_000)
    assert page.get_attribute("#plan", "data-version") == "3"
    assert far not in taken and not BundleEstate.objects.filter(plan=plan, estate_id=far).exists()
    page.evaluate("() => window.geoappMap.setZoom(15, {animate: false})")
    page.screenshot(path=str(ARTIFACTS / "plan-edit.png"))
    page.click("#edit-bundle")  # done editing

    # Delete the last bundle, then draw it again as a new bundle by clicking its estates.
    last = plan.bundles.order_by("-rank").first()
    estates = sorted(members(plan, last.pk))
    page.click(f"#bundle-list li[data-bundle-id='{last.pk}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-bundle")
    wait_version(page, 4)
    assert not plan.bundles.filter(pk=last.pk).exists()
    page.click("#new-bundle")
    for estate_id in estates:
        click_estate(page, estate_id, zoom=16)
    assert page.get_attribute("#new-bundle-selection", "data-count") == str(len(estates))
    page.click("#create-bundle")
    wait_version(page, 5)
    created = plan.bundles.get(members__estate_id=estates[0])
    assert sorted(members(plan, created.pk)) == estates and created.households == last.households
    assert page.locator("#bundle-list li").count() == bundles

    # Pick each bundle's enterprise from its ranked candidates (the best one).
    version = 5
    for bundle_id in list(plan.bundles.order_by("rank").values_list("pk", flat=True)):
        page.click(f"#bundle-list li[data-bundle-id='{bundle_id}']")
        page.wait_for_selector("#enterprise-picker[data-loaded=true]", timeout=20_000)
        best = page.get_attribute("#enterprise-picker option[data-rank='1']", "value")
        page.select_option("#enterprise-picker", best)
        version += 1
        wait_version(page, version)
        assert str(plan.bundles.get(pk=bundle_id).enterprise_id) == best
    assert page.get_attribute("#plan-summary", "data-missing") == "0"

    moved = int(page.get_attribute("#coverage-table", "data-moved-households"))
    assert moved == sum(plan.bundles.values_list("households", flat=True))
    row = page.locator(f"#coverage-table tbody tr[data-street-id='{street.pk}']")
    assert row.locator("[data-v=before]").inner_text() != row.locator("[data-v=after]").inner_text()
    page.evaluate("() => window.geoappPlan.fitAll()")
    page.screenshot(path=str(ARTIFACTS / "plan-before-approval.png"))

    # Approve (confirmation dialog), and everything changes.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve-plan")
    page.wait_for_selector("#plan[data-status=approved]", timeout=30_000)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == User.objects.get(username="planner")
    estate_ids = list(BundleEstate.objects.filter(plan=plan).values_list("estate_id", flat=True))
    contracts = ServiceContract.objects.filter(estate_id__in=estate_ids, start_date=today)
    assert contracts.count() == len(estate_ids)
    assert {(c.mode, c.provider_kind) for c in contracts} == {("bundled", "enterprise")}
    assert all(c.bundle.plan_id == plan.pk and c.enterprise_id == c.bundle.enterprise_id for c in contracts)
    statuses = set(Estate.objects.filter(pk__in=estate_ids).with_service_status(today)
                   .values_list("service_status", flat=True))
    assert statuses == {"enterprise"}
    page.wait_for_selector("#coverage-table[data-as-approved=true]")
    page.wait_for_selector("#plan[data-map-status=approved]", timeout=30_000)
    assert page.locator("#approve-plan").count() == 0 and page.locator("#enterprise-picker").count() == 0
    page.wait_for_selector("#plan[data-estate-tiles=loaded]", timeout=20_000)
    shown = page.evaluate("(ids) => ids.map((id) => window.geoappPlan.seen.get(id)?.status)", estate_ids)
    assert set(shown) == {"enterprise"}
    after = coverage_total(page, live_server, today.isoformat())
    assert after["enterprise"]["households"] == before["enterprise"]["households"] + moved
    assert after["by_status"]["none"] == before["by_status"]["none"] - len(estate_ids)
    page.screenshot(path=str(ARTIFACTS / "plan-approved.png"))
    page.locator("#coverage-table").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "plan-approved-coverage.png"))

    page.goto(f"{live_server.url}/plans/")
    status = page.get_attribute(f"#plans-table tr[data-plan-id='{plan.pk}']", "data-status")
    assert status == "approved"
    page.screenshot(path=str(ARTIFACTS / "plan-list.png"))
    assert not [e for e in page.errors if "status of 400" not in e], page.errors


def test_official_sees_a_plan_read_only(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    plan = services.plan_create(user=User.objects.get(username="planner"), name="只读计划",
                                start_date=datetime.date.today() + datetime.timedelta(days=60))
    log_in(page, live_server, "official")
    page.goto(f"{live_server.url}/plans/")
    assert page.locator("#new-plan-form").count() == 0
    page.click(f"#plans-table tr[data-plan-id='{plan.pk}'] a")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)
    assert page.get_attribute("#plan", "data-can-edit") == "false"
    assert page.locator("#approve-plan, #new-bundle, #discard-plan").count() == 0
    first = plan.bundles.order_by("rank").first()
    page.click(f"#bundle-list li[data-bundle-id='{first.pk}']")
    assert page.locator("#enterprise-picker").count() == 0 and page.locator("#edit-bundle").count() == 0
    assert page.locator("#coverage-table tbody tr").count() == AdminArea.objects.filter(level="street").count()
    page.evaluate("() => window.geoappPlan.fitAll()")
    page.screenshot(path=str(ARTIFACTS / "plan-official.png"))
    plan.refresh_from_db()
    assert plan.version == 1
    assert not page.errors, page.errors


def bundle_badges(page) -> dict[int, tuple[str, str]]:
    """bundle id → (the number shown in the list, its badge colour), as the planner sees them."""
    return {int(i): (t, c) for i, t, c in page.evaluate("""() => [...document.querySelectorAll("#bundle-list li")]
        .map((li) => [li.dataset.bundleId, li.querySelector(".bundle__rank").textContent,
                      getComputedStyle(li.querySelector(".bundle__rank")).backgroundColor])""")}


def open_plan(page, live_server, plan):
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)


def test_bundles_keep_their_number_and_colour_while_the_planner_edits(page, live_server, demo_city):
    """Deleting bundle #1 and drawing it again renumbers nothing: every other bundle keeps its number and colour,
    the new one gets the next number; an estate's tooltip follows the edit."""
    planner = User.objects.get(username="planner")
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    plan = services.plan_create(user=planner, name="编号不变", start_date=timezone.localdate(), street_id=street.pk)
    numbers = dict(plan.bundles.values_list("pk", "number"))
    assert len(numbers) >= 3
    log_in(page, live_server, "planner")
    open_plan(page, live_server, plan)
    before = bundle_badges(page)
    assert {i: int(t) for i, (t, _) in before.items()} == numbers

    # Delete bundle #1: the others keep number and colour (they used to move up one rank and take its colour).
    first = plan.bundles.get(number=1)
    estates = sorted(members(plan, first.pk))
    page.click(f"#bundle-list li[data-bundle-id='{first.pk}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-bundle")
    wait_version(page, 2)
    after = bundle_badges(page)
    assert after == {i: v for i, v in before.items() if i != first.pk}
    assert dict(plan.bundles.values_list("pk", "number")) == {i: n for i, n in numbers.items() if i != first.pk}

    # Draw it again: a new bundle with the next free number, the others still unchanged.
    page.click("#new-bundle")
    for estate_id in estates:
        click_estate(page, estate_id, zoom=16)
    page.click("#create-bundle")
    wait_version(page, 3)
    created = plan.bundles.get(members__estate_id=estates[0])
    assert created.number == max(numbers.values()) + 1
    shown = bundle_badges(page)
    assert shown[created.pk][0] == str(created.number)
    assert {i: v for i, v in shown.items() if i != created.pk} == after

    # Remove an estate with the pointer on it: its tooltip says at once that it is free now.
    bundle, estate_id = removable(plan)
    number = plan.bundles.get(pk=bundle.pk).number
    page.click(f"#bundle-list li[data-bundle-id='{bundle.pk}']")
    page.click("#edit-bundle")
    x, y = show_estate(page, estate_id)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    assert f"{number}号" in page.inner_text(".leaflet-tooltip")
    page.mouse.click(x, y)
    wait_version(page, 4)
    assert estate_id not in members(plan, bundle.pk)
    page.mouse.move(x + 1, y + 1)
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    tip = page.inner_text(".leaflet-tooltip")
    assert f"{number}号" not in tip and "未纳入" in tip, tip
    page.screenshot(path=str(ARTIFACTS / "plan-numbers-kept.png"))
    assert not [e for e in page.errors if "status of 400" not in e], page.errors


def test_seed_is_an_advanced_option_with_a_plain_label(page, live_server, demo_city, workers):
    workers()
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/plans/")
    page.click("#new-plan-toggle")
    assert not page.is_visible("#id_seed")  # folded away under "高级选项"
    page.click("#advanced-options summary")
    assert page.inner_text("label[for=id_seed]") == "方案编号（相同编号得到相同方案）"
    page.fill("#id_name", "第七种方案")
    page.select_option("#id_street", str(AdminArea.objects.filter(level="street").order_by("code").first().pk))
    page.fill("#id_seed", "7")
    page.screenshot(path=str(ARTIFACTS / "plan-list-advanced.png"))
    page.click("#create-plan")
    page.wait_for_url(f"{live_server.url}/plans/*/", timeout=60_000)
    assert TakeoverPlan.objects.get(name="第七种方案").parameters["seed"] == 7


def test_households_are_shown_with_thousands_separators(page, live_server, demo_city):
    planner = User.objects.get(username="planner")
    plan = services.plan_create(user=planner, name="千位分隔", start_date=timezone.localdate())
    households = sum(plan.bundles.values_list("households", flat=True))
    assert households >= 1000
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/plans/")
    assert page.inner_text(f"#plans-table tr[data-plan-id='{plan.pk}'] [data-v=households]") == f"{households:,}"
    open_plan(page, live_server, plan)
    assert "800–4,000" in page.inner_text(".plan__params")
    assert f"{households:,}" in page.inner_text("#plan-summary")
    biggest = plan.bundles.order_by("-households").first()
    shown = page.inner_text(f"#bundle-list li[data-bundle-id='{biggest.pk}'] [data-v=households]")
    assert shown == f"{biggest.households:,}"


def test_approval_says_how_many_bundles_have_no_enterprise(page, live_server, demo_city):
    plan = TakeoverPlan.objects.order_by("id").first()  # the demo's draft: three bundles have an enterprise
    missing = plan.bundles.filter(enterprise__isnull=True).count()
    assert missing > 0
    version = plan.version
    log_in(page, live_server, "planner")
    open_plan(page, live_server, plan)
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.click("#approve-plan")
    page.wait_for_timeout(500)
    assert messages and f"还有 {missing} 个包未指定企业" in messages[0], messages
    first = plan.bundles.filter(enterprise__isnull=True).order_by("number").first()
    assert f"#{first.number}" in messages[0]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.version == version
    assert not ServiceContract.objects.filter(bundle__plan=plan).exists()
    assert page.get_attribute("#plan", "data-selected") == str(first.pk)  # the first one is shown to fill in
