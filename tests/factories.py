"""Deterministic test objects: touching rectangles near the demo district, the rows that hold them, and the boundary
cases of each domain rule (an estate of the cutoff year, a contract handed over on a date, bundles exactly at their
bounds, failing credit years that are not consecutive)."""
import datetime
import itertools

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon

from layers.credit_code import check_character
from layers.models import (
    AdminArea, AdminLevel, ContractMode, Enterprise, Estate, ManagementArea, ProviderKind, ServiceContract,
)

# Photo bytes the abandoned-building photo check accepts (layers/services/abandonment.py reads the header).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
WEBP = b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 200

ORIGIN = (127.30, 45.80)  # north-east of the demo district, so test objects never touch demo ones
_counter = itertools.count(1)


def rect(x: float, y: float, w: float = 0.001, h: float = 0.001) -> Polygon:
    """A rectangle w × h degrees whose south-west corner is `(x, y)` degrees east/north of ORIGIN."""
    x0, y0 = ORIGIN[0] + x, ORIGIN[1] + y
    return Polygon(((x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h), (x0, y0)), srid=4490)


def multi(*polygons: Polygon) -> MultiPolygon:
    return MultiPolygon(*polygons, srid=4490)


def credit_code(n: int) -> str:
    body = f"91230112{n:09d}"
    return body + check_character(body)


def city() -> AdminArea:
    n = next(_counter)
    return AdminArea.objects.create(level=AdminLevel.CITY, code=f"T{n}M", name=f"测试市{n}", geom=multi(rect(0, 0, 0.1, 0.1)))


def district(parent_city: AdminArea | None = None) -> AdminArea:
    """A district of `parent_city`, or of the demo city when one is loaded, else of a new test city."""
    n = next(_counter)
    parent = parent_city or AdminArea.objects.filter(level=AdminLevel.CITY).order_by("pk").first() or city()
    return AdminArea.objects.create(level=AdminLevel.DISTRICT, parent=parent, code=f"T{n}", name=f"测试区{n}",
                                    geom=multi(rect(0, 0, 0.1, 0.1)))


def community(parent_district: AdminArea | None = None) -> AdminArea:
    n = next(_counter)
    # In the demo's first district when it is loaded (its planner's: DOMAIN.md "Levels"), else in a new one.
    d = parent_district or AdminArea.objects.filter(level=AdminLevel.DISTRICT, code="230112").first() or district()
    street = AdminArea.objects.create(level=AdminLevel.STREET, parent=d, code=f"T{n}S", name=f"测试街道{n}", geom=d.geom)
    return AdminArea.objects.create(
        level=AdminLevel.COMMUNITY, parent=street, code=f"T{n}C", name=f"测试社区{n}", geom=d.geom
    )


