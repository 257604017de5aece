"""The phone app's Inspect and Complaints tabs in a phone browser (Android and iPhone profiles, mocked position): a
street office offline marks two buildings and inspects an estate, and the server holds exactly those three records
once each although every first answer is lost; a community handles a complaint on site (sign, reply with a photo,
check, the resident's rating, close) and sees a case closed meanwhile as a conflict in the outbox; an enterprise sees
its complaints only and answers one on site."""
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import (AbandonmentEvent, AbandonmentReport, Building, Complaint, ComplaintAttachment,
                           ComplaintEvent, IdempotentRequest, Inspection, InspectionPhoto, ProviderKind, Role,
                           ServiceContract, UserProfile)
from layers.services.complaint_steps import complaint_step
from layers.services.complaints import complaint_create

from .browser_helpers import PASSWORD
from .test_mobile_browser import ANDROID, ARTIFACTS, IPHONE, a_jpeg, lonlat, mark, outbox_states, phone, \
    street_and_buildings

pytestmark = pytest.mark.django_db(transaction=True)


def is_outbox_write(url: str) -> bool:
    return "/abandonment-reports/" in url or url.endswith("/api/inspections/") or url.endswith("/steps/")


def all_sent(page) -> bool:
    return page.evaluate("() => { const li = [...document.querySelectorAll('#m-outbox li')];"
                         " return li.length > 0 && li.every((e) => e.dataset.state === 'sent'); }")


def inspect_nearest(page, photo):
    page.click("nav.m-tabs button[data-tab=inspect]")
    page.wait_for_selector("#m-insp-items li")
    assert page.input_value("#m-insp-estate") != ""  # the nearest estate is chosen from the phone's position
    first = page.eval_on_selector("#m-insp-items li", "e => e.dataset.item")
    page.fill(f"#m-insp-score-{first}", "3")
    page.fill(f"#m-insp-inote-{first}", "楼道堆放杂物")
    page.set_input_files(f"#m-insp-photo-{first}", files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg",
                                                           "buffer": photo}])
    page.wait_for_selector(f"li[data-item='{first}'] .m-photos li")
    page.set_input_files("#m-insp-photos", files=[{"name": "IMG_0003.jpg", "mimeType": "image/jpeg",
                                                   "buffer": photo}])
    page.wait_for_selector("#m-insp-photo-list li")
    estate = int(page.input_value("#m-insp-estate"))
    page.click("#m-insp-submit")
    page.wait_for_function("() => document.getElementById('m-insp-message').textContent.length > 0")
    return estate, int(first)


@pytest.mark.parametrize("device", [ANDROID, IPHONE], ids=["android", "iphone"])
def test_offline_marks_and_an_inspection_reach_the_server_once_each_although_every_first_answer_is_lost(
        browser, live_server, demo_city, device):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()
    street, buildings = street_and_buildings()
    username = f"street-{street.code}"
    context, page = phone(browser, live_server, device, username, lonlat(buildings[0]))
    name = "android" if device is ANDROID else "iphone"
    # Online once: the checklist and the street's estates are kept on the phone.
    page.wait_for_function("() => !!localStorage.getItem('geoapp-m-checklist')")
    inspections_before = Inspection.objects.count()
    photo = a_jpeg(page)

    context.set_offline(True)
    mark(page, 0, photo)
    mark(page, 1, photo)
    estate_id, item_id = inspect_nearest(page, photo)
    page.screenshot(path=str(ARTIFACTS / f"m-inspect-{name}.png"), full_page=True)
    if device is IPHONE:  # the tab as a 390×844 phone shows it
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "m-inspect-390x844.png"))
    assert outbox_states(page) == ["waiting", "waiting", "waiting"]
    page.screenshot(path=str(ARTIFACTS / f"m-outbox-three-{name}.png"))
    assert AbandonmentReport.objects.count() == 0 and Inspection.objects.count() == inspections_before

    answers: dict[str, list] = {}

    def drop_first_answer(route):
        key = route.request.headers.get("idempotency-key")
        response = route.fetch()  # the server handles the request …
        answers.setdefault(key, []).append((response.status, response.headers.get("idempotent-replayed")))
        if len(answers[key]) == 1:
            route.abort("connectionreset")  # … and the phone never hears back the first time
        else:
            route.fulfill(response=response)

    page.route(is_outbox_write, drop_first_answer)
    context.set_offline(False)
    for _attempt in range(8):
        if all_sent(page):
            break
        page.wait_for_timeout(1500)
        page.click("#m-sync")
    page.wait_for_function("() => [...document.querySelectorAll('#m-outbox li')].every(li => li.dataset.state === "
                           "'sent')", timeout=15000)
    page.screenshot(path=str(ARTIFACTS / f"m-outbox-three-sent-{name}.png"))
    # Every record was handled once and replayed once: three keys, each 201 then the stored 201.
    assert sorted(answers.values()) == [[(201, None), (201, "true")]] * 3

    assert AbandonmentReport.objects.count() == 2
    inspections = Inspection.objects.filter(estate_id=estate_id).order_by("-pk")
    assert Inspection.objects.count() == inspections_before + 1
    inspection = inspections.first()
    user = User.objects.get(username=username)
    assert inspection.inspector == user and inspection.accuracy_m == 8 and inspection.location is not None
    score = inspection.scores.get(item_id=item_id)
    assert score.score == 3 and score.note == "楼道堆放杂物"
    assert inspection.total_score == 3 + sum(s.item.max_score for s in inspection.scores.exclude(item_id=item_id))
    assert set(InspectionPhoto.objects.filter(inspection=inspection).values_list("item_id", flat=True)) == {item_id,
                                                                                                           None}
    # Each photo keeps where the phone was when it was taken (the mocked position), though the resized copy has no
    # EXIF (docs/MOBILE.md "Photos").
    for photo in InspectionPhoto.objects.filter(inspection=inspection):
        assert photo.location is not None and photo.location.distance(inspection.location) < 1e-6
    assert IdempotentRequest.objects.filter(user=user).count() == 3
    assert not page.errors
    context.close()


