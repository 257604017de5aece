"""The import page in headless Chromium: a planner brings in a zipped GBK shapefile of estates, maps a field by hand,
sees the dry run's row error on the list and the map, re-uploads the fixed file, commits, finds the estates."""
from pathlib import Path

import pytest

from layers.models import Estate, ImportJob, ImportStatus

from . import import_files as files
from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"import-{name}.png"))


def estate_file(folder, *, bad_households: bool):
    """Three new estates drawn on demo estates' ground, in GBK without .cpg; 详细位置 is no known alias."""
    records = files.estate_records(list(Estate.objects.order_by("code")[40:43]), prefix="WEB-", name_suffix="新苑")
    for i, r in enumerate(records):
        r["详细位置"] = f"阿城区金城街道{i + 1}号"
    if bad_households:
        records[1]["户数"] = -12
    return files.shapefile_zip(folder, records, encoding="GBK", cpg=False), records


def upload(page, path):
    page.select_option("#im-target", "estates")
    page.set_input_files("#im-file", str(path))
    page.click("#im-upload")
    page.wait_for_selector("#import-page[data-step=mapping]")


def dry_run(page):
    page.click("#im-check")
    page.wait_for_selector("#import-page[data-step=report]")
    page.wait_for_function("() => document.getElementById('import-map').dataset.previewFeatures === '3'")


def test_planner_imports_a_gbk_shapefile_after_fixing_a_row(live_server, demo_city, page, tmp_path):
    log_in(page, live_server, "planner")
    page.click(".topbar__more summary")  # Import sits under "More"
    page.click("[data-nav=imports]")
    page.wait_for_selector("#import-page[data-ready=true]")
    shot(page, "1-upload")

    bad, records = estate_file(tmp_path / "bad", bad_households=True)
    upload(page, bad)
    assert page.input_value("select[data-field=name]") == "小区名称"  # suggested from the Chinese alias
    assert page.input_value("select[data-field=households]") == "户数"
    assert page.input_value("select[data-field=address]") == ""
    page.select_option("select[data-field=address]", "详细位置")  # mapped by hand
    assert "GB18030" in page.inner_text("#file-facts")
    shot(page, "2-mapping")

    dry_run(page)
    assert page.get_attribute("#report-counts li[data-count=errors]", "data-value") == "1"
    assert page.get_attribute("#report-counts li[data-count=create]", "data-value") == "2"
    row = page.locator("#report-errors tr[data-row='2'][data-kind=error]")
    assert row.count() == 1 and "WEB-001" in row.inner_text() and "-12" in row.inner_text()
    assert page.get_attribute("#import-map", "data-invalid-features") == "1"
    assert page.get_attribute("#import-map", "data-valid-features") == "2"
    assert page.is_disabled("#im-commit")
    # The map draws the invalid estate in red where it lies: clicking the row opens its popup.
    row.click()
    page.wait_for_selector(".leaflet-popup-content")
    assert "WEB-001" in page.inner_text(".leaflet-popup-content")
    shot(page, "3-dry-run-with-error")
    assert not Estate.objects.filter(code__startswith="WEB-").exists()

    page.click("#im-restart")
    page.wait_for_selector("#import-page[data-step=upload]")
    fixed, records = estate_file(tmp_path / "fixed", bad_households=False)
    upload(page, fixed)
    page.select_option("select[data-field=address]", "详细位置")
    dry_run(page)
    assert page.get_attribute("#report-counts li[data-count=errors]", "data-value") == "0"
    assert page.get_attribute("#import-map", "data-valid-features") == "3"
    assert page.is_enabled("#im-commit")
    page.click("#im-commit")
    page.wait_for_selector("#import-page[data-committed=true]")
    shot(page, "4-committed")

    for r in records:
        estate = Estate.objects.get(code=r["小区编码"])
        assert estate.name == r["小区名称"] and estate.address == r["详细位置"] and estate.households == r["户数"]
    assert ImportJob.objects.filter(status=ImportStatus.COMMITTED, file_name="estates.zip").count() == 1

    # On the map: the search finds the imported estate, and its detail link opens.
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    estate = Estate.objects.get(code="WEB-000")
    page.fill("#search-input", estate.name)
    page.press("#search-input", "Enter")
    result = page.locator(f"#search-results button[data-estate-id='{estate.pk}']")
    result.wait_for()
    result.click()
    page.wait_for_timeout(800)
    shot(page, "5-on-the-map")
    assert not page.errors, page.errors


