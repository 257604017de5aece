"""Benchmark (not a test): p50/p95 of all coverage figures (levels city, district, street, community) on the dev database.

Uses the dev database as configured (the MEDIUM demo, ~10k estates). Prints a same-session baseline,
SELECT count(*) FROM layers_estate, because the machines are shared and absolute times are noisy. Targets: the
district's three levels together under 300 ms; with `--districts 4` (a city of 4 medium districts: the loaded
district's admin areas, estates, contracts and renovation projects copied 3 times as further districts of the city,
inside a transaction that is rolled back at the end, so the database is unchanged) all city figures (4 levels) and
the city trend under 1 s.

    .venv/bin/python tests/benchmarks/bench_coverage.py [--repeat 20] [--date 2023-01-01] [--districts 4]
"""
import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# One more district like the first (DOMAIN.md "Levels"): admin areas, estates, contracts, renovation projects with new
# ids and codes (suffix %(k)s). Buildings and abandonment reports are not copied.
CLONE_DISTRICT_SQL = """
CREATE TEMP TABLE area_map ON COMMIT DROP AS
  WITH first AS (SELECT id FROM layers_adminarea WHERE level = 'district' ORDER BY code LIMIT 1)
  SELECT a.id AS old_id, nextval(pg_get_serial_sequence('layers_adminarea', 'id')) AS new_id, a.level
    FROM layers_adminarea a
    LEFT JOIN layers_adminarea p1 ON p1.id = a.parent_id
   WHERE (SELECT id FROM first) IN (a.id, a.parent_id, p1.parent_id);
INSERT INTO layers_adminarea (id, level, parent_id, code, name, geom)
  SELECT m.new_id, a.level, COALESCE(p.new_id, a.parent_id), a.code || 'K%(k)s', a.name || '%(k)s', a.geom
    FROM area_map m JOIN layers_adminarea a ON a.id = m.old_id LEFT JOIN area_map p ON p.old_id = a.parent_id
   ORDER BY CASE a.level WHEN 'district' THEN 0 WHEN 'street' THEN 1 ELSE 2 END;
CREATE TEMP TABLE estate_map ON COMMIT DROP AS
  SELECT e.id AS old_id, nextval(pg_get_serial_sequence('layers_estate', 'id')) AS new_id
    FROM layers_estate e JOIN area_map m ON m.old_id = e.community_id;
INSERT INTO layers_estate (id, code, name, address, build_year, households, floor_area, is_open, owners_committee,
                           geom, community_id)
  SELECT em.new_id, e.code || 'K%(k)s', e.name, e.address, e.build_year, e.households, e.floor_area, e.is_open,
         e.owners_committee, e.geom, m.new_id
    FROM estate_map em JOIN layers_estate e ON e.id = em.old_id JOIN area_map m ON m.old_id = e.community_id;
INSERT INTO layers_servicecontract (estate_id, provider_kind, enterprise_id, caretaker_agency_id, mode, start_date,
                                    end_date, note, created_at)
  SELECT em.new_id, c.provider_kind, c.enterprise_id, c.caretaker_agency_id, c.mode, c.start_date, c.end_date, c.note,
         c.created_at
    FROM layers_servicecontract c JOIN estate_map em ON em.old_id = c.estate_id;
INSERT INTO layers_renovationproject (estate_id, name, items, funding_city, funding_district, funding_social,
                                      funding_owners, status, start_year, end_year)
  SELECT em.new_id, p.name, p.items, p.funding_city, p.funding_district, p.funding_social, p.funding_owners, p.status,
         p.start_year, p.end_year
    FROM layers_renovationproject p JOIN estate_map em ON em.old_id = p.estate_id;
DROP TABLE area_map; DROP TABLE estate_map;
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--date", default=None)
    parser.add_argument("--districts", type=int, default=1, help="districts of the city (copies of the loaded one)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for k in range(2, args.districts + 1):
                cursor.execute(CLONE_DISTRICT_SQL % {"k": k})
            if args.districts > 1:
                cursor.execute("ANALYZE layers_adminarea; ANALYZE layers_estate; ANALYZE layers_servicecontract;"
                               " ANALYZE layers_renovationproject")
                print(f"copied the district {args.districts - 1} times in {time.perf_counter() - started:.1f} s"
                      " (rolled back at the end)")
        run_cases(args)
        transaction.set_rollback(True)


def run_cases(args):
    from django.db import connection
    from django.utils import timezone

    from layers.selectors.coverage import coverage_figures, coverage_trend

    on = datetime.date.fromisoformat(args.date) if args.date else timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_estate")
        estates = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM layers_adminarea WHERE level = 'district'")
        districts = cursor.fetchone()[0]
    print(f"estates: {estates}, districts: {districts}, date: {on}, runs: {args.repeat}")

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM layers_estate")
            cursor.fetchone()

    def levels(level):
        return lambda: coverage_figures(on=on, level=level)

    all_levels = ("city", "district", "street", "community")
    cases = [("baseline count(*)", baseline)] + [(f"figures {lvl}", levels(lvl)) for lvl in all_levels]
    cases.append(("all city figures", lambda: [coverage_figures(on=on, level=lvl) for lvl in all_levels]))
    start = on.replace(year=on.year - 10, day=1)
    cases.append(("city trend, 10 years", lambda: coverage_trend(area_id=None, start=start, end=on)))
    for name, run in cases:
        run()  # warm up
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(samples)
        print(f"{name:<24} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")


if __name__ == "__main__":
    main()
