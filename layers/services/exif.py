"""When and where a JPEG was taken, read from its EXIF block (DateTimeOriginal, GPS) with ExifRead.

Photos uploaded from the desktop page keep the camera's EXIF; the phone's resized photos do not (a canvas drops
it), so the phone sends the same two facts as `photo_meta` (docs/MOBILE.md). Anything unreadable reads as absent.
"""
from __future__ import annotations

import datetime
import io
import logging

import exifread
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# ExifRead logs every oddity of a camera's file at WARNING; an unreadable block here only means "no date, no place".
logging.getLogger("exifread").setLevel(logging.ERROR)


def _text(tags: dict, name: str) -> str | None:
    tag = tags.get(name)
    return str(tag.printable).strip() if tag is not None else None


def _taken_at(text: str | None, offset: str | None) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.strptime((text or "").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if offset and len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        return moment.replace(tzinfo=datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes)))
    return timezone.make_aware(moment)  # a camera's clock without offset: local time (TIME_ZONE)


def _degrees(tags: dict, name: str) -> float | None:
    tag = tags.get(f"GPS {name}")
    values = getattr(tag, "values", None)
    if not isinstance(values, list) or len(values) != 3:
        return None
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    return -degrees if _text(tags, f"GPS {name}Ref") in ("S", "W") else degrees


def photo_exif(data: bytes) -> tuple[datetime.datetime | None, tuple[float, float] | None]:
    """(taken at, (lon, lat)) from a JPEG's EXIF; (None, None) when absent or unreadable."""
    if data[:2] != b"\xff\xd8":
        return None, None
    try:
        tags = exifread.process_file(io.BytesIO(data), details=False, extract_thumbnail=False)
    except Exception:  # ExifRead raises many kinds on a damaged block: the photo simply has no EXIF facts
        return None, None
    taken_at = _taken_at(_text(tags, "EXIF DateTimeOriginal") or _text(tags, "Image DateTime"),
                         _text(tags, "EXIF OffsetTimeOriginal"))
    lat, lon = _degrees(tags, "GPSLatitude"), _degrees(tags, "GPSLongitude")
    where = (lon, lat) if lon is not None and lat is not None and -180 <= lon <= 180 and -90 <= lat <= 90 else None
    return taken_at, where


def phone_fields(entry) -> tuple[datetime.datetime | None, tuple[float, float] | None]:
    """(taken at, (lon, lat)) from one photo's entry of the phone's photo_meta ({"taken_at", "lon", "lat"})."""
    if not isinstance(entry, dict):
        return None, None
    taken_at = None
    if entry.get("taken_at"):
        try:
            taken_at = parse_datetime(str(entry["taken_at"]))
        except ValueError:  # well-formed but impossible (month 13)
            taken_at = None
        if taken_at is not None and timezone.is_naive(taken_at):
            taken_at = timezone.make_aware(taken_at)
    lon, lat = entry.get("lon"), entry.get("lat")
    ok = isinstance(lon, (int, float)) and isinstance(lat, (int, float)) and -180 <= lon <= 180 and -90 <= lat <= 90
    return taken_at, (float(lon), float(lat)) if ok else None


def photo_facts(entry, data: bytes, content_type: str) -> tuple[datetime.datetime | None, tuple[float, float] | None]:
    """When and where a photo was taken: the phone's fields first (its resized copy has no EXIF), else what the
    camera wrote into the file (a JPEG uploaded from the desktop page)."""
    taken_at, where = phone_fields(entry)
    if (taken_at is None or where is None) and content_type == "image/jpeg":
        exif_at, exif_where = photo_exif(data)
        taken_at, where = taken_at or exif_at, where or exif_where
    return taken_at, where
