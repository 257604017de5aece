"""The planner merges two neighbours across the road between them (the filled gap previewed on the map), is refused
beyond the gap limit, reads the history of the area the merge removed, and renames an area — all in the editor."""
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection

from layers.models import ManagementArea, ManagementAreaVersion
from layers.refusals import Invalid
from layers.services import management_areas as svc

from .browser_helpers import log_in
from .test_edit_browser import ARTIFACTS, click_lonlat, editor_status, go_to, open_editor

pytestmark = [pytest.mark.browser]

REFUSED = re.compile(r"Failed to load resource: the server responded with a status of (400|404|409)")


def pair_with_gap(wanted):
    """Two demo areas whose merge preview (gap in metres, or the refusal) satisfies `wanted`."""
    planner = User.objects.get(username="planner")
    with connection.cursor() as cursor:
        cursor.execute("""SELECT a.id, b.id FROM layers_managementarea a JOIN layers_managementarea b
                            ON a.id < b.id AND a.district_id = b.district_id AND ST_DWithin(a.geom, b.geom, 0.0008)
                           WHERE ST_NumGeometries(a.geom) = 1 AND ST_NumGeometries(b.geom) = 1
                          ORDER BY a.id, b.id LIMIT 200""")
        pairs = cursor.fetchall()
    for a, b in pairs:
        try:
            plan = svc.management_area_merge_preview(user=planner, area_ids=[a, b])
        except Invalid as refusal:
            plan = refusal
        if wanted(plan):
            return ManagementArea.objects.get(pk=a), ManagementArea.objects.get(pk=b), plan
    pytest.fail("no such pair in the demo city")


def inside(area):
    point = area.geom.point_on_surface
    return point.x, point.y


def pick_pair(page, a, b):
    """Select a, start the merge tool, pick b."""
    (ax, ay), (bx, by) = inside(a), inside(b)
    go_to(page, (ax + bx) / 2, (ay + by) / 2, zoom=16)
    open_editor(page)
    click_lonlat(page, ax, ay)
    page.wait_for_selector("[data-action=merge]")
    assert a.name in page.inner_text(".editor__area-name")
    page.click("[data-action=merge]")
    click_lonlat(page, bx, by)


