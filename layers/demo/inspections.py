"""The demo's daily inspections: a year of them, four per estate, by the estate's street office with the district's
default checklist; estates served badly score worse (DOMAIN.md "Supervision": inspections feed the evaluation)."""
from ..models import AdminArea, AdminLevel
from ..services.inspections import ensure_default_checklist

# Per estate, inspections on four days of the last year (a quarter apart, shifted by the estate's id). The share of
# the points each item gets depends on who served the estate that day: a black-listed or C-grade enterprise, no
# service at all and the district's fallback serve worst (the demo's badly served estates), a B-grade enterprise
# and a caretaker agency middling, the others well; a deterministic jitter per estate, day and item.
INSPECTIONS_SQL = """
WITH days AS (
  SELECT e.id AS estate_id, c.id AS community_id, s.id AS street_id, s.code AS street_code, k.id AS checklist_id,
         CURRENT_DATE - (q * 91 + e.id %% 80 + 1)::int AS day, q,
         ST_PointOnSurface(e.geom) AS point
    FROM layers_estate e
    JOIN layers_adminarea c ON c.id = e.community_id
    JOIN layers_adminarea s ON s.id = c.parent_id
    JOIN layers_checklist k ON k.district_id = s.parent_id AND k.active
    CROSS JOIN generate_series(0, 3) AS q
   WHERE s.parent_id = ANY(%(districts)s)
), served AS (
  SELECT d.*, COALESCE(sc.provider_kind, '') AS provider_kind,
         CASE WHEN sc.provider_kind = 'enterprise' THEN sc.enterprise_id END AS enterprise_id,
         CASE WHEN sc.provider_kind IS NULL OR sc.provider_kind = 'district_fallback' THEN 0.50
              WHEN en.list_status = 'black' OR en.credit_grade = 'C' THEN 0.55
              WHEN sc.provider_kind = 'caretaker_agency' OR en.credit_grade = 'B' THEN 0.70
              WHEN sc.provider_kind = 'community' THEN 0.72
              ELSE 0.86 END AS base
    FROM days d
    LEFT JOIN layers_servicecontract sc ON sc.estate_id = d.estate_id AND sc.start_date <= d.day
         AND (sc.end_date IS NULL OR sc.end_date > d.day)
    LEFT JOIN layers_enterprise en ON en.id = sc.enterprise_id
), scored AS (
  SELECT v.estate_id, v.day, i.id AS item_id,
         LEAST(i.max_score, GREATEST(0, ROUND(i.max_score * (v.base - 0.10
               + ((v.estate_id * 31 + v.q * 17 + i.position * 7) %% 23) / 100.0))))::int AS score
    FROM served v JOIN layers_checklistitem i ON i.checklist_id = v.checklist_id
), totals AS (
  SELECT estate_id, day, SUM(score) AS total FROM scored GROUP BY estate_id, day
), inserted AS (
  INSERT INTO layers_inspection (estate_id, checklist_id, provider_kind, enterprise_id, street_id, community_id,
                                 inspected_on, inspector_id, location, accuracy_m, total_score, max_score, note,
                                 created_at)
  SELECT v.estate_id, v.checklist_id, v.provider_kind, v.enterprise_id, v.street_id, v.community_id, v.day, u.id,
         v.point, 8 + v.estate_id %% 25, t.total,
         (SELECT SUM(max_score) FROM layers_checklistitem WHERE checklist_id = v.checklist_id), '',
         v.day + interval '10 hours'
    FROM served v
    JOIN totals t ON t.estate_id = v.estate_id AND t.day = v.day
    JOIN auth_user u ON u.username = 'street-' || v.street_code
  RETURNING id, estate_id, inspected_on
)
INSERT INTO layers_inspectionscore (inspection_id, item_id, score, note)
SELECT n.id, s.item_id, s.score, '' FROM inserted n JOIN scored s ON s.estate_id = n.estate_id AND s.day = n.inspected_on
"""


def demo_inspections(raw, district_codes: list[str]) -> int:
    """Give each demo district the default checklist and a year of inspections; return how many."""
    districts = list(AdminArea.objects.filter(level=AdminLevel.DISTRICT, code__in=district_codes))
    for district in districts:
        ensure_default_checklist(district)
    raw.execute(INSPECTIONS_SQL, {"districts": [d.pk for d in districts]})
    raw.execute("SELECT COUNT(*) FROM layers_inspection i JOIN layers_adminarea s ON s.id = i.street_id "
                "WHERE s.parent_id = ANY(%s)", [[d.pk for d in districts]])
    return raw.fetchone()[0]
