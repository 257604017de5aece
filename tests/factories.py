"""Deterministic test objects: touching rectangles near the demo district, and the rows that hold them."""
import datetime
import itertools

from django.contrib.gis.geos import MultiPolygon, Polygon

from layers.credit_code import check_character
from layers.models import AdminArea, AdminLevel, Enterprise, Estate, ManagementArea

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


def district() -> AdminArea:
    n = next(_counter)
    return AdminArea.objects.create(level=AdminLevel.DISTRICT, code=f"T{n}", name=f"测试区{n}", geom=multi(rect(0, 0, 0.1, 0.1)))


def community(parent_district: AdminArea | None = None) -> AdminArea:
    n = next(_counter)
    d = parent_district or district()
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
