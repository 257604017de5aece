"""An estate's service status on a date, derived in SQL from its dated contracts."""
import datetime
from collections import defaultdict

import pytest

from layers.models import ContractMode, Estate, ProviderKind, ServiceContract, ServiceStatus

from . import factories as f

pytestmark = pytest.mark.django_db

STATUS_OF_PROVIDER = {
    ProviderKind.ENTERPRISE: ServiceStatus.ENTERPRISE,
    ProviderKind.CARETAKER_AGENCY: ServiceStatus.CARETAKER,
    ProviderKind.DISTRICT_FALLBACK: ServiceStatus.CARETAKER,
    ProviderKind.COMMUNITY: ServiceStatus.SELF_GOVERNED,
}


def status_by_brute_force(on: datetime.date) -> dict[int, str]:
    """The same rule as layers_service_status, in plain Python over every contract."""
    status = defaultdict(lambda: ServiceStatus.NONE)
    for c in ServiceContract.objects.all():
        if c.start_date <= on and (c.end_date is None or on < c.end_date):
            status[c.estate_id] = STATUS_OF_PROVIDER[c.provider_kind]
    return {pk: status[pk] for pk in Estate.objects.values_list("pk", flat=True)}


def test_one_estate_through_its_history():
    estate, enterprise = f.estate(), f.enterprise()
    create = ServiceContract.objects.create
    create(estate=estate, provider_kind=ProviderKind.ENTERPRISE, enterprise=enterprise, mode=ContractMode.SINGLE,
           start_date=f.d("2014-03-01"), end_date=f.d("2019-01-01"))
    create(estate=estate, provider_kind=ProviderKind.DISTRICT_FALLBACK, mode=ContractMode.CARETAKER,
           start_date=f.d("2020-06-01"), end_date=f.d("2022-01-01"))
    create(estate=estate, provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
           start_date=f.d("2022-01-01"))
    expected = {
        "2014-02-28": "none", "2014-03-01": "enterprise", "2018-12-31": "enterprise", "2019-01-01": "none",
        "2020-06-01": "caretaker", "2021-12-31": "caretaker", "2022-01-01": "self_governed", "2030-01-01": "self_governed",
    }
    for day, status in expected.items():
        assert Estate.objects.with_service_status(f.d(day)).get(pk=estate.pk).service_status == status, day


def test_uncovered_means_old_and_without_service(settings):
    old, new = f.estate(build_year=2010), f.estate(build_year=2011)
    uncovered = set(Estate.objects.uncovered(f.d("2026-01-01")).values_list("pk", flat=True))
    assert old.pk in uncovered and new.pk not in uncovered
    settings.OLD_ESTATE_CUTOFF_YEAR = 2011
    assert new.pk in set(Estate.objects.uncovered(f.d("2026-01-01")).values_list("pk", flat=True))


@pytest.mark.parametrize("day", ["2012-01-01", "2016-07-01", "2019-12-31", "2023-03-15", "2026-11-22"])
def test_sql_status_matches_brute_force_on_the_demo_city(day):
    on = f.d(day)
    assert ServiceContract.objects.count() > 100, "the demo city should be loaded"
    sql = dict(Estate.objects.with_service_status(on).values_list("pk", "service_status"))
    assert sql == status_by_brute_force(on)
