"""Write fixtures/hotline_orders.xlsx and fixtures/hotline_orders_gbk.csv: hotline work orders drawn from the demo
city the tests load (small scale, seed 7), for the import's tests and the complaints page (docs/COMPLAINTS.md).

    .venv/bin/python scripts/hotline_orders.py [--scale small] [--seed 7] [--count 40] [--out-dir fixtures]
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.demo.city import SCALES, generate_city  # noqa: E402
from layers.demo.hotline import hotline_orders, orders_csv, orders_xlsx  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "fixtures")
    args = parser.parse_args()
    rows = hotline_orders(generate_city(scale=args.scale, seed=args.seed), args.count)
    (args.out_dir / "hotline_orders.xlsx").write_bytes(orders_xlsx(rows))
    (args.out_dir / "hotline_orders_gbk.csv").write_bytes(orders_csv(rows).encode("gbk"))
    print(f"{len(rows)} work orders ({args.scale} demo, seed {args.seed}) → {args.out_dir}/hotline_orders.xlsx, "
          "hotline_orders_gbk.csv")


if __name__ == "__main__":
    main()