def test_planner_converts_gcj02_positions(live_server, demo_city, page, tmp_path):
    import shapely

    from layers.io import gcj02

    chosen = list(Estate.objects.order_by("code")[50:55])
    records = files.estate_records(chosen, households_delta=1)
    originals = {r["小区编码"]: r["geometry"] for r in records}
    for r in records:
        r["geometry"] = shapely.transform(r["geometry"], gcj02.wgs84_to_gcj02)  # as copied from a commercial map
    path = files.geojson(tmp_path, records, name="amap")
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    upload(page, path)
    page.click("#im-check")
    page.wait_for_selector("#gcj02-notice[data-suspected=true] #gcj02-convert")
    assert page.is_disabled("#im-commit")  # undecided: no commit
    shot(page, "6-gcj02-suspected")
    page.click("#gcj02-convert")
    page.wait_for_selector("#gcj02-notice .im-notice--ok")
    page.wait_for_function("() => !document.getElementById('im-commit').disabled")
    page.click("#im-commit")
    page.wait_for_selector("#import-page[data-committed=true]")
    for code, original in originals.items():
        stored = shapely.from_wkb(bytes(Estate.objects.get(code=code).geom.wkb))
        assert shapely.hausdorff_distance(stored, original) * 111_320 < 1.0  # back within a metre
    assert not page.errors, page.errors


def test_planner_confirms_a_guessed_coordinate_system(live_server, demo_city, page, tmp_path):
    records = files.estate_records(list(Estate.objects.order_by("code")[60:62]), prefix="GK-WEB-")
    path = files.shapefile_zip(tmp_path, files.reproject(records, 4551), prj=False)  # GK CM 126°E, no .prj
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    upload(page, path)
    # Guessed from the eastings and the district's longitude: Gauss-Krüger without zone number, zone 42 (126°E).
    assert page.input_value("#im-source") == "gk_plain" and page.input_value("#im-zone") == "42"
    assert page.is_visible("#im-zone")
    page.wait_for_selector("#crs-notice .im-notice--warn")
    shot(page, "7-crs-guessed")
    page.click("#im-check")
    page.wait_for_selector("#import-page[data-step=report]")
    assert page.get_attribute("#report-counts li[data-count=create]", "data-value") == "2"
    page.click("#im-commit")
    page.wait_for_selector("#import-page[data-committed=true]")
    job = ImportJob.objects.get(file_name="estates.zip", status=ImportStatus.COMMITTED)
    assert job.srid == 4551
    assert Estate.objects.filter(code__startswith="GK-WEB-").count() == 2


def test_planner_picks_gcj02_by_hand_and_sees_the_converted_dry_run(live_server, demo_city, page, tmp_path):
    """New estates copied from AMap (nothing to compare them with: no detection), the source chosen by hand."""
    import shapely

    from layers.io import gcj02

    records = files.estate_records(list(Estate.objects.order_by("code")[70:72]), prefix="AMAP-")
    originals = {r["小区编码"]: r["geometry"] for r in records}
    for r in records:
        r["geometry"] = shapely.transform(r["geometry"], gcj02.wgs84_to_gcj02)
    path = files.geojson(tmp_path, records, name="amap-new")
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    upload(page, path)
    labels = page.eval_on_selector_all("#im-source option", "os => os.map(o => o.textContent)")
    assert any("高德" in label and "GCJ-02" in label for label in labels), labels
    assert any("百度" in label and "BD-09" in label for label in labels), labels
    assert any("EPSG:3857" in label for label in labels) and any("高斯" in label for label in labels)
    assert page.is_hidden("#im-zone")
    page.select_option("#im-source", "gcj02")
    page.locator("#im-source").scroll_into_view_if_needed()
    shot(page, "10-source-gcj02")
    page.click("#im-check")
    page.wait_for_selector("#import-page[data-step=report]")
    page.wait_for_selector("#gcj02-notice .im-notice--ok")
    assert "GCJ-02" in page.inner_text("#gcj02-notice")
    job = ImportJob.objects.get(pk=int(page.get_attribute("#import-page", "data-job")))
    assert job.gcj02 == "convert" and job.srid == 4490
    for feature in job.report["preview"]["features"]:  # what the map shows: already converted
        drawn = shapely.geometry.shape(feature["geometry"])
        assert shapely.hausdorff_distance(drawn, originals[feature["properties"]["key"]]) * 111_320 < 1.0
    page.wait_for_function("() => !document.getElementById('im-commit').disabled")
    page.click("#im-commit")
    page.wait_for_selector("#import-page[data-committed=true]")
    for code, original in originals.items():
        stored = shapely.from_wkb(bytes(Estate.objects.get(code=code).geom.wkb))
        assert shapely.hausdorff_distance(stored, original) * 111_320 < 1.0
    assert not page.errors, page.errors


