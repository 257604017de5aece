"""Benchmark (not a test): importing hotline work orders (docs/COMPLAINTS.md "Intake") on the dev database.

Builds N orders from the demo city the database holds (layers/demo/hotline.py, every 8th address vague), then as the
planner: the dry run (read + batch address matching + categories) and the commit (the dry run again, then one
complaint_create per order, in one transaction), and prints orders per second. The commit is rolled back, so the
database is left as it was. Needs a loaded demo (`load_demo --scale small --seed 7`, or the medium one with
--scale medium --seed 1).

    .venv/bin/python tests/benchmarks/bench_complaint_import.py [--orders 10000] [--commit-orders N] [--scale small]
        [--seed 7]
"""
import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402

from layers.demo.city import generate_city  # noqa: E402
from layers.demo.hotline import hotline_orders, orders_csv, orders_xlsx  # noqa: E402
from layers.services.complaint_import import complaint_import_check, complaint_import_commit  # noqa: E402


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--commit-orders", type=int, default=None,
                        help="commit only the first N orders (default: all)")
    args = parser.parse_args()
    user = User.objects.get(username="planner")
    # Received 7 minutes apart, ending an hour ago: no order lies in the future.
    start = datetime.datetime.now() - datetime.timedelta(minutes=7 * args.orders + 60)
    rows = hotline_orders(generate_city(scale=args.scale, seed=args.seed), args.orders, start=start)
    files = {"xlsx": orders_xlsx(rows), "csv (GBK)": orders_csv(rows).encode("gbk")}
    print(f"{args.orders:,} orders ({args.scale} demo, seed {args.seed}); "
          + ", ".join(f"{k} {len(v) / 1e6:.1f} MB" for k, v in files.items()))
    for label, data in files.items():
        name = "orders.xlsx" if label == "xlsx" else "orders.csv"
        start = time.perf_counter()
        report = complaint_import_check(user=user, data=data, name=name)
        dry = time.perf_counter() - start
        print(f"dry run {label:10s}: {dry:6.1f} s  {args.orders / dry:7.0f} orders/s  "
              f"(matched {report['counts']['new']:,}, to confirm {report['counts']['to_confirm']:,}, "
              f"errors {len(report['errors']):,})")
    n = min(args.orders, args.commit_orders or args.orders)
    data = orders_xlsx(rows[:n])
    start = time.perf_counter()
    try:
        with transaction.atomic():
            report = complaint_import_commit(user=user, data=data, name="orders.xlsx")
            commit = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    print(f"commit xlsx      : {commit:6.1f} s  {n / commit:7.0f} orders/s  "
          f"(added {report['added']:,}; rolled back)")


if __name__ == "__main__":
    main()
