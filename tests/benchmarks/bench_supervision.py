"""Benchmark (not a test): the dashboard's complaint figures on the dev database (docs/COMPLAINTS.md "Officials' view").

Load the demo first (`.venv/bin/python manage.py load_demo --scale medium`), then

    .venv/bin/python tests/benchmarks/bench_supervision.py [--repeat 5] [--user planner]

Prints the best and median time of each figure family for the year up to today: per street, per enterprise, per
district, the assessment ranking, the export's per-area figures, the hotspot points, and the whole /dashboard/ page.
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


def timed(repeat: int, call) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--user", default="planner")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from layers.models import Complaint, Estate
    from layers.selectors import supervision
    from layers.selectors.coverage import home_area

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = get_user_model().objects.get(username=args.user)
    end = timezone.localdate()
    start = end - datetime.timedelta(days=364)
    home = home_area(user)
    client = Client()
    client.force_login(user)
    print(f"{Complaint.objects.count()} complaints, {Estate.objects.count()} estates; user {args.user}, "
          f"home {home.name if home else '—'}; {start} – {end}; best / median of {args.repeat}")
    cases = [
        ("complaints_by_street", lambda: supervision.complaints_by_street(user=user, start=start, end=end)),
        ("complaints_by_enterprise", lambda: supervision.complaints_by_enterprise(user=user, start=start, end=end)),
        ("complaints_by_district", lambda: supervision.complaints_by_district(user=user, start=start, end=end)),
        ("assessment_ranking", lambda: supervision.assessment_ranking(user=user, home=home, end=end)["rows"]),
        ("area_complaint_figures(community)", lambda: supervision.area_complaint_figures(level="community", end=end)),
        ("complaint_hotspot_points", lambda: supervision.complaint_hotspot_points(user=user, start=start, end=end)),
        ("GET /dashboard/", lambda: client.get("/dashboard/")),
        ("GET /api/coverage/export.csv?level=community",
         lambda: client.get("/api/coverage/export.csv", {"level": "community"})),
        ("GET /reports/coverage/", lambda: client.get("/reports/coverage/")),
    ]
    for name, call in cases:
        best, median, result = timed(args.repeat, call)
        size = getattr(result, "status_code", None) or len(result)
        print(f"{name:48s} {best * 1000:8.1f} ms {median * 1000:8.1f} ms   ({size})")


if __name__ == "__main__":
    main()