def test_a_far_away_file_is_flagged_and_needs_confirmation(live_server, demo_city, page, tmp_path):
    import shapely
    import shapely.affinity

    from layers.models import AdminArea, AdminLevel

    district = AdminArea.objects.get(level=AdminLevel.DISTRICT)
    moved = shapely.affinity.translate(files.shp(district.geom), xoff=-8.0)  # another province, ~600 km west
    path = files.geojson(tmp_path, [{"区划代码": "610199", "名称": "外省区", "级别": "区", "geometry": moved}],
                         name="far")
    log_in(page, live_server, "admin")  # districts are the system administrator's to import
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    page.select_option("#im-target", "admin_areas")
    page.set_input_files("#im-file", str(path))
    page.click("#im-upload")
    page.wait_for_selector("#import-page[data-step=mapping]")
    page.click("#im-check")
    page.wait_for_selector("#unusual-notice[data-needs-confirmation=true] #im-confirm-unusual")
    text = page.inner_text("#unusual-notice")
    assert "公里" in text and "我已确认" in text, text
    assert page.get_attribute("#report-counts li[data-count=errors]", "data-value") == "0"
    assert page.is_disabled("#im-commit")  # no errors, but not confirmed
    page.locator("#unusual-notice").scroll_into_view_if_needed()
    shot(page, "11-far-away-confirm")
    page.check("#im-confirm-unusual")
    assert page.is_enabled("#im-commit")
    page.click("#im-commit")
    page.wait_for_selector("#import-page[data-committed=true]")
    assert AdminArea.objects.filter(code="610199", level=AdminLevel.DISTRICT).exists()
    assert not page.errors, page.errors


def test_planner_tries_and_downloads_a_sample_file(live_server, demo_city, page):
    samples = Path(__file__).resolve().parent.parent / "fixtures"
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("#import-page[data-ready=true]")
    assert page.locator("#samples li[data-sample]").count() == 4
    shot(page, "8-samples")

    # Download: the browser saves the very file kept in fixtures/.
    with page.expect_download() as download:
        page.click("#samples li[data-sample='estates_lonlat.csv'] a.sample-download")
    assert download.value.suggested_filename == "estates_lonlat.csv"
    assert Path(download.value.path()).read_bytes() == (samples / "estates_lonlat.csv").read_bytes()

    # Try it: the sample goes through the upload with its own target, then the dry run as any file.
    page.select_option("#im-target", "buildings")  # the button sets the sample's target itself
    page.click("#samples li[data-sample='estates_gbk_no_cpg.zip'] button.sample-try")
    page.wait_for_selector("#import-page[data-step=mapping]")
    assert page.input_value("#im-target") == "estates"
    facts = page.inner_text("#file-facts")
    assert "GB18030" in facts and "4" in facts
    assert page.input_value("select[data-field=name]") == "小区名称"
    page.click("#im-check")
    page.wait_for_selector("#import-page[data-step=report]")
    page.wait_for_function("() => document.getElementById('import-map').dataset.previewFeatures === '4'")
    assert page.get_attribute("#report-counts li[data-count=errors]", "data-value") == "0"
    assert page.get_attribute("#report-counts li[data-count=update]", "data-value") == "4"
    assert page.is_enabled("#im-commit")
    job = ImportJob.objects.get(pk=int(page.get_attribute("#import-page", "data-job")))
    assert job.file_name == "estates_gbk_no_cpg.zip" and job.target == "estates"
    assert job.status == ImportStatus.CHECKED
    shot(page, "9-sample-dry-run")
    assert not page.errors, page.errors
