"""When and where a JPEG was taken, read from its EXIF block (DateTimeOriginal, GPS), without an imaging library.

Photos uploaded from the desktop page keep the camera's EXIF; the phone's resized photos do not (a canvas drops
it), so the phone sends the same two facts as `photo_meta` (docs/MOBILE.md). Anything unreadable reads as absent.
"""
from __future__ import annotations

import datetime
import struct

from django.utils import timezone

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x0132, 0x9003, 0x9011
LAT_REF, LAT, LON_REF, LON = 1, 2, 3, 4


def _app1(data: bytes) -> bytes | None:
    """The TIFF block of the JPEG's Exif APP1 segment."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after this
            return None
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        segment = data[at + 4:at + 2 + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00":
            return segment[6:]
        at += 2 + length
    return None


class _Tiff:
    def __init__(self, block: bytes):
        if block[:2] not in (b"II", b"MM"):
            raise ValueError("not TIFF")
        self.block = block
        self.order = "<" if block[:2] == b"II" else ">"

    def unpack(self, fmt: str, at: int):
        return struct.unpack_from(self.order + fmt, self.block, at)

    def ifd(self, at: int) -> dict[int, object]:
        """tag → value (ASCII as str, RATIONAL as tuple of floats, integers as int or tuple)."""
        (count,) = self.unpack("H", at)
        tags = {}
        for i in range(min(count, 512)):
            tag, kind, n, raw = self.unpack("HHI4s", at + 2 + 12 * i)
            size = _TYPE_SIZES.get(kind, 1) * n
            where = at + 2 + 12 * i + 8 if size <= 4 else self.unpack("I", at + 2 + 12 * i + 8)[0]
            if where + size > len(self.block):
                continue
            if kind == 2:
                tags[tag] = self.block[where:where + size].split(b"\x00")[0].decode("ascii", "replace")
            elif kind in (5, 10):
                pairs = self.unpack(("I" if kind == 5 else "i") * 2 * n, where)
                tags[tag] = tuple(a / b if b else 0.0 for a, b in zip(pairs[::2], pairs[1::2]))
            elif kind in (3, 4):
                values = self.unpack(("H" if kind == 3 else "I") * n, where)
                tags[tag] = values[0] if n == 1 else values
        return tags


def _taken_at(text: str | None, offset: str | None) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.strptime((text or "").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if offset and len(offset) == 6 and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        return moment.replace(tzinfo=datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes)))
    return timezone.make_aware(moment)  # a camera's clock without offset: local time (TIME_ZONE)


def _degrees(value, ref) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    degrees = value[0] + value[1] / 60 + value[2] / 3600
    return -degrees if ref in ("S", "W") else degrees


def photo_exif(data: bytes) -> tuple[datetime.datetime | None, tuple[float, float] | None]:
    """(taken at, (lon, lat)) from a JPEG's EXIF; (None, None) when absent or unreadable."""
    block = _app1(data)
    if block is None:
        return None, None
    try:
        tiff = _Tiff(block)
        ifd0 = tiff.ifd(tiff.unpack("I", 4)[0])
        exif = tiff.ifd(ifd0[EXIF_IFD]) if isinstance(ifd0.get(EXIF_IFD), int) else {}
        gps = tiff.ifd(ifd0[GPS_IFD]) if isinstance(ifd0.get(GPS_IFD), int) else {}
    except (ValueError, struct.error):
        return None, None
    taken_at = _taken_at(exif.get(DATETIME_ORIGINAL) or ifd0.get(DATETIME), exif.get(OFFSET_TIME_ORIGINAL))
    lat, lon = _degrees(gps.get(LAT), gps.get(LAT_REF)), _degrees(gps.get(LON), gps.get(LON_REF))
    where = (lon, lat) if lon is not None and lat is not None and -180 <= lon <= 180 and -90 <= lat <= 90 else None
    return taken_at, where