def test_planner_merges_neighbours_across_the_road_and_reads_the_removed_areas_history(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    a, b, plan = pair_with_gap(lambda p: not isinstance(p, Invalid) and not p.problems and 5 < p.gap_m < 45)
    log_in(page, live_server, "planner")
    pick_pair(page, a, b)

    # The preview: the distance, the limit, the filled area in m², the filled gap and the merged boundary drawn.
    gap = page.locator("[data-merge-gap]")
    gap.wait_for(timeout=15_000)
    text = gap.inner_text()
    assert f"相距 {round(plan.gap_m)} 米" in text and "50 米" in text, text
    area_m2 = int(page.get_attribute("[data-bridge-area]", "data-bridge-area"))
    assert area_m2 == round(plan.bridge_area_m2) and area_m2 > 0
    assert f"{area_m2:,}" in page.inner_text("[data-bridge-area]") and "平方米" in page.inner_text("[data-bridge-area]")
    assert page.locator(".leaflet-geoapp-edit-overlay-pane path").count() >= 2  # the filled gap and the outline
    assert page.inner_text("[data-action=confirm-merge]") == "填补间隙并合并"
    page.screenshot(path=str(ARTIFACTS / "merge-preview.png"))
    assert ManagementArea.objects.filter(pk=b.pk).exists()  # nothing saved yet

    page.fill("[data-field=reason]", "隔路相邻，合并为一个物业管理区域")
    page.click("[data-action=confirm-merge]")
    assert a.name in editor_status(page)
    kept = ManagementArea.objects.get(pk=a.pk)
    assert not ManagementArea.objects.filter(pk=b.pk).exists()
    assert kept.version == a.version + 1 and kept.geom.num_geom == 1
    assert kept.geom.buffer(1e-9).contains(a.geom.union(b.geom))
    assert kept.geom.area > a.geom.area + b.geom.area  # the gap is filled
    row = ManagementAreaVersion.objects.get(area_id=a.pk, version=kept.version)
    assert (row.action, row.user.username, row.reason) == ("merge", "planner", "隔路相邻，合并为一个物业管理区域")

    # The survivor's history names the area it took in; its history page stays readable.
    page.click("[data-action=history]")
    link = page.locator(f".history__merged[data-merged-with='{b.pk}']")
    link.wait_for(timeout=15_000)
    assert b.name in link.inner_text()
    link.click()
    page.wait_for_url(f"{live_server.url}/management-areas/{b.pk}/history/")
    note = page.inner_text("[data-removed]")
    assert "合并入" in note and a.name in note, note
    assert page.locator("tr[data-action=merge]").count() == 1
    assert page.locator("tr[data-version]").count() == ManagementAreaVersion.objects.filter(area_id=b.pk).count()
    page.screenshot(path=str(ARTIFACTS / "merge-removed-history.png"))
    page.click(f"[data-merged-into='{a.pk}']")
    page.wait_for_url(f"{live_server.url}/management-areas/{a.pk}/")
    assert a.name in page.inner_text("h1")
    assert [e for e in page.errors if not REFUSED.search(e)] == []


def test_merge_beyond_the_gap_limit_shows_the_distance_and_offers_no_save(page, live_server, demo_city):
    a, b, refusal = pair_with_gap(lambda p: isinstance(p, Invalid) and p.details.get("gap_m", 0) > 50)
    log_in(page, live_server, "planner")
    pick_pair(page, a, b)
    refused = page.locator("[data-merge-refused]")
    refused.wait_for(timeout=15_000)
    text = refused.inner_text()
    assert f"相距 {refusal.details['gap_m']:.0f} 米" in text and "50 米" in text, text
    assert page.locator("[data-action=confirm-merge]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "merge-refused.png"))
    assert ManagementArea.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    assert [e for e in page.errors if not REFUSED.search(e)] == []


def test_planner_renames_an_area_and_a_taken_code_is_refused(page, live_server, demo_city):
    from django.contrib.gis.db.models.functions import NumGeometries

    area = ManagementArea.objects.annotate(parts=NumGeometries("geom")).filter(parts=1).order_by("id").first()
    other = ManagementArea.objects.exclude(pk=area.pk).order_by("id").first()
    log_in(page, live_server, "planner")
    go_to(page, *inside(area), zoom=17)
    open_editor(page)
    click_lonlat(page, *inside(area))
    page.click("[data-action=rename]")
    assert page.input_value("[data-field=name]") == area.name
    assert page.input_value("[data-field=code]") == area.code
    page.fill("[data-field=name]", "幸福里片区")
    page.fill("[data-field=code]", "MA-XF-01")
    page.fill("[data-field=reason]", "拆分后按街道意见命名")
    page.screenshot(path=str(ARTIFACTS / "rename-form.png"))
    page.click("[data-action=confirm-rename]")
    assert "幸福里片区" in editor_status(page)
    renamed = ManagementArea.objects.get(pk=area.pk)
    assert (renamed.name, renamed.code, renamed.version) == ("幸福里片区", "MA-XF-01", area.version + 1)
    assert renamed.geom.equals(area.geom)
    row = ManagementAreaVersion.objects.get(area_id=area.pk, version=renamed.version)
    assert (row.action, row.user.username, row.reason) == ("update", "planner", "拆分后按街道意见命名")
    assert "幸福里片区" in page.inner_text(".editor__area-name")
    assert "MA-XF-01" in page.inner_text(".editor__area-meta")

    # A code another area has: refused in Chinese, nothing saved.
    page.click("[data-action=rename]")
    page.fill("[data-field=code]", other.code)
    page.fill("[data-field=reason]", "再改编码")
    page.click("[data-action=confirm-rename]")
    error = editor_status(page, "error")
    assert other.code in error and "已被" in error and other.name in error, error
    page.screenshot(path=str(ARTIFACTS / "rename-refused.png"))
    assert ManagementArea.objects.get(pk=area.pk).code == "MA-XF-01"

    # The history panel shows the rename: who, when, the new name.
    page.click("[data-action=cancel]")
    page.click("[data-action=history]")
    item = page.locator(f".history__item[data-version='{renamed.version}']")
    item.wait_for(timeout=15_000)
    assert "planner" in item.inner_text() and "幸福里片区" in item.inner_text()
    assert [e for e in page.errors if not REFUSED.search(e)] == []
