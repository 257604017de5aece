"""Hotline addresses located on estates and buildings: trigram matching in SQL, a batch per statement.

DOMAIN.md "Supervision": a 12345/12319 work order names the caller's address as free text. Each address is parsed
(layers/planning/address.py); one SQL statement per batch gathers candidates — estates on the same road and number,
estates whose name or alias is like the estate text (pg_trgm `%`, GIN indexes of migrations 0006 and 0015), estates
whose address is like the road and number (a misspelt road) — and scores them. Below ADDRESS_MATCH_THRESHOLD the
result is "to confirm": a person picks the estate on the map (docs/ADDRESS_MATCHING.md).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from ..models import Building, Estate
from ..permissions import VIEW, user_scope_sql
from ..planning.address import ROAD_SUFFIX_RE, parse

BATCH = 2000  # addresses per statement
CANDIDATES = 5  # candidates kept per address
NAME_WEIGHT = 0.5  # name against road-and-number, when the address has both
# Trigram similarity below which a name, alias or address is no candidate (pg_trgm.similarity_threshold).
TRIGRAM_FLOOR = 0.2
# Confidence falls when the runner-up scores within this much of the best candidate (an ambiguous address).
MARGIN = 0.25

MATCH_SQL = f"""
WITH q AS (
    SELECT * FROM unnest(%(i)s::int[], %(est)s::text[], %(stem)s::text[], %(num)s::text[], %(addr)s::text[])
        AS q(i, est, stem, num, addr)
),
es AS (
    SELECT e.id, e.code, e.name, e.aliases, e.address,
           regexp_replace(e.address, '({ROAD_SUFFIX_RE})[0-9]+号.*$', '') AS stem,
           substring(e.address FROM '([0-9]+)号') AS num
    FROM layers_estate e
    WHERE {{scope}}
),
aliases AS (
    SELECT es.id, unnest(string_to_array(es.aliases, '、')) AS alias FROM es WHERE es.aliases <> ''
),
exact_address AS (
    SELECT q.i, es.id FROM q JOIN es ON es.stem = q.stem AND es.num = q.num WHERE q.stem <> ''
),
exact_name AS (
    SELECT q.i, es.id FROM q JOIN es ON es.name = q.est WHERE q.est <> ''
    UNION
    SELECT q.i, aliases.id FROM q JOIN aliases ON aliases.alias = q.est WHERE q.est <> ''
),
-- Trigram look-ups only where the exact ones found nothing (a misspelt or shortened name or road).
fuzzy_name AS (
    SELECT q.i, c.id FROM q CROSS JOIN LATERAL (
        SELECT e.id FROM layers_estate e
        WHERE e.name %% q.est OR e.aliases %% q.est
        ORDER BY greatest(similarity(e.name, q.est), similarity(e.aliases, q.est)) DESC, e.id
        LIMIT 8
    ) c
    WHERE q.est <> '' AND NOT EXISTS (SELECT 1 FROM exact_name x WHERE x.i = q.i)
),
fuzzy_address AS (
    SELECT q.i, c.id FROM q CROSS JOIN LATERAL (
        SELECT e.id FROM layers_estate e
        WHERE e.address %% q.addr
        ORDER BY similarity(e.address, q.addr) DESC, e.id
        LIMIT 8
    ) c
    WHERE q.addr <> '' AND NOT EXISTS (SELECT 1 FROM exact_address x WHERE x.i = q.i)
),
cand AS (
    SELECT * FROM exact_address UNION SELECT * FROM exact_name
    UNION SELECT * FROM fuzzy_name UNION SELECT * FROM fuzzy_address
),
scored AS (
    SELECT cand.i, es.id, es.code, es.name, es.address,
           CASE WHEN q.est = '' THEN NULL ELSE greatest(
               similarity(es.name, q.est),
               coalesce((SELECT max(similarity(a, q.est)) FROM unnest(string_to_array(es.aliases, '、')) a), 0)
           ) END AS name_score,
           CASE WHEN q.addr = '' THEN NULL
                WHEN es.stem = q.stem AND es.num = q.num THEN 1.0
                WHEN es.num = q.num THEN 0.5 + 0.5 * similarity(es.stem, q.stem)
                ELSE 0.5 * similarity(es.address, q.addr) END AS address_score
    FROM cand JOIN q ON q.i = cand.i JOIN es ON es.id = cand.id
)
SELECT i, id, code, name, address,
       CASE WHEN name_score IS NULL THEN address_score
            WHEN address_score IS NULL THEN name_score
            ELSE {NAME_WEIGHT} * name_score + {1 - NAME_WEIGHT} * address_score END AS score
