"""Daily inspections: scores within the checklist, photos recognised by their bytes, the inspector's area, the
provider of the day and the figures the annual evaluation reads (DOMAIN.md "Supervision")."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.models import (
    Checklist,
    Estate,
    Inspection,
    InspectionPhoto,
    InspectionScore,
    ProviderKind,
    Role,
    ServiceContract,
    UserProfile,
)
from layers.permissions import VIEW, restrict
from django.core.exceptions import PermissionDenied
from django.http import Http404
from layers.refusals import Invalid
from layers.selectors.inspections import inspection_scores, street_inspection_scores
from layers.services.inspections import DEFAULT_ITEMS, checklist_save, ensure_default_checklist, inspection_record

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def make_user(name, role, **area):
    user = User.objects.create_user(name, password="x")
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def enterprise_estate():
    contract = (ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True)
                .select_related("estate__community__parent__parent").order_by("pk").first())
    return contract.estate, contract.enterprise


def full_marks(checklist, **overrides):
    return {item.pk: overrides.get(item.name, item.max_score) for item in checklist.items.all()}


def test_a_street_office_inspects_an_estate_of_its_street_with_the_district_checklist():
    estate, enterprise = enterprise_estate()
    street = estate.community.parent
    checklist = ensure_default_checklist(street.parent)
    assert [i.name for i in checklist.items.all()] == [name for name, _p, _g in DEFAULT_ITEMS]
    office = make_user("so", Role.STREET_OFFICE, street=street)
    photo = SimpleUploadedFile("fire.png", PNG, content_type="image/png")
    fire = checklist.items.get(name="消防通道")
    inspection = inspection_record(
        user=office, estate_id=estate.pk, scores=full_marks(checklist, 消防通道=5, 保洁=10),
        photos=[(photo, fire.pk)], location=Point(estate.geom.centroid.x, estate.geom.centroid.y, srid=4326),
        accuracy_m=12.5, note="楼道堆物")
    inspection.refresh_from_db()
    assert inspection.max_score == 100 and inspection.total_score == 100 - 10 - 5
    assert (inspection.street, inspection.community) == (street, estate.community)
    assert inspection.enterprise == enterprise and inspection.provider_kind == ProviderKind.ENTERPRISE
    assert inspection.inspected_on == timezone.localdate() and inspection.accuracy_m == 12.5
    assert InspectionScore.objects.filter(inspection=inspection).count() == len(DEFAULT_ITEMS)
    stored = InspectionPhoto.objects.get(inspection=inspection)
    assert stored.item == fire and stored.content_type == "image/png" and stored.size == len(PNG)
    # The enterprise serving it does not read it (DOMAIN.md "Who uses it": its complaints, nothing else); another
    # street's office does not either.
    assert not restrict(Inspection.objects.all(), make_user("ent", Role.ENTERPRISE, enterprise=enterprise),
                        VIEW).filter(pk=inspection.pk).exists()
    other = type(street).objects.filter(level="street", parent=street.parent).exclude(pk=street.pk).first()
    assert not restrict(Inspection.objects.all(), make_user("so2", Role.STREET_OFFICE, street=other), VIEW).filter(
        pk=inspection.pk).exists()
    figures = inspection_scores(year=inspection.inspected_on.year, district=street.parent)
    mine = Inspection.objects.filter(enterprise=enterprise, inspected_on__year=inspection.inspected_on.year,
                                     street__parent=street.parent)
    assert figures[enterprise.pk]["count"] == mine.count()
    expected = sum(100 * i.total_score / i.max_score for i in mine) / mine.count()
    assert figures[enterprise.pk]["average_pct"] == round(expected, 1)
    assert street_inspection_scores(year=inspection.inspected_on.year, district=street.parent)[street.pk]["count"] \
        >= 1


def test_scores_are_bounded_by_the_items_and_every_item_is_scored():
    estate, _enterprise = enterprise_estate()
    checklist = ensure_default_checklist(estate.community.parent.parent)
    office = make_user("so", Role.STREET_OFFICE, street=estate.community.parent)
    before = Inspection.objects.count()
    with pytest.raises(Invalid, match="消防通道"):
        inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist, 消防通道=16))
    with pytest.raises(Invalid):
        inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist, 保洁=-1))
    scores = full_marks(checklist)
    scores.pop(checklist.items.first().pk)
    with pytest.raises(Invalid, match="保洁"):
        inspection_record(user=office, estate_id=estate.pk, scores=scores)
    with pytest.raises(Invalid):
        inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist),
                          inspected_on=timezone.localdate() + datetime.timedelta(days=1))
    assert Inspection.objects.count() == before
    # The database holds the rule too: a score above the item's maximum is refused by the trigger.
    inspection = inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist))
    row = InspectionScore.objects.filter(inspection=inspection).first()
    row.score = row.item.max_score + 1
    with transaction.atomic(), pytest.raises(IntegrityError):
        row.save()
    # …and the estate's street and community are kept on the inspection whatever a writer sends.
    other = type(inspection.street).objects.filter(level="street").exclude(pk=inspection.street_id).first()
    Inspection.objects.filter(pk=inspection.pk).update(street=other)
    inspection.refresh_from_db()
    assert inspection.street == estate.community.parent
    with transaction.atomic(), pytest.raises(IntegrityError):
        Inspection.objects.filter(pk=inspection.pk).update(
            inspected_on=timezone.localdate() + datetime.timedelta(days=3))  # beyond any time zone


def test_photos_are_recognised_by_their_bytes():
    estate, _enterprise = enterprise_estate()
    checklist = ensure_default_checklist(estate.community.parent.parent)
    office = make_user("so", Role.STREET_OFFICE, street=estate.community.parent)
    before = (Inspection.objects.count(), InspectionPhoto.objects.count())
    fake = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    with pytest.raises(Invalid, match="photo.jpg"):
        inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist), photos=[fake])
    empty = SimpleUploadedFile("empty.png", b"", content_type="image/png")
    with pytest.raises(Invalid):
        inspection_record(user=office, estate_id=estate.pk, scores=full_marks(checklist), photos=[empty])
    assert (Inspection.objects.count(), InspectionPhoto.objects.count()) == before


def test_refusals_by_role_and_area():
    estate, enterprise = enterprise_estate()
    checklist = ensure_default_checklist(estate.community.parent.parent)
    street = estate.community.parent
    elsewhere = Estate.objects.filter(community__parent__parent=street.parent).exclude(
        community__parent=street).first()
    office = make_user("so", Role.STREET_OFFICE, street=street)
    with pytest.raises(Http404):
        inspection_record(user=office, estate_id=elsewhere.pk, scores=full_marks(checklist))
    community_worker = make_user("cw", Role.COMMUNITY, community=estate.community)
    assert inspection_record(user=community_worker, estate_id=estate.pk, scores=full_marks(checklist)).pk
    other_community = Estate.objects.filter(community__parent=street).exclude(community=estate.community).first()
    if other_community is not None:
        with pytest.raises(Http404):
            inspection_record(user=community_worker, estate_id=other_community.pk, scores=full_marks(checklist))
    for name, role, area in [("off", Role.OFFICIAL, {"district": street.parent}),
                             ("ent", Role.ENTERPRISE, {"enterprise": enterprise})]:
        with pytest.raises(PermissionDenied):
            inspection_record(user=make_user(name, role, **area), estate_id=estate.pk, scores=full_marks(checklist))
        with pytest.raises(PermissionDenied):
            checklist_save(user=User.objects.get(username=name), items=[{"name": "保洁", "max_score": 10}])


def test_the_district_replaces_its_checklist_and_old_inspections_keep_theirs():
    estate, _enterprise = enterprise_estate()
    district = estate.community.parent.parent
    old = ensure_default_checklist(district)
    office = make_user("so", Role.STREET_OFFICE, street=estate.community.parent)
    first = inspection_record(user=office, estate_id=estate.pk, scores=full_marks(old))
    planner = make_user("pl", Role.PLANNER, district=district)
    with pytest.raises(Invalid):
        checklist_save(user=planner, items=[{"name": "保洁", "max_score": 0}])
    new = checklist_save(user=planner, name="简表", items=[{"name": "保洁", "max_score": 40, "guidance": "干净"},
                                                           {"name": "", "max_score": ""},
                                                           {"name": "消防通道", "max_score": 60}])
    assert Checklist.objects.get(pk=old.pk).active is False and new.active
    assert [(i.name, i.max_score) for i in new.items.all()] == [("保洁", 40), ("消防通道", 60)]
    second = inspection_record(user=office, estate_id=estate.pk, scores={i.pk: 30 for i in new.items.all()})
    assert second.checklist == new and second.total_score == 60 and second.max_score == 100
    first.refresh_from_db()
    assert first.checklist == old and first.scores.count() == len(DEFAULT_ITEMS)
    # An item of the old checklist cannot be scored on the new inspection (trigger).
    with transaction.atomic(), pytest.raises(IntegrityError):
        InspectionScore.objects.create(inspection=second, item=old.items.first(), score=1)

