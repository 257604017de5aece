"""Coordinate reference systems an import may come in, and a guess from coordinate ranges when a file names none.

Covered: CGCS2000 geographic (EPSG:4490), WGS84 (4326), Web Mercator (3857), and the CGCS2000 3-degree
Gauss-Krüger zones 25–45 with the zone number in the easting (EPSG:4513–4533) or without it (4534–4554, which
need the district's longitude to pick the zone). No Django imports: tested without a database.
"""
from __future__ import annotations

from dataclasses import dataclass, field

GEOGRAPHIC = (4490, 4326)
WEB_MERCATOR = 3857
GK_ZONES = range(25, 46)  # 3-degree zones 25 (75°E) … 45 (135°E): mainland China
GK_PREFIXED_BASE = 4513  # zone 25, easting 25 500 000 at the central meridian
GK_PLAIN_BASE = 4534  # CM 75°E, easting 500 000 at the central meridian
SUPPORTED = frozenset({*GEOGRAPHIC, WEB_MERCATOR, *range(4513, 4534), *range(4534, 4555)})


def gk_epsg(zone: int, *, prefixed: bool) -> int:
    if zone not in GK_ZONES:
        raise ValueError(f"3-degree Gauss-Krüger zone {zone} is outside China (25–45)")
    return (GK_PREFIXED_BASE if prefixed else GK_PLAIN_BASE) + zone - GK_ZONES.start


def gk_zone_for_longitude(lon: float) -> int:
    """The 3-degree zone whose central meridian (3°·zone) is nearest to `lon`."""
    return int(round(lon / 3.0))


def _(message: str) -> str:
    """Marks a message for translation (makemessages finds it); Django callers translate with Guess.translated()."""
    return message


@dataclass(frozen=True)
class Guess:
    epsg: int | None
    template: str  # plain English with %(name)s parameters, for the report
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.template % self.params

    def translated(self, gettext) -> str:
        return gettext(self.template) % self.params


def guess_crs(bbox: tuple[float, float, float, float], *, hint_lon: float | None = None) -> Guess:
    """The likeliest CRS of coordinates spanning `bbox` (minx, miny, maxx, maxy), for data in China.

    `hint_lon`: the district's longitude, which picks the zone of un-prefixed Gauss-Krüger eastings.
    """
    minx, miny, maxx, maxy = bbox
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return Guess(4490, _("longitude/latitude in degrees: CGCS2000 geographic (numerically the same as WGS84)"))
    if not (0 < miny <= maxy < 10_000_000):
        return Guess(None, _("the coordinates fit none of the supported systems"))
    if 7_000_000 <= minx <= maxx <= 16_000_000 and maxy < 7_500_000:
        return Guess(WEB_MERCATOR, _("metres between 7 and 16 million eastwards: Web Mercator"))
    zone_min, zone_max = int(minx // 1_000_000), int(maxx // 1_000_000)
    if zone_min == zone_max and zone_min in GK_ZONES:
        return Guess(gk_epsg(zone_min, prefixed=True),
                     _("eastings start with the zone number %(zone)d: CGCS2000 3-degree Gauss-Krüger zone %(zone)d"),
                     {"zone": zone_min})
    if 100_000 <= minx <= maxx <= 900_000:
        if hint_lon is None:
            return Guess(None, _("Gauss-Krüger eastings without a zone number: the zone cannot be told"))
        zone = gk_zone_for_longitude(hint_lon)
        if zone not in GK_ZONES:
            return Guess(None, _("Gauss-Krüger eastings without a zone number, and the district lies outside China"))
        return Guess(gk_epsg(zone, prefixed=False),
                     _("Gauss-Krüger eastings without a zone number; the district lies in zone %(zone)d (central "
                       "meridian %(meridian)d°E)"), {"zone": zone, "meridian": zone * 3})
    return Guess(None, _("the coordinates fit none of the supported systems"))


def describe(epsg: int | None) -> str:
    """A short English name of a supported EPSG code (for reports and the page's CRS list)."""
    if epsg is None:
        return "unknown"
    if epsg == 4490:
        return "CGCS2000 (EPSG:4490)"
    if epsg == 4326:
        return "WGS 84 (EPSG:4326)"
    if epsg == 3857:
        return "Web Mercator (EPSG:3857)"
    if 4513 <= epsg <= 4533:
        zone = epsg - GK_PREFIXED_BASE + GK_ZONES.start
        return f"CGCS2000 3-degree Gauss-Krüger zone {zone} (EPSG:{epsg})"
    if 4534 <= epsg <= 4554:
        zone = epsg - GK_PLAIN_BASE + GK_ZONES.start
        return f"CGCS2000 3-degree Gauss-Krüger CM {zone * 3}°E (EPSG:{epsg})"
    return f"EPSG:{epsg}"


def choices() -> list[tuple[int, str]]:
    """The supported systems, for a picker: geographic first, then Web Mercator, then the zones."""
    codes = [*GEOGRAPHIC, WEB_MERCATOR, *range(4513, 4534), *range(4534, 4555)]
    return [(code, describe(code)) for code in codes]
