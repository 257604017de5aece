"""Benchmark (not a test): bytes on the wire for the map, dashboard, service and plan pages, uncompressed, gzip and br.

    .venv/bin/python tests/benchmarks/bench_bytes.py [--url http://127.0.0.1:8000] [--user planner]
        [--password demo12345] [--plan ID] [--write]

Needs a running server with the demo data (`make run`: runserver, DEBUG, static files from the app folders
compressed on the fly; or the production settings: collected static files with their .br/.gz twins). Headless
Chromium (CHROMIUM, default /usr/bin/chromium) logs in through the form, opens each page and waits until the page
has drawn and the network is idle; every same-origin request it made (the page, its JSON/GeoJSON, scripts, styles,
tiles) is then fetched again with the browser's session three times, with Accept-Encoding identity, gzip and
"gzip, deflate, br", and the bytes of the body as sent (before decoding) are added up. The plan page is the first
plan of a street unless --plan names one. --write puts the table into docs/BENCHMARKS.md between the
"bytes" markers (inside the notes that bench_interop.py keeps).
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- bytes -->", "<!-- /bytes -->"
CODINGS = {"identity": "identity", "gzip": "gzip", "br": "gzip, deflate, br"}
PAGES = [("map", "/", "body[data-map-ready=true]"), ("dashboard", "/dashboard/", None),
         ("service", "/service/", None), ("plan", None, None)]


def kind_of(url: str, content_type: str) -> str:
    path = urlsplit(url).path
    if path.endswith(".mvt"):
        return "tiles"
    if "html" in content_type:
        return "page"
    if "json" in content_type:
        return "json"
    if "javascript" in content_type:
        return "js"
    if "css" in content_type:
        return "css"
    return "other"


def wire_bytes(session: requests.Session, url: str, accept: str) -> tuple[int, str, str]:
    """(bytes of the body as sent, Content-Encoding, Content-Type)."""
    with session.get(url, headers={"Accept-Encoding": accept}, stream=True, timeout=120) as response:
        raw = response.raw.read(decode_content=False)
        return len(raw), response.headers.get("Content-Encoding", ""), response.headers.get("Content-Type", "")


def visit(page, base: str, path: str, ready: str | None) -> list[str]:
    seen: list[str] = []

    def on_response(response):
        if response.url.startswith(base) and response.request.method == "GET" and response.status == 200:
            seen.append(response.url)

    page.on("response", on_response)
    page.goto(base + path)
    if ready:
        page.wait_for_selector(ready, timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    page.wait_for_timeout(1500)
    page.remove_listener("response", on_response)
    return list(dict.fromkeys(seen))


def plan_path(session: requests.Session, base: str) -> str:
    items = session.get(f"{base}/api/plans/", timeout=60).json()["plans"]
    if not items:
        sys.exit("no plan in the database: give --plan")
    return f"/plans/{items[0]['id']}/"


def measure(args) -> dict:
    base = args.url.rstrip("/")
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click(".login__form button[type=submit]")
        page.wait_for_url(f"{base}/")
        session = requests.Session()
        for cookie in page.context.cookies():
            session.cookies.set(cookie["name"], cookie["value"])
        for name, path, ready in PAGES:
            if name == "plan":
                path = f"/plans/{args.plan}/" if args.plan else plan_path(session, base)
            urls = visit(page, base, path, ready)
            rows = []
            for url in urls:
                sizes = {}
                for coding, accept in CODINGS.items():
                    size, sent_as, content_type = wire_bytes(session, url, accept)
                    sizes[coding] = size
                    sizes[coding + "_as"] = sent_as
                rows.append({"url": url[len(base):], "kind": kind_of(url, content_type), **sizes})
            results[name] = {"path": path, "rows": rows}
        browser.close()
    return results


def kb(n: int) -> str:
    return f"{n / 1024:,.1f}"


def table(results: dict, args) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Measured {when} with `tests/benchmarks/bench_bytes.py --url {args.url}` as {args.user}: every "
             "same-origin GET the page made, fetched again with each Accept-Encoding; bytes of the bodies as sent "
             "(KB = 1024 bytes; headers not counted).", "",
             "| page | requests | identity KB | gzip KB | br KB | br ÷ identity |", "|---|---:|---:|---:|---:|---:|"]
    for name, result in results.items():
        rows = result["rows"]
        total = {c: sum(r[c] for r in rows) for c in CODINGS}
        lines.append(f"| {name} (`{result['path']}`) | {len(rows)} | {kb(total['identity'])} | {kb(total['gzip'])} | "
                     f"{kb(total['br'])} | {total['br'] / max(total['identity'], 1):.0%} |")
    lines += ["", "By kind (all four pages together):", "",
              "| kind | requests | identity KB | gzip KB | br KB |", "|---|---:|---:|---:|---:|"]
    kinds = defaultdict(lambda: defaultdict(int))
    for result in results.values():
        for r in result["rows"]:
            kinds[r["kind"]]["n"] += 1
            for c in CODINGS:
                kinds[r["kind"]][c] += r[c]
    for kind, t in sorted(kinds.items()):
        lines.append(f"| {kind} | {t['n']} | {kb(t['identity'])} | {kb(t['gzip'])} | {kb(t['br'])} |")
    lines += ["", "Largest answers:", "", "| page | request | identity KB | gzip KB | br KB |",
              "|---|---|---:|---:|---:|"]
    biggest = sorted(((name, r) for name, result in results.items() for r in result["rows"]),
                     key=lambda item: -item[1]["identity"])[:10]
    for name, r in biggest:
        url = re.sub(r"\?.*", "?…", r["url"]) if len(r["url"]) > 70 else r["url"]
        lines.append(f"| {name} | `{url}` | {kb(r['identity'])} | {kb(r['gzip'])} | {kb(r['br'])} |")
    return "\n".join(lines)


def write(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in doc:
        doc = re.sub(re.escape(START) + r"[\s\S]*?" + re.escape(END), lambda _m: block, doc)
    else:
        doc = doc.replace("<!-- /notes -->", f"### Bytes on the wire (compression)\n\n{block}\n\n<!-- /notes -->", 1)
    DOC.write_text(doc, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="planner")
    parser.add_argument("--password", default="demo12345")
    parser.add_argument("--plan", type=int, help="the plan page to measure (default: the first plan)")
    parser.add_argument("--write", action="store_true", help="put the table into docs/BENCHMARKS.md")
    args = parser.parse_args()
    text = table(measure(args), args)
    print(text)
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