def make_user(name, role, **area):
    user = User.objects.create_user(name, password=PASSWORD)
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def caretaker_estate():
    """An estate no enterprise serves: its community answers the complaint itself (services.complaint_steps
    "provider")."""
    served = ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True)
    return (Building.objects.exclude(estate__in=served.values("estate")).select_related("estate__community")
            .order_by("code").first())


def test_a_community_handles_a_complaint_on_site_and_sees_a_case_closed_meanwhile(browser, live_server, demo_city):
    Complaint.objects.all().delete()
    building = caretaker_estate()
    estate = building.estate
    worker = make_user("cw-phone", Role.COMMUNITY, community=estate.community)
    case = complaint_create(user=worker, channel="visit", received_at=timezone.now(), caller_words="单元门锁坏了，无法关闭",
                            estate_id=estate.pk)
    other = complaint_create(user=worker, channel="visit", received_at=timezone.now(), caller_words="路灯不亮",
                             estate_id=estate.pk)
    context, page = phone(browser, live_server, IPHONE, "cw-phone", lonlat(building))
    page.click("nav.m-tabs button[data-tab=complaints]")
    page.wait_for_selector(f"#m-cases li[data-case='{case.pk}']")
    assert "单元门锁坏了" in page.inner_text(f"#m-cases li[data-case='{case.pk}']")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "m-complaints-390x844.png"))
    photo = a_jpeg(page)

    def take(pk, kind, note="", rating="", photo_bytes=None):
        card = f"#m-cases li[data-case='{pk}']"
        page.click(f"{card} .m-actions button[data-step={kind}]")
        form = f"{card} form.m-step[data-step={kind}]"
        page.wait_for_selector(form)
        if rating:
            page.select_option(f"{form} .m-case-rating", rating)
        if note:
            page.fill(f"{form} .m-case-note", note)
        if photo_bytes:
            page.set_input_files(f"{form} .m-case-photos", files=[{"name": "IMG_0009.jpg", "mimeType": "image/jpeg",
                                                                   "buffer": photo_bytes}])
            page.wait_for_selector(f"{form} .m-photos li")
        page.click(f"{form} button[type=submit]")

    def wait_sent(n):
        page.wait_for_function(f"() => document.querySelectorAll('#m-outbox li[data-state=sent]').length >= {n}",
                               timeout=15000)

    def steps_shown(pk, kinds):
        """The case's card offers these steps (among others: a check may be repeated)."""
        page.click("nav.m-tabs button[data-tab=complaints]")
        page.wait_for_function(
            "([pk, kinds]) => { const b = [...document.querySelectorAll(`#m-cases li[data-case='${pk}'] "
            ".m-actions button`)].map(e => e.dataset.step); return kinds.every((k) => b.includes(k)); }",
            arg=[pk, kinds], timeout=15000)

    take(case.pk, "signed")
    wait_sent(1)
    steps_shown(case.pk, ["replied"])
    take(case.pk, "replied", note="已更换门锁，单元门可正常关闭", photo_bytes=photo)
    wait_sent(2)
    steps_shown(case.pk, ["checked"])
    take(case.pk, "checked", note="现场核查：门锁已换", photo_bytes=photo)
    page.screenshot(path=str(ARTIFACTS / "m-complaint-step-390x844.png"))
    wait_sent(3)
    steps_shown(case.pk, ["rated"])
    take(case.pk, "rated", rating="basically", note="居民认为维修较慢")
    wait_sent(4)
    take(case.pk, "closed")
    wait_sent(5)
    page.click("nav.m-tabs button[data-tab=complaints]")
    page.wait_for_function(f"() => !document.querySelector(\"#m-cases li[data-case='{case.pk}']\")", timeout=15000)

    case.refresh_from_db()
    assert case.status == "closed" and case.rating == "basically"
    kinds = list(ComplaintEvent.objects.filter(complaint=case).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["received", "signed", "replied", "checked", "rated", "closed"]
    assert ComplaintAttachment.objects.filter(event__complaint=case).count() == 2
    assert ComplaintEvent.objects.get(complaint=case, kind="replied").user == worker

    # The other case: signed, then closed at the desk while the phone has no signal; the phone's note answers 409.
    take(other.pk, "signed")
    wait_sent(6)
    complaint_step(user=worker, complaint_id=other.pk, kind="replied", note="已修复")
    page.click("#m-cases-refresh")
    steps_shown(other.pk, ["checked"])
    context.set_offline(True)
    take(other.pk, "checked", note="复查：路灯已亮")
    complaint_step(user=worker, complaint_id=other.pk, kind="checked", note="已核查")
    complaint_step(user=worker, complaint_id=other.pk, kind="rated", rating="satisfied")
    complaint_step(user=worker, complaint_id=other.pk, kind="closed")
    context.set_offline(False)
    page.click("nav.m-tabs button[data-tab=outbox]")
    page.wait_for_selector("#m-outbox li[data-state=conflict]", timeout=15000)
    assert "已办结" in page.inner_text("#m-outbox li[data-state=conflict] .m-error")
    assert "冲突" in page.inner_text("#m-outbox li[data-state=conflict] .m-state")
    page.screenshot(path=str(ARTIFACTS / "m-complaint-conflict-390x844.png"))
    assert ComplaintEvent.objects.filter(complaint=other, kind="checked").count() == 1
    assert not page.errors
    context.close()


def served_building():
    """A building of an estate an enterprise serves now, and that enterprise."""
    contract = (ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True,
                                               estate__buildings__isnull=False)
                .select_related("estate__community", "enterprise").order_by("pk").first())
    return contract.estate.buildings.order_by("code").first(), contract.enterprise


