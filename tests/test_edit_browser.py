"""The editing tools in headless Chromium, per role: the planner's management-area editor (snapping, redraw,
split, merge, conflicts) and the street office's abandoned-building report; an official sees no tools."""
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.db import connection

from layers.models import AbandonmentReport, Building, ManagementArea, ManagementAreaVersion

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of (404|409)")


# ---- helpers ----





def click_lonlat(page, lon, lat, dx=0.0, dy=0.0):
    x, y = pixel(page, lon, lat)
    # Geoman places a vertex where its hint marker is, which follows the mouse: move there first, in steps.
    page.mouse.move(x + dx, y + dy, steps=4)
    page.wait_for_timeout(50)
    page.mouse.click(x + dx, y + dy)
    page.wait_for_timeout(80)


def drag_lonlat(page, start, end):
    x0, y0 = pixel(page, *start)
    x1, y1 = pixel(page, *end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10)
    page.mouse.up()
    page.wait_for_timeout(150)


def go_to(page, lon, lat, zoom=17):
    page.evaluate("([lat, lon, z]) => window.geoappMap.setView([lat, lon], z, {animate: false})", [lat, lon, zoom])


def open_editor(page):
    page.evaluate("() => { delete document.body.dataset.editAreasLoaded; }")
    page.click("[data-action=open-editor]")
    page.wait_for_selector("body[data-edit-areas-loaded]", timeout=15_000)


def reload_areas(page):
    page.evaluate("() => { delete document.body.dataset.editAreasLoaded; return window.geoappEditor.reload(); }")
    page.wait_for_selector("body[data-edit-areas-loaded]", timeout=15_000)


def editor_status(page, kind="ok", timeout=15_000):
    status = page.locator(f".editor__status.is-{kind}")
    status.wait_for(timeout=timeout)
    return status.inner_text()


def check_and_save(page, reason, name=None, screenshot=None):
    page.click("[data-action=check]")
    page.wait_for_selector("[data-action=save], [data-problems]", timeout=15_000)
    if page.locator("[data-problems]").count():
        # A vertex a hair inside the neighbour (floating point): clip it to the neighbours, then save.
        page.click("[data-action=clip]")
        page.wait_for_selector("[data-action=save]", timeout=15_000)
    if name is not None:
        page.fill("[data-field=name]", name)
    page.fill("[data-field=reason]", reason)
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / screenshot))
    page.click("[data-action=save]")


def lonlat_of(sql_point) -> tuple[float, float]:
    return sql_point


def empty_side() -> dict:
    """An area edge with empty land outside it (no other area within 20 m, inside the district): the
    rectangle built outward on that edge, as lon/lat corners [edge start, edge end, outer end, outer start]."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH seg AS (
                SELECT a.id, d.geom AS s, ST_Length(d.geom) AS len
                FROM layers_managementarea a,
                     LATERAL ST_DumpSegments(ST_ExteriorRing(ST_GeometryN(a.geom_web, 1))) d
                WHERE ST_NumGeometries(a.geom_web) = 1
            ), cand AS (
                SELECT seg.id, seg.s, seg.len, side,
                       ST_MakePolygon(ST_MakeLine(ARRAY[
                           ST_StartPoint(s), ST_EndPoint(s),
                           ST_Translate(ST_EndPoint(s), side * 50 * (ST_Y(ST_StartPoint(s)) - ST_Y(ST_EndPoint(s))) / len,
                                        side * 50 * (ST_X(ST_EndPoint(s)) - ST_X(ST_StartPoint(s))) / len),
                           ST_Translate(ST_StartPoint(s), side * 50 * (ST_Y(ST_StartPoint(s)) - ST_Y(ST_EndPoint(s))) / len,
                                        side * 50 * (ST_X(ST_EndPoint(s)) - ST_X(ST_StartPoint(s))) / len),
                           ST_StartPoint(s)])) AS rect
                FROM seg, (VALUES (1), (-1)) v(side)
                WHERE len BETWEEN 50 AND 140
            )
            SELECT c.id, ST_AsText(ST_Transform(c.rect, 4326))
            FROM cand c, layers_managementarea me, layers_adminarea dist
            WHERE me.id = c.id AND dist.level = 'district' AND ST_Within(ST_Buffer(c.rect, 15), dist.geom_web)
              AND NOT ST_Relate(c.rect, me.geom_web, 'T********')
              AND NOT EXISTS (SELECT 1 FROM layers_managementarea o
                              WHERE o.id <> c.id AND ST_DWithin(o.geom_web, c.rect, 25))
            ORDER BY c.len DESC, c.id
            LIMIT 1
            """
        )
        area_id, wkt = cursor.fetchone()
    coords = [tuple(map(float, p.split())) for p in wkt[len("POLYGON(("):-2].split(",")]
    return {"neighbour": area_id, "corners": coords[:4]}


