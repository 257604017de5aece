"""In Chromium (its own locale zh-CN): numbers, dates and sorting follow the page's language, not the browser's."""
import re
from pathlib import Path

import pytest
from django.utils import timezone

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NAMES = ["张", "阿", "李"]  # zhāng, ā, lǐ
PINYIN_ORDER = ["阿", "李", "张"]

# The page's own format.js, imported next to the entry module the template loads.
FORMAT_HELPERS = """async ([names]) => {
  const entry = document.querySelector('script[type=module][src*="/layers/js/"]').src;
  const m = await import(new URL("format.js", entry).href);
  return { lang: m.pageLang(), date: m.fmtDate("2018-01-01"), int: m.fmtInt(1234567), sorted: [...names].sort(m.compare) };
}"""


def kpi(page, key: str) -> str:
    return page.locator(f'#kpis [data-v="{key}"]').first.inner_text().strip()


def open_dashboard(page, live_server):
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#dashboard[data-ready=true] #rank-table", timeout=15_000)


def map_date_shows(page, iso: str, text: str):
    """Choose a date on the map's coverage control: the badge (coverage.js) names it in the page's language."""
    page.fill("#coverage-date", iso)
    page.wait_for_function("(t) => document.getElementById('status-date').textContent.includes(t)", arg=text)


def test_numbers_dates_and_sorting_follow_the_page_language(page, live_server, demo_city):
    from layers.selectors.coverage import coverage_figures
    from layers.models import ManagementArea

    ARTIFACTS.mkdir(exist_ok=True)
    today = timezone.localdate()
    total = coverage_figures(on=today, level="street", parent_id=None)["total"]
    unserved = total["old_households"] - total["served"]["households"]
    assert unserved >= 1000  # so that digit grouping shows

    # Chinese (the default): the map's date badge, the dashboard's figures and the helpers.
    log_in(page, live_server, "official")
    map_date_shows(page, "2018-03-05", "2018年3月5日")
    open_dashboard(page, live_server)
    assert kpi(page, "none_h") == f"{unserved:,}"
    chinese = page.evaluate(FORMAT_HELPERS, [NAMES])
    assert chinese == {"lang": "zh-Hans", "date": "2018年1月1日", "int": "1,234,567", "sorted": PINYIN_ORDER}

    # English, chosen in the top bar: the browser's locale stays zh-CN, the page's language is en.
    page.click('.topbar__lang button[data-language="en"]')
    page.wait_for_selector('html[lang="en"]')
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    map_date_shows(page, "2018-03-05", "March 5, 2018")
    open_dashboard(page, live_server)
    assert kpi(page, "none_h") == f"{unserved:,}"
    assert kpi(page, "srv_e") == f"{total['service_rate']['estates'] * 100:.1f}%"
    english = page.evaluate(FORMAT_HELPERS, [NAMES])
    # Outside Chinese collation, Han characters keep their code-point order, not pinyin.
    assert english == {"lang": "en", "date": "January 1, 2018", "int": "1,234,567", "sorted": sorted(NAMES)}
    assert english["sorted"] != PINYIN_ORDER
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)

    # The printable report and a detail page in English, their maps drawn by the modules.
    page.goto(f"{live_server.url}/reports/coverage/?date=2018-01-01")
    page.wait_for_selector("#report[data-map-ready=true]", timeout=15_000)
    assert "Jan. 1, 2018" in page.locator(".report__meta").first.inner_text()
    legend = page.locator("#report-legend").inner_text()
    assert re.search(r"20%\s*–\s*40%", legend) and "≥ 80%" in legend
    tooltips = page.locator("#report-map .area-label").all_inner_texts()
    assert tooltips and all(re.search(r"(\d+\.\d%|–)$", t.strip()) for t in tooltips), tooltips
    area = ManagementArea.objects.order_by("pk").first()
    page.goto(f"{live_server.url}/management-areas/{area.pk}/")
    page.wait_for_selector("#detailmap .leaflet-overlay-pane path", state="attached")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.errors == []
