"""GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) ↔ WGS84/CGCS2000, and telling shifted data apart.

The forward formulas are the widely published ones (DOMAIN.md, Coordinates: BD-09 is a further offset on top of
GCJ-02); the inverses are found by fixed-point iteration (to ~1e-10°, well under a centimetre), where the usual
one-step inverses are off by up to a metre or two. CGCS2000 and WGS84 differ by centimetres, so "WGS84" here serves
CGCS2000 (EPSG:4490) too. Vectorised with numpy (a boundary has thousands of vertices); no Django imports: tested
without a database. Why not a PyPI package: docs/IMPORT.md, "GCJ-02 and BD-09".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

A = 6378245.0  # Krasovsky 1940 semi-major axis, as the formula uses it
EE = 0.00669342162296594323
METRES_PER_DEGREE = 111_320.0


def _inside_china(lon, lat):
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _delta(lon, lat):
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS84 (lon, lat); numpy arrays or floats."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * pi
    magic = 1 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * np.cos(radlat) * pi)
    inside = _inside_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(coords: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat in WGS84/CGCS2000 → GCJ-02 (points outside China unchanged)."""
    coords = np.asarray(coords, dtype=float)
    dlon, dlat = _delta(coords[:, 0], coords[:, 1])
    return np.column_stack([coords[:, 0] + dlon, coords[:, 1] + dlat])


def _invert(forward, target: np.ndarray, start: np.ndarray, *, tolerance: float, max_iterations: int) -> np.ndarray:
    """The x with forward(x) = target, by fixed-point iteration from `start` (the offsets vary slowly)."""
    guess = start.copy()
    for _ in range(max_iterations):
        error = forward(guess) - target
        guess = guess - error
        if np.abs(error).max(initial=0.0) < tolerance:
            break
    return guess


def gcj02_to_wgs84(coords: np.ndarray, *, tolerance: float = 1e-10, max_iterations: int = 30) -> np.ndarray:
    """(n, 2) lon/lat in GCJ-02 → WGS84/CGCS2000, the exact inverse of wgs84_to_gcj02 by iteration."""
    target = np.asarray(coords, dtype=float)
    return _invert(wgs84_to_gcj02, target, target, tolerance=tolerance, max_iterations=max_iterations)


# Baidu's BD-09 on top of GCJ-02: a small wobble in polar form, then a fixed shift.
X_PI = math.pi * 3000.0 / 180.0
BD_DLON, BD_DLAT = 0.0065, 0.006


