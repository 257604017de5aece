"""Constraints the database itself enforces: validity, hierarchy, contract rules, non-overlapping areas."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.contrib.auth.models import User

from layers.models import (
    AdminArea,
    AdminLevel,
    Building,
    ContractMode,
    Enterprise,
    ManagementArea,
    ProviderKind,
    Role,
    ServiceContract,
    UserProfile,
)

from layers.history import change_context

from . import factories as f

pytestmark = pytest.mark.django_db

BOWTIE = MultiPolygon(Polygon(((127.3, 45.8), (127.301, 45.801), (127.301, 45.8), (127.3, 45.801), (127.3, 45.8))), srid=4490)


def refused(fn):
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        fn()
    return str(info.value)


def test_every_geometry_column_has_srid_gist_index_and_validity_check():
    tables = ["layers_adminarea", "layers_road", "layers_managementarea", "layers_estate", "layers_building",
              "layers_enterprisejurisdiction"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT f_geometry_column, srid FROM geometry_columns WHERE f_table_name = %s", [table]
            )
            columns = dict(cursor.fetchall())
            assert columns["geom"] == 4490 and columns["geom_web"] == 3857, table
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
            indexes = [row[0] for row in cursor.fetchall()]
            for column in ("geom", "geom_web"):
                assert sum(f"USING gist ({column})" in ix for ix in indexes) == 1, (table, column, indexes)
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'",
                [table],
            )
            checks = [row[0] for row in cursor.fetchall()]
            assert any("st_isvalid(geom)" in c for c in checks), (table, checks)


def test_invalid_geometry_is_refused():
    message = refused(lambda: f.estate(geom=BOWTIE))
    assert "estate_geom_valid" in message


def test_web_copy_follows_the_stored_geometry():
    estate = f.estate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_SRID(geom_web), ST_Equals(geom_web, ST_Transform(geom, 3857)) FROM layers_estate WHERE id = %s", [estate.pk])
        assert cursor.fetchone() == (3857, True)
        estate.geom = f.multi(f.rect(0.05, 0.05))
        estate.save()
        cursor.execute("SELECT ST_X(ST_Transform(ST_Centroid(geom_web), 4490)) FROM layers_estate WHERE id = %s", [estate.pk])
        assert cursor.fetchone()[0] == pytest.approx(f.ORIGIN[0] + 0.0505, abs=1e-6)


def test_admin_hierarchy_by_level():
    district = f.district()
    assert "adminarea_parent_by_level" in refused(
        lambda: AdminArea.objects.create(level=AdminLevel.STREET, code="X1", name="无上级街道", geom=district.geom)
    )
    assert "adminarea_parent_by_level" in refused(
        lambda: AdminArea.objects.create(level=AdminLevel.DISTRICT, code="X3", name="无上级区", geom=district.geom)
    )
    assert "adminarea_parent_by_level" in refused(
        lambda: AdminArea.objects.create(level=AdminLevel.CITY, parent=district.parent, code="X4", name="x", geom=district.geom)
    )
    # The parent is the level just above (trigger): a district under a district, a street under a city are refused.
    assert "adminarea_parent_level" in refused(
        lambda: AdminArea.objects.create(level=AdminLevel.DISTRICT, parent=district, code="X2", name="x", geom=district.geom)
    )
    assert "adminarea_parent_level" in refused(
        lambda: AdminArea.objects.create(level=AdminLevel.STREET, parent=district.parent, code="X5", name="x", geom=district.geom)
    )
    street = AdminArea.objects.create(level=AdminLevel.STREET, parent=district, code="X6", name="街道", geom=district.geom)
    assert street.parent_id == district.pk


def test_management_areas_may_touch_but_not_overlap():
    district = f.district()
    first = f.management_area(f.multi(f.rect(0, 0, 0.01, 0.01)), district)
    neighbour = f.management_area(f.multi(f.rect(0.01, 0, 0.01, 0.01)), district)  # shares an edge
    assert neighbour.pk
    message = refused(lambda: f.management_area(f.multi(f.rect(0.005, 0.005, 0.01, 0.01)), district))
    assert "overlaps management area" in message and first.code in message
    # Moving an existing area onto its neighbour is refused too, and the stored row is unchanged.
    neighbour.geom = f.multi(f.rect(0.009, 0, 0.01, 0.01))
    assert "a reason is required" in refused(neighbour.save)
    with change_context(user=None, reason="test"):
        assert "overlaps" in refused(neighbour.save)
    assert ManagementArea.objects.get(pk=neighbour.pk).geom.extent[0] == pytest.approx(f.ORIGIN[0] + 0.01)


def test_credit_code_validated_in_forms_and_database():
    enterprise = Enterprise(name="某物业公司", credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as info:
        enterprise.full_clean()
    assert "credit_code" in info.value.message_dict
    assert "enterprise_credit_code_chars" in refused(
        lambda: Enterprise.objects.create(name="某物业公司", credit_code="91350100M000100YO3")
    )
    Enterprise(name="某物业公司", credit_code="91350100M000100Y43").full_clean()


def test_contract_provider_must_match_mode():
    estate, enterprise = f.estate(), f.enterprise()
    ok = ServiceContract.objects.create(
        estate=estate, provider_kind=ProviderKind.ENTERPRISE, enterprise=enterprise, mode=ContractMode.NEARBY,
        start_date=f.d("2020-01-01"), end_date=f.d("2021-01-01"),
    )
    assert ok.pk
    for kind, mode, with_enterprise in [
        (ProviderKind.ENTERPRISE, ContractMode.CARETAKER, True),
        (ProviderKind.ENTERPRISE, ContractMode.SINGLE, False),
        (ProviderKind.COMMUNITY, ContractMode.SELF_GOVERNED, True),
        (ProviderKind.DISTRICT_FALLBACK, ContractMode.SELF_GOVERNED, False),
    ]:
        assert "contract_provider_matches_mode" in refused(
            lambda: ServiceContract.objects.create(
                estate=estate, provider_kind=kind, enterprise=enterprise if with_enterprise else None, mode=mode,
                start_date=f.d("2022-01-01"),
            )
        )


def test_contracts_of_one_estate_do_not_overlap_in_time():
    estate, enterprise = f.estate(), f.enterprise()
    ServiceContract.objects.create(
        estate=estate, provider_kind=ProviderKind.ENTERPRISE, enterprise=enterprise, mode=ContractMode.SINGLE,
        start_date=f.d("2015-01-01"), end_date=f.d("2020-07-01"),
    )
    # The day the enterprise leaves, the district fallback may start (end dates are exclusive).
    ServiceContract.objects.create(
        estate=estate, provider_kind=ProviderKind.DISTRICT_FALLBACK, mode=ContractMode.CARETAKER,
        start_date=f.d("2020-07-01"),
    )
    assert "contract_no_overlap_per_estate" in refused(
        lambda: ServiceContract.objects.create(
            estate=estate, provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
            start_date=f.d("2024-01-01"), end_date=f.d("2025-01-01"),
        )
    )
    assert "contract_dates_ordered" in refused(
        lambda: ServiceContract.objects.create(
            estate=f.estate(), provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
            start_date=f.d("2024-01-01"), end_date=f.d("2024-01-01"),
        )
    )


def test_building_floors_range():
    estate = f.estate()
    assert "building_floors_range" in refused(
        lambda: Building.objects.create(
            code="TB1", estate=estate, label="1号楼", floors=0, households=10, build_year=1990,
            geom=Polygon(estate.geom[0].coords[0], srid=4490),
        )
    )


def test_a_profile_answers_for_the_area_its_role_needs():
    """DOMAIN.md "Levels": district roles have a district, a street office its street, city-wide roles neither."""
    district = f.district()
    street = AdminArea.objects.create(level=AdminLevel.STREET, parent=district, code="XP1", name="街道", geom=district.geom)
    users = iter(User.objects.create_user(f"profile-{n}") for n in range(20))
    for role in (Role.PLANNER, Role.OFFICIAL, Role.DISTRICT_ADMINISTRATOR):
        assert "userprofile_area_by_role" in refused(lambda: UserProfile.objects.create(user=next(users), role=role))
        assert "userprofile_area_by_role" in refused(
            lambda: UserProfile.objects.create(user=next(users), role=role, district=district, street=street))
        assert "userprofile_area_level" in refused(
            lambda: UserProfile.objects.create(user=next(users), role=role, district=street))
        assert UserProfile.objects.create(user=next(users), role=role, district=district).district == district
    assert "userprofile_area_by_role" in refused(
        lambda: UserProfile.objects.create(user=next(users), role=Role.STREET_OFFICE, district=district))
    assert "userprofile_area_level" in refused(
        lambda: UserProfile.objects.create(user=next(users), role=Role.STREET_OFFICE, street=district))
    for role in (Role.CITY_OFFICIAL, Role.ADMINISTRATOR):
        assert "userprofile_area_by_role" in refused(
            lambda: UserProfile.objects.create(user=next(users), role=role, district=district))
        assert UserProfile.objects.create(user=next(users), role=role).district is None
