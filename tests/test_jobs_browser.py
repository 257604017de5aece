"""Background jobs in headless Chromium (docs/JOBS.md): a planner exports the whole buildings layer and an estates view
that is over the download limit as jobs, sees their progress on the job list, cancels one and downloads the other."""
from pathlib import Path

import pyogrio
import pytest

from layers.models import Building, Estate, Job

from .browser_helpers import log_in
from .job_worker import workers  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"jobs-{name}.png"), full_page=True)


def test_planner_follows_cancels_and_downloads_background_exports(page, live_server, demo_city, settings, workers,
                                                                  tmp_path):
    settings.EXPORT_MAX_FEATURES = 5  # the current view of estates is "too large" for a download
    buildings = Building.objects.count()
    # Slow chunks, so that the first job is still running when the planner cancels it.
    worker = workers(JOBS_CHUNK_ROWS=max(1, buildings // 40), JOBS_CHUNK_PAUSE=0.5)
    log_in(page, live_server, "planner")
    panel = page.locator("#export-panel")
    panel.scroll_into_view_if_needed()

    # 1. The whole buildings layer, in the background.
    page.select_option("#export-layer", "buildings")
    page.select_option("#export-format", "csv")
    page.check("input[name=scope][value=all]")
    page.click("#export-submit")
    page.wait_for_function("() => document.getElementById('export-panel').dataset.state === 'job'")
    first = int(panel.get_attribute("data-job"))
    assert page.locator("#export-job-link").get_attribute("href") == "/jobs/"

    # 2. The estates in view: refused as a download (413), offered as a job.
    page.select_option("#export-layer", "estates")
    page.select_option("#export-format", "gpkg")
    page.check("input[name=scope][value=view]")
    page.click("#export-submit")
    page.wait_for_selector("#export-as-job")
    assert "5" in page.locator("#export-message").inner_text()  # the limit is named
    page.click("#export-as-job")
    page.wait_for_function(f"() => Number(document.getElementById('export-panel').dataset.job) > {first}")
    second = int(panel.get_attribute("data-job"))
    panel.screenshot(path=str(ARTIFACTS / "jobs-export-panel.png"))

    # 3. The job list: the first job runs with a moving progress bar, the second waits.
    page.click("#export-job-link")
    page.wait_for_url(f"{live_server.url}/jobs/")
    running = page.locator(f".jb-job[data-job='{first}']")
    page.wait_for_selector(f".jb-job[data-job='{first}'][data-status=running] progress")
    page.wait_for_function(f"""() => {{
        const bar = document.querySelector(".jb-job[data-job='{first}'] progress");
        return bar && bar.value > 0 && bar.value < bar.max; }}""")
    assert page.locator(f".jb-job[data-job='{second}']").get_attribute("data-status") == "queued"
    assert "运行中" in running.inner_text() and "%" in running.locator(".jb-count").inner_text()
    shot(page, "running")

    # 4. Cancel the first: it stops at its next chunk, keeps no file; the second then runs and finishes.
    running.locator(".jb-cancel").click()
    page.wait_for_selector(f".jb-job[data-job='{first}'][data-status=cancelled]", timeout=60_000)
    assert "已取消" in page.locator(f".jb-job[data-job='{first}']").inner_text()
    assert page.locator(f".jb-job[data-job='{first}'] .jb-download").count() == 0
    page.wait_for_selector(f".jb-job[data-job='{second}'][data-status=done] .jb-download", timeout=90_000)
    shot(page, "done")

    # 5. Download the second from the list: a GeoPackage of every estate.
    with page.expect_download() as info:
        page.click(f".jb-job[data-job='{second}'] .jb-download")
    download = info.value
    assert download.suggested_filename.startswith("estates-") and download.suggested_filename.endswith(".gpkg")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    frame = pyogrio.read_dataframe(target)
    estate_ids = set(Estate.objects.values_list("pk", flat=True))
    assert 5 < len(frame) and set(frame["id"].astype(int)) <= estate_ids
    assert pyogrio.read_info(target)["crs"] == "EPSG:4490"
    assert Job.objects.get(pk=first).status == "cancelled" and not Job.objects.get(pk=first).result_file
    # The one console error is the refused download of step 2 (the browser logs every 4xx response).
    assert [e for e in page.errors if "413" not in e] == [], (page.errors, worker.output())

    # The same list on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "phone")


def test_a_large_import_shows_the_workers_progress_on_the_import_page(page, live_server, demo_city, settings,
                                                                       workers, tmp_path):
    settings.IMPORT_JOB_ROWS = 20  # a 60-row file is "large"
    estates = list(Estate.objects.order_by("code")[:60])
    path = tmp_path / "estates.csv"
    path.write_text("小区编码,小区名称,户数\n" + "".join(f"{e.code},{e.name}（后台）,{e.households}\n" for e in estates),
                    encoding="utf-8-sig")
    workers(JOBS_CHUNK_PAUSE=1)  # slow enough to see the bars
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    page.select_option("#im-target", "estates")
    page.set_input_files("#im-file", str(path))
    page.click("#im-upload")
    page.wait_for_selector("#import-page[data-step=mapping]")
    page.click("#im-check")
    # The dry run of a large file is a job too: its card with the progress bar, then the report.
    page.wait_for_selector("#check-status .jb-job progress")
    check = Job.objects.get(kind="import", params__step="check")
    assert page.locator("#check-status .jb-job").get_attribute("data-job") == str(check.pk)
    shot(page, "import-check-running")
    page.wait_for_selector("#import-page[data-step=report]", timeout=90_000)
    assert page.get_attribute("#report-counts li[data-count=errors]", "data-value") == "0"
    assert Job.objects.get(pk=check.pk).status == "done"
    page.click("#im-commit")
    # The job's card, in place of the commit message, until the worker has saved every row.
    page.wait_for_selector("#commit-status .jb-job progress")
    job = Job.objects.exclude(pk=check.pk).get(kind="import")
    assert page.locator("#commit-status .jb-job").get_attribute("data-job") == str(job.pk)
    shot(page, "import-running")
    page.wait_for_selector("#import-page[data-committed=true]", timeout=90_000)
    assert Estate.objects.get(pk=estates[-1].pk).name == estates[-1].name + "（后台）"
    assert Job.objects.get(pk=job.pk).status == "done"
    assert "60" in page.inner_text("#commit-status")
    assert not page.errors, page.errors