def mid(a, b, t=0.5):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def versions(area_id):
    return list(ManagementAreaVersion.objects.filter(area_id=area_id).order_by("version").values_list("version", "action"))


# ---- (1) the planner draws, redraws, splits and merges ----

def test_planner_draws_snapped_area_redraws_splits_and_merges(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    spot = empty_side()
    a, b, c, d = spot["corners"]  # a–b: the neighbour's edge; c, d: outside
    centre = mid(mid(a, b), mid(c, d))
    log_in(page, live_server, "planner")
    go_to(page, *centre, zoom=17)
    open_editor(page)
    assert page.locator(".leaflet-pm-toolbar").count() >= 1

    # Draw: the two corners on the neighbour's edge are clicked a few pixels off and snap onto its vertices.
    page.click("[data-action=new-area]")
    click_lonlat(page, *a, dx=4, dy=3)
    click_lonlat(page, *b, dx=-3, dy=4)
    click_lonlat(page, *c)
    click_lonlat(page, *d)
    click_lonlat(page, *a)  # the first corner again closes the shape
    page.screenshot(path=str(ARTIFACTS / "edit-drawn.png"))
    page.wait_for_selector("[data-action=check]")
    check_and_save(page, "新划定的开放式街区管理区域", name="测试新区域", screenshot="edit-save-dialog.png")
    assert "测试新区域" in editor_status(page)

    area = ManagementArea.objects.get(name="测试新区域")
    assert area.version == 1
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT ST_Relate(n.geom, o.geom, 'T********'),
                      ST_Length(ST_Transform(ST_Intersection(ST_Boundary(n.geom), ST_Boundary(o.geom)), 3857)),
                      ST_Touches(n.geom, o.geom)
               FROM layers_managementarea n, layers_managementarea o WHERE n.id = %s AND o.id = %s""",
            [area.pk, spot["neighbour"]],
        )
        interiors_meet, shared, touches = cursor.fetchone()
    assert not interiors_meet
    assert touches and shared > 40, shared  # the whole snapped edge is shared, no gap
    assert versions(area.pk) == [(1, "create")]

    # Redraw: drag an outer corner outward a little, with a reason.
    page.click("[data-action=edit-boundary]")
    page.wait_for_selector("[data-action=undo]")
    # First a bad change: the shared corner pushed into the neighbour. The check shows the overlap in red.
    drag_lonlat(page, b, (b[0] + (b[0] - c[0]) * 0.4, b[1] + (b[1] - c[1]) * 0.4))
    page.wait_for_selector("[data-action=undo]:not([disabled])")
    page.click("[data-action=check]")
    page.wait_for_selector("[data-problems] li[data-kind=overlap]", timeout=15_000)
    assert page.locator("[data-action=clip]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "edit-validation.png"))
    page.click("[data-action=back]")
    page.keyboard.press("Control+z")  # undo the bad change
    page.wait_for_selector("[data-action=undo][disabled]")
    outward = (c[0] + (c[0] - b[0]) * 0.15, c[1] + (c[1] - b[1]) * 0.15)
    drag_lonlat(page, c, outward)
    page.wait_for_selector("[data-action=undo]:not([disabled])")
    # Undo and redo the drag (buttons and keyboard).
    page.click("[data-action=undo]")
    page.wait_for_selector("[data-action=redo]:not([disabled])")
    page.keyboard.press("Control+y")
    page.wait_for_selector("[data-action=undo]:not([disabled])")
    page.screenshot(path=str(ARTIFACTS / "edit-redraw.png"))
    check_and_save(page, "按业主意见扩大范围")
    editor_status(page)
    area.refresh_from_db()
    assert area.version == 2
    assert versions(area.pk)[-1] == (2, "redraw")
    assert ManagementAreaVersion.objects.get(area=area, version=2).reason == "按业主意见扩大范围"

    # Split along a line across the middle (parallel to the shared edge), beyond both sides.
    reload_areas(page)
    page.click("[data-action=split]")
    start = mid(mid(a, d), mid(b, c), -0.25)
    end = mid(mid(a, d), mid(b, c), 1.25)
    click_lonlat(page, *start)
    click_lonlat(page, *end)
    click_lonlat(page, *end)  # the last point again finishes the line
    page.fill("[data-field=reason]", "分为两个物业服务区域")
    page.screenshot(path=str(ARTIFACTS / "edit-split.png"))
    page.click("[data-action=confirm-split]")
    editor_status(page)
    area.refresh_from_db()
    assert area.version == 3
    assert versions(area.pk)[-1] == (3, "split")
    others = ManagementArea.objects.exclude(pk=area.pk).filter(versions__action="split").distinct()
    created = [o for o in others if o.geom.intersects(area.geom.buffer(1e-6))]
    assert len(created) == 1
    part = created[0]
    assert versions(part.pk)[0][1] in ("split", "create")

    # Merge the two parts back: select the kept one (selected already), pick the other on the map.
    reload_areas(page)
    page.click("[data-action=merge]")
    point = part.geom.point_on_surface
    click_lonlat(page, point.x, point.y)
    page.wait_for_selector("[data-action=confirm-merge]")
    page.fill("[data-field=reason]", "合并回原区域")
    page.click("[data-action=confirm-merge]")
    editor_status(page)
    area.refresh_from_db()
    assert area.version == 4
    assert versions(area.pk)[-1] == (4, "merge")
    assert not ManagementArea.objects.filter(pk=part.pk).exists()

    # The history lists the versions; choosing one draws it dashed.
    page.click("[data-action=history]")
    page.wait_for_selector(".history__item[data-version='1']")
    page.click(".history__item[data-version='1']")
    page.wait_for_selector("[data-action=restore]")
    page.screenshot(path=str(ARTIFACTS / "edit-history.png"))

    # Restoring version 1 makes it the current boundary as version 5; nothing is erased.
    page.fill("[data-field=restore-reason]", "恢复最初划定的边界")
    page.click("[data-action=restore]")
    first = ManagementAreaVersion.objects.get(area_id=area.pk, version=1)
    for _ in range(50):
        area.refresh_from_db()
        if area.version == 5:
            break
        page.wait_for_timeout(100)
    assert area.version == 5 and versions(area.pk)[-1] == (5, "restore")
    assert area.geom.equals_exact(first.geom_after, 1e-9)
    assert [v for v, _ in versions(area.pk)] == [1, 2, 3, 4, 5]
    assert page.errors == []


# ---- (2) two planners save the same area: the second gets the conflict view ----

def area_vertices(area):
    """The area's outer ring (lon/lat) and a point inside it."""
    ring = list(area.geom[0][0].coords)[:-1]
    inside = area.geom.point_on_surface
    return ring, (inside.x, inside.y)


def editors(browser, live_server, area, inside, timezone_id):
    """Two planners editing the same area in their own browser contexts (a time zone other than the district's)."""
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", timezone_id=timezone_id)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda msg, p=page: p.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc, p=page: p.errors.append(str(exc)))
        log_in(page, live_server, "planner")
        go_to(page, *inside, zoom=17)
        open_editor(page)
        click_lonlat(page, *inside)
        page.click("[data-action=edit-boundary]")
        page.wait_for_selector("[data-action=undo]")
        pages.append(page)
    return pages


def pull_inward(page, vertex, inside, t=0.12):
    drag_lonlat(page, vertex, mid(vertex, inside, t))
    page.wait_for_selector("[data-action=undo]:not([disabled])")


def corners_of(geom):
    """Every corner of a (Multi)Polygon, lon/lat (a ring's closing position not twice)."""
    polygons = [geom] if geom.geom_type == "Polygon" else list(geom)
    return [c for polygon in polygons for ring in polygon for c in ring.coords[:-1]]


def moved_corner(before, after):
    """The one corner of `after` that is not a corner of `before`."""
    new = [c for c in corners_of(after) if not has_corner(before, c)]
    assert len(new) == 1, new
    return new[0]


def has_corner(geom, point, tol=1e-7):
    return any(abs(c[0] - point[0]) <= tol and abs(c[1] - point[1]) <= tol for c in corners_of(geom))


def shanghai_saved(area, version):
    """The wording of "saved at … by …" for a version, in the district's time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo
    row = ManagementAreaVersion.objects.get(area=area, version=version)
    return f"{row.changed_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M} 由 planner 保存"


def one_part_area():
    from django.contrib.gis.db.models.functions import NumGeometries
    return ManagementArea.objects.annotate(parts=NumGeometries("geom")).filter(parts=1).order_by("id").first()


def conflict_after_second_save(first, second, area, start_version, first_corner, second_corner, inside, t2=0.12):
    """The first planner moves one corner and saves; the second moves another (or the same) and gets the conflict."""
    pull_inward(first, first_corner, inside)
    check_and_save(first, "第一位规划员的修改")
    editor_status(first)
    area.refresh_from_db()
    assert area.version == start_version + 1
    pull_inward(second, second_corner, inside, t2)
    mine = second.evaluate("() => window.geoappEditor.geometry()")
    check_and_save(second, "第二位规划员的修改")
    second.locator("[data-conflict]").wait_for(timeout=15_000)
    return mine


def save_rebased(page):
    page.click("[data-action=accept-rebase]")
    page.wait_for_selector("[data-action=save], [data-problems]", timeout=15_000)
    if page.locator("[data-problems]").count():
        page.click("[data-action=clip]")
        page.wait_for_selector("[data-action=save]", timeout=15_000)
    assert page.input_value("[data-field=reason]") == "第二位规划员的修改"
    page.click("[data-action=save]")
    editor_status(page)


def test_reapply_keeps_both_changes_and_times_are_shanghai(browser, live_server, demo_city):
    """Different corners: my corner goes onto their boundary, theirs stays; times show in Asia/Shanghai both in the
    conflict box and in the history, with the same words, though the browser is in New York."""
    from django.contrib.gis.geos import GEOSGeometry
    ARTIFACTS.mkdir(exist_ok=True)
    area = one_part_area()
    start_version, base = area.version, area.geom
    ring, inside = area_vertices(area)
    first, second = editors(browser, live_server, area, inside, "America/New_York")
    mine = conflict_after_second_save(first, second, area, start_version, ring[0], ring[len(ring) // 2], inside)

    saved_words = shanghai_saved(area, start_version + 1)
    detail = second.locator("[data-conflict-detail]").inner_text()
    assert saved_words in detail, (saved_words, detail)
    assert str(start_version + 1) in detail

    second.click("[data-action=reapply-mine]")
    second.wait_for_selector("[data-rebase]", timeout=15_000)
    assert second.locator("[data-place]").count() == 0
    overwrite = second.locator("[data-action=overwrite-theirs]").inner_text()
    assert "覆盖" in overwrite and "1 个拐点" in overwrite, overwrite
    second.screenshot(path=str(ARTIFACTS / "edit-rebase.png"))
    # Nothing is saved before the planner confirms the result.
    area.refresh_from_db()
    assert area.version == start_version + 1
    theirs = area.geom
    save_rebased(second)

    area.refresh_from_db()
    assert area.version == start_version + 2
    row = ManagementAreaVersion.objects.get(area=area, version=start_version + 2)
    assert row.reason == "第二位规划员的修改"
    their_corner = moved_corner(base, theirs)
    my_corner = moved_corner(base, GEOSGeometry(json.dumps(mine)))
    assert has_corner(area.geom, their_corner), "their corner move was lost"
    assert has_corner(area.geom, my_corner), "my corner move was not applied"
    assert not has_corner(area.geom, ring[0]) and not has_corner(area.geom, ring[len(ring) // 2])

    # The history says the same words, in the same time zone.
    second.click("[data-action=history]")
    item = second.locator(f".history__item[data-version='{start_version + 1}'] .history__meta")
    item.wait_for(timeout=15_000)
    assert item.inner_text().strip() == saved_words
    second.screenshot(path=str(ARTIFACTS / "edit-history-shanghai.png"))
    assert first.errors == []
    assert [e for e in second.errors if not REFUSED.search(e)] == []
    for page in (first, second):
        page.context.close()


def test_reapply_same_corner_asks_and_keeps_the_choice(browser, live_server, demo_city):
    """Both moved the same corner: the planner is asked at that place, chooses theirs or mine, and the saved
    boundary has the chosen corner."""
    from django.contrib.gis.geos import GEOSGeometry
    area = one_part_area()
    start_version, base = area.version, area.geom
    ring, inside = area_vertices(area)
    first, second = editors(browser, live_server, area, inside, "Europe/London")
    mine = conflict_after_second_save(first, second, area, start_version, ring[0], ring[0], inside, t2=0.3)
    area.refresh_from_db()
    theirs = area.geom

    second.click("[data-action=reapply-mine]")
    second.wait_for_selector("[data-rebase]", timeout=15_000)
    places = second.locator("[data-place]")
    assert places.count() == 1
    assert second.locator("[data-action=accept-rebase]").is_disabled()
    places.first.locator("[data-choice=mine]").click()
    # The server answers the merge with that choice: nothing is left to choose.
    second.wait_for_selector("[data-action=accept-rebase]:not([disabled])", timeout=15_000)
    assert second.locator("[data-place] [data-choice=mine][aria-pressed=true]").count() == 1
    second.screenshot(path=str(ARTIFACTS / "edit-rebase-choice.png"))
    save_rebased(second)

    area.refresh_from_db()
    assert area.version == start_version + 2
    my_corner = moved_corner(base, GEOSGeometry(json.dumps(mine)))
    their_corner = moved_corner(base, theirs)
    assert has_corner(area.geom, my_corner) and not has_corner(area.geom, their_corner)
    assert [e for e in second.errors if not REFUSED.search(e)] == []
    for page in (first, second):
        page.context.close()


# ---- (3) a street office reports abandoned buildings, in its street only ----

def tiny_png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xb3\x26\x1e")) + chunk(b"IEND", b""))


def building_in(street, inside: bool):
    lookup = {"estate__community__parent": street}
    qs = Building.objects.filter(abandonment="none", abandonment_reports__isnull=True)
    qs = qs.filter(**lookup) if inside else qs.exclude(**lookup)
    # A large building is easy to click.
    from django.contrib.gis.db.models.functions import Area
    return qs.annotate(size=Area("geom")).order_by("-size", "id").first()


def open_building_popup(page, building):
    point = building.geom.point_on_surface
    go_to(page, point.x, point.y, zoom=18)
    page.wait_for_function("() => document.querySelectorAll('.leaflet-geoapp-buildings-pane path').length > 0", timeout=15_000)
    page.wait_for_load_state("networkidle")
    click_lonlat(page, point.x, point.y)
    page.locator(".leaflet-popup .popup__title").wait_for(timeout=10_000)


def test_street_office_reports_abandoned_building(page, live_server, demo_city):
    from layers.models import UserProfile

    ARTIFACTS.mkdir(exist_ok=True)
    profile = UserProfile.objects.filter(role="street_office").select_related("street", "user").order_by("user__username").first()
    mine, theirs = building_in(profile.street, True), building_in(profile.street, False)
    log_in(page, live_server, profile.user.username)
    assert page.locator(".leaflet-pm-toolbar").count() == 0
    assert page.locator("[data-action=open-editor]").count() == 0

    open_building_popup(page, mine)
    page.click(".leaflet-popup [data-action=mark-abandoned]")
    page.wait_for_selector("dialog.report-dialog[open]")
    assert page.input_value("#report-since") == page.evaluate("JSON.parse(document.getElementById('map-config').textContent).today")
    page.select_option("#report-reason", "enterprise_left")
    page.fill("#report-description", "原物业公司于去年撤场，无人管理。")
    page.set_input_files("#report-photos", files=[{"name": "楼栋.png", "mimeType": "image/png", "buffer": tiny_png()}])
    page.screenshot(path=str(ARTIFACTS / "report-form.png"))
    page.click(".report__form button[type=submit]")
    page.wait_for_selector(".report__status--ok", timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "report-sent.png"))
    report = AbandonmentReport.objects.get(building=mine)
    assert report.reason == "enterprise_left" and report.state == "reported"
    mine.refresh_from_db()
    assert mine.abandonment == "reported"
    page.click(".report__form .btn-secondary")

    # Another street's building: the popup offers no report (can_report), and a report sent anyway is refused
    # by the server with a message in the page's language; nothing is stored.
    open_building_popup(page, theirs)
    assert page.locator(".leaflet-popup [data-action=mark-abandoned]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "report-refused.png"))
    refusal = page.evaluate("""async (id) => {
        const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")).split("=")[1];
        const body = new FormData();
        body.append("abandoned_since", "2024-03-01");
        body.append("reason", "other");
        const response = await fetch(`/api/buildings/${id}/abandonment-reports/`,
                                     {method: "POST", body, headers: {"X-CSRFToken": token}, credentials: "same-origin"});
        return [response.status, (await response.json()).error];
    }""", theirs.pk)
    assert refusal[0] == 404 and refusal[1].strip(), refusal
    assert not AbandonmentReport.objects.filter(building=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.abandonment == "none"
    assert [e for e in page.errors if not REFUSED.search(e)] == []


# ---- (4) an official sees no tools ----

def test_official_sees_no_editing_tools(page, live_server, demo_city):
    log_in(page, live_server, "official")
    assert page.locator("[data-nav=map]").count() == 1
    assert page.locator("[data-nav=abandonment]").count() == 1
    assert page.locator("[data-nav=admin]").count() == 0
    assert page.locator(".leaflet-pm-toolbar").count() == 0
    assert page.locator("[data-action=open-editor]").count() == 0
    assert page.evaluate("() => typeof window.L.PM") == "undefined"
    building = Building.objects.order_by("id").first()
    open_building_popup(page, building)
    assert page.locator("[data-action=mark-abandoned]").count() == 0
    assert page.errors == []


# ---- (5) the planner verifies a street office's report on the reports page ----

def test_planner_verifies_a_report(page, live_server, demo_city):
    report = AbandonmentReport.objects.filter(state="reported").order_by("-created_at", "-id").first()
    assert report is not None, "the demo city has open reports"
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/abandonment/?state=reported")
    row = page.locator("tr", has=page.locator(f"form[action='/abandonment/{report.pk}/decide/']"))
    row.locator("input[name=note]").fill("现场核实无物业管理")
    row.locator("button[name=to][value=verified]").click()
    page.wait_for_load_state("networkidle")
    report.refresh_from_db()
    assert report.state == "verified"
    assert Building.objects.get(pk=report.building_id).abandonment == "verified"
    assert report.events.last().note == "现场核实无物业管理"
    assert f"{report.pk}" in page.inner_text(".messages, .message, body")
    page.screenshot(path=str(ARTIFACTS / "report-verified.png"))
    assert page.errors == []
