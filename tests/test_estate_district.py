"""Estate.district is kept by the database (migration 0021): its community's parent's parent, whatever writes."""
import pytest
from django.db import connection

from layers.models import AdminArea, AdminLevel, Estate, Role
from layers.permissions import VIEW, restrict_role

from . import factories as f

pytestmark = pytest.mark.django_db


def stored_district(estate: Estate) -> int | None:
    return Estate.objects.filter(pk=estate.pk).values_list("district_id", flat=True).get()


def test_an_estate_gets_its_communitys_district_on_insert():
    first = f.district()
    estate = f.estate(community_area=f.community(first))
    assert stored_district(estate) == first.pk


def test_moving_the_estate_to_another_district_follows():
    first, second = f.district(), f.district()
    estate = f.estate(community_area=f.community(first))
    Estate.objects.filter(pk=estate.pk).update(community=f.community(second))
    assert stored_district(estate) == second.pk


def test_a_written_district_is_overridden():
    first, second = f.district(), f.district()
    estate = f.estate(community_area=f.community(first))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_estate SET district_id = %s WHERE id = %s", [second.pk, estate.pk])
    assert stored_district(estate) == first.pk


def test_moving_a_street_or_a_community_moves_its_estates():
    first, second = f.district(), f.district()
    community = f.community(first)
    estate = f.estate(community_area=community)
    street = community.parent
    street.parent = second
    street.save()
    assert stored_district(estate) == second.pk
    other_street = AdminArea.objects.create(level=AdminLevel.STREET, parent=first, code="TMOVE", name="测试迁入街道",
                                            geom=first.geom)
    community.parent = other_street
    community.save()
    assert stored_district(estate) == first.pk


def test_a_districts_scope_reads_the_column_and_keeps_its_estates():
    first, second = f.district(), f.district()
    mine = f.estate(community_area=f.community(first))
    theirs = f.estate(community_area=f.community(second))
    visible = restrict_role(Estate.objects.all(), role=Role.PLANNER, street=None, action=VIEW, district=first.pk)
    assert "district_id" in str(visible.query)
    assert set(visible.filter(pk__in=[mine.pk, theirs.pk]).values_list("pk", flat=True)) == {mine.pk}