def gcj02_to_bd09(coords: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat in GCJ-02 → BD-09."""
    coords = np.asarray(coords, dtype=float)
    x, y = coords[:, 0], coords[:, 1]
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return np.column_stack([z * np.cos(theta) + BD_DLON, z * np.sin(theta) + BD_DLAT])


def _bd09_to_gcj02_rough(coords: np.ndarray) -> np.ndarray:
    x, y = coords[:, 0] - BD_DLON, coords[:, 1] - BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return np.column_stack([z * np.cos(theta), z * np.sin(theta)])


def bd09_to_gcj02(coords: np.ndarray, *, tolerance: float = 1e-10, max_iterations: int = 30) -> np.ndarray:
    """(n, 2) lon/lat in BD-09 → GCJ-02, the exact inverse of gcj02_to_bd09 by iteration."""
    target = np.asarray(coords, dtype=float)
    return _invert(gcj02_to_bd09, target, _bd09_to_gcj02_rough(target), tolerance=tolerance,
                   max_iterations=max_iterations)


def wgs84_to_bd09(coords: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat in WGS84/CGCS2000 → BD-09."""
    return gcj02_to_bd09(wgs84_to_gcj02(coords))


def bd09_to_wgs84(coords: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat in BD-09 → WGS84/CGCS2000 (both steps exact)."""
    return gcj02_to_wgs84(bd09_to_gcj02(coords))


# The offset systems by name: forward (from WGS84) and back (to WGS84).
SYSTEMS = {"gcj02": (wgs84_to_gcj02, gcj02_to_wgs84), "bd09": (wgs84_to_bd09, bd09_to_wgs84)}


def offset_metres(lon: float, lat: float, system: str = "gcj02") -> tuple[float, float]:
    """The shift of `system` (gcj02 or bd09) at WGS84 (lon, lat) as (east, north) metres."""
    forward = SYSTEMS[system][0]
    shifted = forward(np.array([[lon, lat]]))[0]
    return (float(shifted[0] - lon) * METRES_PER_DEGREE * math.cos(math.radians(lat)),
            float(shifted[1] - lat) * METRES_PER_DEGREE)


@dataclass(frozen=True)
class OffsetVerdict:
    """How imported positions sit against the district's own data."""

    suspected: bool  # consistent with GCJ-02: offer the conversion
    pairs: int  # how many imported features were compared
    median_east_m: float | None = None
    median_north_m: float | None = None
    expected_east_m: float | None = None
    expected_north_m: float | None = None
    method: str = ""  # "codes" (same code in the database) or "containment" (in which stored feature)
    system: str = "gcj02"  # the offset system compared with: gcj02 or bd09

    @property
    def median_m(self) -> float | None:
        if self.median_east_m is None:
            return None
        return math.hypot(self.median_east_m, self.median_north_m)

    def as_dict(self) -> dict:
        return {"suspected": self.suspected, "pairs": self.pairs, "method": self.method, "system": self.system,
                "median_offset_m": None if self.median_m is None else round(self.median_m, 1),
                "median_east_m": _round(self.median_east_m), "median_north_m": _round(self.median_north_m),
                "expected_east_m": _round(self.expected_east_m), "expected_north_m": _round(self.expected_north_m)}


def _round(value):
    return None if value is None else round(value, 1)


MIN_PAIRS = 3
# A shift of this many metres or less is ordinary survey noise, not GCJ-02 (which is 100–700 m in China).
NOISE_M = 50.0


def judge_offsets(imported: np.ndarray, reference: np.ndarray, *, method: str = "codes",
                  system: str = "gcj02") -> OffsetVerdict:
    """Compare matched (n, 2) lon/lat positions: imported vs the district's own data.

    Suspected `system` (GCJ-02 or BD-09) when the median shift is well above noise and lies within max(40 m, 25 %)
    of what that system's formula predicts at that place, and most pairs agree with the median (a real, consistent
    shift).
    """
    imported, reference = np.asarray(imported, float), np.asarray(reference, float)
    n = len(imported)
    if n < MIN_PAIRS:
        return OffsetVerdict(False, n, method=method, system=system)
    lat0 = float(np.median(reference[:, 1]))
    lon0 = float(np.median(reference[:, 0]))
    scale = np.array([METRES_PER_DEGREE * math.cos(math.radians(lat0)), METRES_PER_DEGREE])
    shifts = (imported - reference) * scale
    east, north = (float(v) for v in np.median(shifts, axis=0))
    exp_east, exp_north = offset_metres(lon0, lat0, system)
    median = math.hypot(east, north)
    expected = math.hypot(exp_east, exp_north)
    miss = math.hypot(east - exp_east, north - exp_north)
    agree = np.mean(np.hypot(shifts[:, 0] - east, shifts[:, 1] - north) < max(40.0, 0.25 * expected))
    suspected = bool(median > NOISE_M and miss <= max(40.0, 0.25 * expected) and agree >= 0.6)
    return OffsetVerdict(suspected, n, east, north, exp_east, exp_north, method, system)


def judge_systems(imported: np.ndarray, reference: np.ndarray, *, method: str = "codes") -> OffsetVerdict:
    """judge_offsets for GCJ-02, then BD-09: the first that fits (else the GCJ-02 verdict, not suspected)."""
    first = judge_offsets(imported, reference, method=method, system="gcj02")
    if first.suspected:
        return first
    second = judge_offsets(imported, reference, method=method, system="bd09")
    return second if second.suspected else first
