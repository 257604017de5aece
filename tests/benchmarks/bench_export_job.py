"""Benchmark (not a test): a whole-layer export as a background job on the dev database (docs/JOBS.md).

For each format, starts the job as the planner (the service the API calls) and runs it with the worker's task,
job_run, in a fresh child process (what one django-q2 worker process does), so each figure is that process's own:
wall time of the job, the process's peak resident memory (ru_maxrss) and its memory before the job. Needs the medium
demo city (`load_demo --scale medium --seed 1`); writes export files under MEDIA_ROOT/jobs/ and one Job row each
(deleted afterwards with their files).

    .venv/bin/python tests/benchmarks/bench_export_job.py [--layer buildings] [--formats gpkg,csv,shp]
"""
import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from layers.models import Job  # noqa: E402
from layers.services import jobs  # noqa: E402


def run_in_child(job_id: int, queue) -> None:
    connection.close()  # the parent's connection is not the child's
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    jobs.job_run(job_id)
    queue.put((time.perf_counter() - start, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="buildings")
    parser.add_argument("--formats", default="gpkg,csv,shp")
    args = parser.parse_args()
    planner = User.objects.get(username="planner")
    print(f"{'format':8} {'features':>9} {'seconds':>8} {'file MB':>8} {'peak RSS MB':>12} {'RSS before MB':>14}")
    for fmt in args.formats.split(","):
        job = jobs.export_job_start(user=planner, layer=args.layer, fmt=fmt, query={})
        connection.close()
        queue = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(target=run_in_child, args=(job.pk, queue))
        child.start()
        seconds, before_kb, peak_kb = queue.get()
        child.join()
        job = Job.objects.get(pk=job.pk)
        assert job.status == "done", job.message
        print(f"{fmt:8} {job.result['features']:>9,} {seconds:>8.1f} {job.result['bytes'] / 1e6:>8.1f} "
              f"{peak_kb / 1024:>12.0f} {before_kb / 1024:>14.0f}")
        job.result_file.delete(save=False)
        job.delete()


if __name__ == "__main__":
    main()
