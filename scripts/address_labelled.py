"""Write fixtures/address_labelled.csv: hotline-style addresses labelled with their estate, drawn from the default
demo city (`make run`: medium scale, seed 1), so it matches what load_demo writes (docs/ADDRESS_MATCHING.md).

    .venv/bin/python scripts/address_labelled.py [--scale medium] [--seed 1] [--count 600] [--out fixtures/...]
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.demo.addresses import labelled_addresses, labelled_csv  # noqa: E402
from layers.demo.city import SCALES, generate_city  # noqa: E402

DEFAULT_OUT = ROOT / "fixtures" / "address_labelled.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    city = generate_city(scale=args.scale, seed=args.seed)
    args.out.write_text(labelled_csv(labelled_addresses(city, args.count)), encoding="utf-8")
    print(f"{args.count} labelled addresses ({args.scale} demo, seed {args.seed}) → {args.out}")


if __name__ == "__main__":
    main()
