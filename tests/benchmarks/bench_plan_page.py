"""Benchmark (not a test): bytes and time of the plan page (/plans/<id>/) for one street and the whole district.

    .venv/bin/python tests/benchmarks/bench_plan_page.py [--runs 3] [--street CODE]

Runs on the dev database (DATABASE_URL) holding the medium demo (`manage.py load_demo --scale medium --seed 1`).
Creates a street plan and a district plan as the planner, serves the project from a live-server thread, opens each
plan page in headless Chromium (1400×900, cold browser cache, one new context per run) and waits until the page
says it is ready and the network is idle. Every response is recorded: the page's data (the HTML, the JSON API and
the vector tiles) apart from the static files (Leaflet, scripts, styles: cached by the browser after the first
visit). Bytes are uncompressed bodies; "gzip" is the same bodies compressed here (level 6), as a compressing
middleware would send them. Time is from the start of the navigation to the end of the last response. The two
plans are deleted afterwards.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
END_OF_LOAD = """() => Math.max(0, ...performance.getEntriesByType("resource").map((e) => e.responseEnd),
                                 performance.getEntriesByType("navigation")[0].responseEnd)"""


def kind(url: str) -> str:
    path = url.split("?", 1)[0]
    if "/static/" in path:
        return "static"
    if "/tiles/" in path:
        return "tiles"
    if "/api/" in path:
        return "api"
    return "html"


def measure(browser, base: str, cookie: dict, path: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.add_cookies([cookie])
    page = context.new_page()
    bodies = []

    def record(response):
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has no body
            return
        bodies.append((kind(response.url), len(body), len(gzip.compress(body, 6)), response.url))

    page.on("response", record)
    page.goto(base + path)
    try:
        page.wait_for_selector("#plan[data-ready=true]", timeout=60_000)
    except Exception:
        print(page.url, page.content()[:2000], bodies[:5])
        raise
    page.wait_for_load_state("networkidle")
    elapsed = page.evaluate(END_OF_LOAD) / 1000
    context.close()
    data = [b for b in bodies if b[0] != "static"]
    return {
        "seconds": elapsed,
        "requests": len(data),
        "bytes": sum(b[1] for b in data),
        "gzip": sum(b[2] for b in data),
        "by_kind": {k: sum(b[1] for b in data if b[0] == k) for k in ("html", "api", "tiles")},
        "static": sum(b[1] for b in bodies if b[0] == "static"),
        "largest": sorted(data, key=lambda b: -b[1])[:3],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--street", default=None, help="a street code; default the first street")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test import Client
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from layers.models import AdminArea, TakeoverPlan
    from layers.services.plans import plan_create

    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.get(username="planner")
    streets = AdminArea.objects.filter(level="street").order_by("code")
    street = streets.get(code=args.street) if args.street else streets.first()
    start = datetime.date.today() + datetime.timedelta(days=30)
    plans = {
        f"street {street.name}": plan_create(user=user, name="benchmark street", start_date=start,
                                             street_id=street.pk),
        "whole district": plan_create(user=user, name="benchmark district", start_date=start),
    }
    client = Client()
    client.force_login(user)
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": base}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            measure(browser, base, cookie, f"/plans/{plans['whole district'].pk}/")  # warm up the server
            print("| plan | bundles | data requests | bytes (html / api / tiles) | gzip | time, median of "
                  f"{args.runs} | static files |")
            print("|---|---|---|---|---|---|---|")
            for label, plan in plans.items():
                runs = [measure(browser, base, cookie, f"/plans/{plan.pk}/") for _ in range(args.runs)]
                r = runs[-1]
                k = r["by_kind"]
                each = ", ".join(f"{x['seconds']:.2f}" for x in runs)
                print(f"| {label} | {plan.bundles.count()} | {r['requests']} | {r['bytes'] / 1024:,.0f} KB "
                      f"({k['html'] / 1024:,.0f} / {k['api'] / 1024:,.0f} / {k['tiles'] / 1024:,.0f}) "
                      f"| {r['gzip'] / 1024:,.0f} KB | {statistics.median(x['seconds'] for x in runs):.2f} s "
                      f"({each}) | {r['static'] / 1024:,.0f} KB |")
                for _, size, _, url in r["largest"]:
                    print(f"|   largest | | | {size / 1024:,.0f} KB | | {url.replace(base, '')} | |")
            browser.close()
    finally:
        server.terminate()
        TakeoverPlan.objects.filter(pk__in=[p.pk for p in plans.values()]).delete()


if __name__ == "__main__":
    main()
