"""Suggest which source column feeds which field: by the field's name or its Chinese and English aliases.

No Django imports: the importers pass their fields and aliases in.
"""
from __future__ import annotations

import re

_IGNORED = re.compile(r"[\s_\-（）()．.:：/]+")


def normalise(name: str) -> str:
    return _IGNORED.sub("", str(name)).lower()


def suggest(columns: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{field: column} for each field whose name or an alias matches a column (each column used at most once).

    Exact matches win over prefix matches ("名称" before "小区名称"), and earlier aliases over later ones.
    """
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise(column), column)
    taken: set[str] = set()
    result: dict[str, str] = {}
    for exact in (True, False):
        for field, names in aliases.items():
            if field in result:
                continue
            for candidate in (field, *names):
                key = normalise(candidate)
                if exact:
                    column = by_norm.get(key)
                else:
                    column = next((c for n, c in by_norm.items() if key and len(key) > 1 and
                                   (n.endswith(key) or n.startswith(key)) and c not in taken), None)
                if column is not None and column not in taken:
                    result[field] = column
                    taken.add(column)
                    break
    return result
