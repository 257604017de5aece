"""Which text encoding a CSV file or a shapefile's .dbf uses: UTF-8 (strictly, with or without BOM), else GB18030.

GB18030 is a superset of GBK and GB2312, so it reads files saved as either. No Django imports.
"""
from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass


class EncodingUnknown(ValueError):
    pass


@dataclass(frozen=True)
class Detected:
    encoding: str  # a Python codec name: "utf-8-sig", "utf-8" or "gb18030"
    label: str  # what the report says: "UTF-8 (BOM)", "UTF-8", "GB18030"


def detect(data: bytes) -> Detected:
    """The encoding of `data`: a UTF-8 BOM, else strict UTF-8, else GB18030; EncodingUnknown when none decodes."""
    if data.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", "UTF-8 (BOM)")
    try:
        data.decode("utf-8", errors="strict")
        return Detected("utf-8", "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030", errors="strict")
        return Detected("gb18030", "GB18030")
    except UnicodeDecodeError:
        raise EncodingUnknown("the text is neither UTF-8 nor GB18030/GBK") from None


def is_utf8(data: bytes) -> bool:
    """Strict UTF-8 (a BOM allowed)."""
    try:
        data.decode("utf-8-sig", errors="strict")
        return True
    except UnicodeDecodeError:
        return False


def dbf_records(data: bytes) -> bytes:
    """The record bytes of a dBASE file (what holds the text), without its header."""
    if len(data) < 32:
        raise EncodingUnknown("the .dbf file is truncated")
    header_length, = struct.unpack("<H", data[8:10])
    return data[header_length:]


# A .cpg names its code page in many spellings; GDAL understands these, we only need to recognise them for the report.
CPG_NAMES = {"936": "GBK", "cp936": "GBK", "gbk": "GBK", "gb2312": "GB2312", "gb18030": "GB18030",
             "utf-8": "UTF-8", "utf8": "UTF-8", "65001": "UTF-8"}


def cpg_label(text: str) -> str:
    value = text.strip()
    return CPG_NAMES.get(value.lower(), value)