def test_an_enterprise_answers_its_complaint_on_the_phone_and_sees_nothing_else(browser, live_server, demo_city):
    Complaint.objects.all().delete()
    building, enterprise = served_building()
    estate = building.estate
    worker = make_user("cw-desk", Role.COMMUNITY, community=estate.community)
    staff = make_user("ent-phone", Role.ENTERPRISE, enterprise=enterprise)
    case = complaint_create(user=worker, channel="visit", received_at=timezone.now(), caller_words="楼道灯坏了",
                            estate_id=estate.pk)
    lon, lat = lonlat(building)
    context = browser.new_context(**ANDROID, locale="zh-CN", geolocation={"longitude": lon, "latitude": lat,
                                  "accuracy": 8}, permissions=["geolocation"], service_workers="block")
    page = context.new_page()
    page.errors, asked = [], []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{live_server.url}/accounts/login/?next=/m/")
    page.fill("#id_username", "ent-phone")
    page.fill("#id_password", PASSWORD)
    page.click(".login__form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/")

    # Its complaints and its outbox: no map, no buildings, no inspections, no offline map.
    assert page.eval_on_selector_all("nav.m-tabs button", "bs => bs.map((b) => b.dataset.tab)") == ["outbox", "complaints"]
    page.wait_for_selector(f"#m-cases li[data-case='{case.pk}']")
    assert page.is_visible("#tab-complaints") and not page.is_visible("#tab-near")
    assert "楼道灯坏了" in page.inner_text(f"#m-cases li[data-case='{case.pk}']")

    card = f"#m-cases li[data-case='{case.pk}']"
    page.click(f"{card} .m-actions button[data-step=signed]")
    page.click(f"{card} form.m-step[data-step=signed] button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#m-outbox li[data-state=sent]').length >= 1", timeout=15000)
    page.click("nav.m-tabs button[data-tab=complaints]")
    page.wait_for_selector(f"{card} .m-actions button[data-step=replied]", timeout=15000)
    page.click(f"{card} .m-actions button[data-step=replied]")
    form = f"{card} form.m-step[data-step=replied]"
    page.fill(f"{form} .m-case-note", "已更换楼道灯泡")
    page.set_input_files(f"{form} .m-case-photos", files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg",
                                                           "buffer": a_jpeg(page)}])
    page.wait_for_selector(f"{form} .m-photos li")
    page.click(f"{form} button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#m-outbox li[data-state=sent]').length >= 2", timeout=15000)
    page.screenshot(path=str(ARTIFACTS / "m-enterprise-android.png"))

    case.refresh_from_db()
    assert case.status == "replied"
    reply = ComplaintEvent.objects.get(complaint=case, kind="replied")
    assert reply.user == staff and reply.note == "已更换楼道灯泡"
    attachment = ComplaintAttachment.objects.get(event=reply)
    # Taken here and now: the phone's position and time travel beside the resized photo.
    assert attachment.location is not None and abs(attachment.location.x - lon) < 1e-5 \
        and abs(attachment.location.y - lat) < 1e-5
    assert attachment.taken_at is not None and abs((timezone.now() - attachment.taken_at).total_seconds()) < 600
    assert not [url for url in asked if "/m/nearby/" in url or "/tiles/" in url or "/m/checklist/" in url]
    assert not page.errors, page.errors
    # The parts it has no tab for answer 403 all the same.
    assert context.request.get(f"{live_server.url}/m/nearby/?lon={lon}&lat={lat}").status == 403
    assert context.request.get(f"{live_server.url}/m/checklist/").status == 403
    context.close()