def estate(*, build_year: int = 1995, households: int = 100, community_area: AdminArea | None = None, **kw) -> Estate:
    n = next(_counter)
    return Estate.objects.create(
        code=f"TE{n}",
        name=kw.pop("name", f"测试小区{n}"),
        build_year=build_year,
        households=households,
        floor_area=households * 70.0,
        community=community_area or community(),
        geom=kw.pop("geom", multi(rect(0.002 * (n % 40), 0.002 * (n // 40)))),
        **kw,
    )


def enterprise(**kw) -> Enterprise:
    n = next(_counter)
    return Enterprise.objects.create(name=f"测试物业服务有限公司{n}", credit_code=credit_code(n), **kw)


def management_area(geom: MultiPolygon, parent_district: AdminArea | None = None) -> ManagementArea:
    n = next(_counter)
    return ManagementArea.objects.create(
        code=f"TMA{n}", name=f"测试管理区域{n}", district=parent_district or district(), geom=geom
    )


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# --- boundary cases of the domain rules ---------------------------------------------------------------------------

def cutoff_year() -> int:
    """The last build year of an old estate (DOMAIN.md "old estate", settings.OLD_ESTATE_CUTOFF_YEAR)."""
    return settings.OLD_ESTATE_CUTOFF_YEAR


def estate_at_cutoff(**kw) -> Estate:
    """An estate built in the cutoff year itself: old (built before the end of that year, 004 §1)."""
    return estate(build_year=cutoff_year(), **kw)


def estate_after_cutoff(**kw) -> Estate:
    """An estate built the year after the cutoff: not old."""
    return estate(build_year=cutoff_year() + 1, **kw)


MODE_OF = {ProviderKind.ENTERPRISE: ContractMode.SINGLE, ProviderKind.CARETAKER_AGENCY: ContractMode.CARETAKER,
           ProviderKind.DISTRICT_FALLBACK: ContractMode.CARETAKER, ProviderKind.COMMUNITY: ContractMode.SELF_GOVERNED}


def contract(estate_obj: Estate, *, start: datetime.date, end: datetime.date | None = None,
             kind: str = ProviderKind.DISTRICT_FALLBACK, enterprise_obj: Enterprise | None = None,
             **kw) -> ServiceContract:
    """A contract row written directly (no service checks); an enterprise contract gets a new enterprise if none."""
    if kind == ProviderKind.ENTERPRISE and enterprise_obj is None:
        enterprise_obj = enterprise()
    return ServiceContract.objects.create(estate=estate_obj, provider_kind=kind, enterprise=enterprise_obj,
                                          mode=kw.pop("mode", MODE_OF[kind]), start_date=start, end_date=end, **kw)


def handover(estate_obj: Estate, on: datetime.date, *, before: str = ProviderKind.DISTRICT_FALLBACK,
             after: str = ProviderKind.ENTERPRISE) -> tuple[ServiceContract, ServiceContract]:
    """A contract ending on `on` (its end date is exclusive) and the next one starting on `on`."""
    ending = contract(estate_obj, start=on - datetime.timedelta(days=400), end=on, kind=before)
    starting = contract(estate_obj, start=on, kind=after)
    return ending, starting


def households_at_bounds(minimum: int, maximum: int) -> dict[str, list[int]]:
    """Households of touching units whose sums are exactly each bound, one below the minimum and one above the
    maximum (for layers.planning.bundles.BundleRules(min_households=minimum, max_households=maximum))."""
    return {"at_min": [minimum // 2, minimum - minimum // 2], "at_max": [maximum // 2, maximum - maximum // 2],
            "below_min": [minimum // 2, minimum - minimum // 2 - 1],
            "above_max": [maximum // 2, maximum - maximum // 2 + 1]}


def evaluations_fail_pass_fail(first_year: int) -> list[tuple[int, str, bool]]:
    """(year, grade, passed): two failing years with a passing one between, i.e. not consecutive (003 §5(3))."""
    return [(first_year, "C", False), (first_year + 1, "B", True), (first_year + 2, "C", False)]


def evaluations_fail_fail(first_year: int) -> list[tuple[int, str, bool]]:
    """(year, grade, passed): two consecutive failing years, the black-list case (003 §5(3))."""
    return [(first_year, "C", False), (first_year + 1, "C", False)]


def other_district(code: str, label: str = "乙区测试") -> tuple[AdminArea, AdminArea, AdminArea]:
    """(district, street, community): a second district of the loaded demo city, one street and one community."""
    d = district(AdminArea.objects.get(level=AdminLevel.CITY))
    street = AdminArea.objects.create(level=AdminLevel.STREET, parent=d, code=f"{code}001", name=f"{label}街道",
                                      geom=d.geom)
    community_area = AdminArea.objects.create(level=AdminLevel.COMMUNITY, parent=street, code=f"{code}001001",
                                              name=f"{label}社区", geom=d.geom)
    return d, street, community_area


def second_district(*, name: str = "测试二区") -> AdminArea:
    """A second district of the demo city (DOMAIN.md "Levels"): two streets, three communities, five old estates and
    one new one, with an enterprise, a caretaker, a self-governed and two uncovered old estates on 2023-01-01."""
    n = next(_counter)
    parent = AdminArea.objects.filter(level=AdminLevel.CITY).order_by("pk").first() or city()
    area = AdminArea.objects.create(level=AdminLevel.DISTRICT, parent=parent, code=f"T{n}D", name=name,
                                    geom=multi(rect(0.2, 0, 0.1, 0.1)))
    streets = [AdminArea.objects.create(level=AdminLevel.STREET, parent=area, code=f"T{n}S{k}",
                                        name=f"{name}街道{k}", geom=multi(rect(0.2 + 0.05 * k, 0, 0.05, 0.1)))
               for k in range(2)]
    communities = [AdminArea.objects.create(level=AdminLevel.COMMUNITY, parent=streets[k // 2], code=f"T{n}C{k}",
                                            name=f"{name}社区{k}", geom=streets[k // 2].geom) for k in range(3)]
    start = datetime.date(2020, 1, 1)
    for k, kind in enumerate([ProviderKind.ENTERPRISE, ProviderKind.CARETAKER_AGENCY, ProviderKind.COMMUNITY,
                              None, None]):
        e = estate(community_area=communities[k % 3], households=100 * (k + 1),
                   geom=multi(rect(0.2 + 0.003 * k, 0.05)))
        if kind == ProviderKind.CARETAKER_AGENCY:
            contract(e, start=start, kind=ProviderKind.DISTRICT_FALLBACK)
        elif kind:
            contract(e, start=start, kind=kind)
    estate_after_cutoff(community_area=communities[0], geom=multi(rect(0.22, 0.05)))
    return area