FROM scored
ORDER BY i, score DESC, code
"""


@dataclass
class Candidate:
    estate_id: int
    estate_code: str
    estate_name: str
    estate_address: str
    score: float


@dataclass
class AddressMatch:
    query: str
    confidence: float = 0.0
    matched: bool = False  # confidence ≥ the threshold: located automatically; else "to confirm"
    estate: Candidate | None = None
    building_id: int | None = None
    building_label: str = ""
    candidates: list[Candidate] = field(default_factory=list)

    def as_dict(self) -> dict:
        best = self.estate
        return {
            "query": self.query,
            "status": "matched" if self.matched else "to_confirm",
            "confidence": round(self.confidence, 3),
            "estate": None if best is None else {"id": best.estate_id, "code": best.estate_code,
                                                 "name": best.estate_name, "address": best.estate_address},
            "building": None if self.building_id is None else {"id": self.building_id, "label": self.building_label},
            "candidates": [{"id": c.estate_id, "code": c.estate_code, "name": c.estate_name,
                            "address": c.estate_address, "score": round(c.score, 3)} for c in self.candidates],
        }


def confidence(scores: list[float]) -> float:
    """The best score, lowered when the runner-up is close to it (two estates fit the address equally well)."""
    if not scores:
        return 0.0
    top = scores[0]
    second = scores[1] if len(scores) > 1 else 0.0
    return max(0.0, min(1.0, top * min(1.0, (top - second) / MARGIN)))


def match_addresses(texts: list[str], *, user, threshold: float | None = None) -> list[AddressMatch]:
    """Each address's best estates inside the user's jurisdiction (VIEW), with a confidence 0–1; one statement
    per BATCH distinct addresses (as parsed), one more for the buildings."""
    threshold = settings.ADDRESS_MATCH_THRESHOLD if threshold is None else threshold
    scope, scope_params = user_scope_sql(Estate, user, VIEW, "e.id")
    parsed = [parse(text) for text in texts]
    results = [AddressMatch(query=text) for text in texts]
    # The statement sees only the parts it compares (estate text, road stem, number, road + number): addresses that
    # differ only in building, unit, room, district or spelling of the same parts are looked up once.
    keys: dict[tuple[str, str, str, str], int] = {}
    key_of = [keys.setdefault(_key(p), len(keys)) for p in parsed]
    unique = list(keys)
    by_key: dict[int, list[Candidate]] = defaultdict(list)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [TRIGRAM_FLOOR])
        for start in range(0, len(unique), BATCH):
            chunk = unique[start:start + BATCH]
            params = {
                "i": list(range(start, start + len(chunk))),
                "est": [k[0] for k in chunk], "stem": [k[1] for k in chunk], "num": [k[2] for k in chunk],
                "addr": [k[3] for k in chunk],
            }
            cursor.execute(_with_scope(scope, len(scope_params)), _named(params, scope_params))
            for k, pk, code, name, address, score in cursor.fetchall():
                if len(by_key[k]) < CANDIDATES:
                    by_key[k].append(Candidate(pk, code, name, address, float(score or 0.0)))
    by_query = {i: list(by_key[k]) for i, k in enumerate(key_of) if by_key.get(k)}
    wanted: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, candidates in by_query.items():
        result = results[i]
        result.candidates = candidates
        result.estate = candidates[0]
        result.confidence = confidence([c.score for c in candidates])
        result.matched = result.confidence >= threshold
        if parsed[i].building:
            wanted[(candidates[0].estate_id, f"{int(parsed[i].building)}号楼")].append(i)
    if wanted:
        labels = {label for _, label in wanted}
        estates = {pk for pk, _ in wanted}
        for pk, estate_id, label in Building.objects.filter(estate_id__in=estates, label__in=labels).values_list(
                "pk", "estate_id", "label"):
            for i in wanted.get((estate_id, label), ()):
                results[i].building_id, results[i].building_label = pk, label
    return results


def _key(p) -> tuple[str, str, str, str]:
    """What MATCH_SQL compares of a parsed address: estate text, road stem and number (both only with the other),
    road + number."""
    return (p.estate, p.road_stem if p.number else "", p.number if p.road else "",
            f"{p.road}{p.number}号" if p.road and p.number else "")


def _with_scope(scope: str, count: int) -> str:
    """MATCH_SQL with the scope test in place; the test's positional parameters become named ones."""
    for k in range(count):
        scope = scope.replace("%s", f"%(scope{k})s", 1)
    return MATCH_SQL.replace("{scope}", scope)


def _named(params: dict, scope_params: list) -> dict:
    return {**params, **{f"scope{k}": value for k, value in enumerate(scope_params)}}


def match_address(text: str, *, user) -> AddressMatch:
    return match_addresses([text], user=user)[0]
