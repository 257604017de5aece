"""Benchmark (not a test): hotline-address matching on the dev database — accuracy and time (docs/ADDRESS_MATCHING.md).

Needs the demo the labelled set was drawn from in the database (`make run`: medium scale, seed 1). Prints, for the
committed fixtures/address_labelled.csv and for --count addresses generated from the same demo: the share matched
automatically, top-1 accuracy among those, top-1 accuracy over all, building accuracy, and the time. Targets:
≥ 85 % automatic, ≥ 95 % correct among automatic, 10,000 addresses in < 30 s.

    .venv/bin/python tests/benchmarks/bench_address.py [--scale medium] [--seed 1] [--count 10000]
"""
import argparse
import csv
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")


def figures(rows, results) -> dict:
    """rows: (address, estate_code, building_code, kind); results: AddressMatch, same order."""
    auto = [(row, r) for row, r in zip(rows, results) if r.matched]
    right = sum(1 for row, r in auto if r.estate and r.estate.estate_code == row[1])
    top1 = sum(1 for row, r in zip(rows, results) if r.estate and r.estate.estate_code == row[1])
    with_building = [(row, r) for row, r in auto if row[2]]
    building_right = sum(1 for row, r in with_building if r.building_id is not None and r.estate.estate_code == row[1])
    return {"addresses": len(rows), "automatic": len(auto) / len(rows), "accuracy_automatic": right / max(1, len(auto)),
            "top1_all": top1 / len(rows), "building_found": building_right / len(with_building) if with_building else None}


def by_kind(rows, results) -> dict:
    out = {}
    for kind in sorted({row[3] for row in rows}):
        pairs = [(row, r) for row, r in zip(rows, results) if row[3] == kind]
        out[kind] = figures([p[0] for p in pairs], [p[1] for p in pairs])
    return out


def show(title, f):
    print(f"{title}: {f['addresses']} addresses, automatic {f['automatic']:.1%}, correct among automatic "
          f"{f['accuracy_automatic']:.1%}, top-1 over all {f['top1_all']:.1%}, building found "
          + ("–" if f["building_found"] is None else f"{f['building_found']:.1%}"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--user", default="planner", help="demo account whose jurisdiction scopes the match")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from layers.demo.addresses import labelled_addresses
    from layers.demo.city import generate_city
    from layers.models import Estate
    from layers.selectors.address import match_addresses

    user = get_user_model().objects.get(username=args.user)
    print(f"estates in the database: {Estate.objects.count():,}")
    with open(ROOT / "fixtures" / "address_labelled.csv", encoding="utf-8") as f:
        rows = [tuple(r) for r in list(csv.reader(f))[1:]]
    started = time.perf_counter()
    results = match_addresses([r[0] for r in rows], user=user)
    show(f"fixtures/address_labelled.csv ({time.perf_counter() - started:.2f} s)", figures(rows, results))
    for kind, f in by_kind(rows, results).items():
        show(f"  {kind:>18}", f)

    city = generate_city(scale=args.scale, seed=args.seed)
    generated = [(a.address, a.estate_code, a.building_code, a.kind) for a in labelled_addresses(city, args.count, 99)]
    started = time.perf_counter()
    results = match_addresses([r[0] for r in generated], user=user)
    elapsed = time.perf_counter() - started
    show(f"{args.count:,} generated ({args.scale}, seed {args.seed}) in {elapsed:.1f} s "
         f"({args.count / elapsed:,.0f}/s)", figures(generated, results))
    wrong = Counter(row[3] for row, r in zip(generated, results) if r.matched and r.estate.estate_code != row[1])
    print("wrong automatic matches by kind:", dict(wrong))


if __name__ == "__main__":
    main()
