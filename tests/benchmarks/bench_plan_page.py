"""Benchmark (not a test): bytes and time of the plan page (/plans/<id>/) for one street and the whole district.

    .venv/bin/python tests/benchmarks/bench_plan_page.py [--runs 3] [--street CODE] [--server gunicorn|thread]
                                                         [--static cold|warm] [--edit none|enterprise|delete]

Runs on the dev database (DATABASE_URL) holding the medium demo (`manage.py load_demo --scale medium --seed 1`).
Creates a street plan and a district plan as the planner, serves the project from Django's live-server thread (the
browser tests' server: one process, a new database connection per request; --server gunicorn: gunicorn with the
production settings as load_run.py runs it, after collectstatic — slow to start), logs in through the form, opens each
plan page in headless Chromium (1400×900, cold browser cache, one new context per run) and waits until the page
says it is ready and the network is idle. Every response is recorded: the page's data (the HTML, the JSON API and
the vector tiles) apart from the static files (Leaflet, scripts, styles: cached by the browser after the first
visit). Bytes are the bodies decoded (resource timing's decodedBodySize) and on the wire (encodedBodySize: as sent,
Brotli or gzip where the server compresses — the JSON, the HTML and the plan's tiles); "all gzip" is the same bodies
fetched again and compressed here (level 6). Time is from the start of the navigation to the end of the last response. The two
plans are deleted afterwards.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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


RESOURCES = """() => [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
    .map((e) => [e.name, e.decodedBodySize, e.responseEnd, e.startTime, e.responseStart, e.encodedBodySize])"""


STATIC_FILES: dict[str, tuple[int, dict, bytes]] = {}  # url → the answer, as a browser cache keeps it (--static warm)


def from_cache(route):
    """A static file answered as from the browser's cache, without the network (the hashed files of the production
    settings are cached for a year; the benchmark's first visit fills this)."""
    url = route.request.url
    if url not in STATIC_FILES:
        answer = route.fetch()
        STATIC_FILES[url] = (answer.status, answer.headers, answer.body())
    status, headers, body = STATIC_FILES[url]
    route.fulfill(status=status, headers=headers, body=body)


def measure(browser, base: str, session: dict, path: str, static: str = "cold", kept=None) -> dict:
    """One opening of `path`. `kept`: the one browser context of --static browser (its HTTP cache kept between runs,
    as a planner's browser keeps it); else a new context per run."""
    context = kept or browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                          storage_state=session)
    if static == "warm":
        context.route("**/static/**", from_cache)
    page = context.new_page()
    if os.environ.get("BENCH_DEBUG"):
        page.on("console", lambda msg: print("console:", msg.text))
    page.goto(base + path)
    try:
        page.wait_for_selector("#plan[data-ready=true]", timeout=60_000)
    except Exception:
        print(page.url, page.content()[:2000])
        raise
    page.wait_for_load_state("networkidle")
    # Sizes from the browser's resource timing (the bodies as received, uncompressed here); gzip by fetching the
    # data again in the same session and compressing it.
    resources = page.evaluate(RESOURCES)
    elapsed = max(r[2] for r in resources) / 1000
    if os.environ.get("BENCH_WATERFALL"):
        for url, size, end, start, first_byte, wire in sorted(resources, key=lambda r: r[3]):
            print(f"  {start:7.0f} {first_byte:7.0f} {end:7.0f} {size / 1024:7.1f} KB {wire / 1024:7.1f} KB wire  "
                  f"{url.replace(base, '')[:90]}")
        marks = page.evaluate("""() => { const n = performance.getEntriesByType("navigation")[0];
            return [n.domInteractive, n.domContentLoadedEventStart, n.loadEventStart]; }""")
        print("  document parsed {:.0f} ms, DOMContentLoaded {:.0f} ms, load {:.0f} ms".format(*marks))
    data = []
    for url, size, *_, wire in resources:
        if kind(url) == "static":
            continue
        body = context.request.get(url).body()
        data.append((kind(url), size, len(gzip.compress(body, 6)), url, wire))
    if os.environ.get("BENCH_DEBUG"):
        page.screenshot(path=f"/tmp/bench-{path.strip('/').replace('/', '-')}.png")
        print(sorted({u.split("/tiles/")[1].split("/")[1] for _, _, _, u, _ in data if "/tiles/" in u}))
    page.close() if kept else context.close()
    return {
        "seconds": elapsed,
        "requests": len(data),
        "bytes": sum(b[1] for b in data),
        "gzip": sum(b[2] for b in data),
        "wire": sum(b[4] for b in data),
        "wire_by_kind": {k: sum(b[4] for b in data if b[0] == k) for k in ("html", "api", "tiles")},
        "by_kind": {k: sum(b[1] for b in data if b[0] == k) for k in ("html", "api", "tiles")},
        "static": sum(r[1] for r in resources if kind(r[0]) == "static"),
        "largest": sorted(data, key=lambda b: -b[1])[:3],
    }


def log_in(browser, base: str) -> dict:
    """The planner's session (storage state), logged in through the form as a user would."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", os.environ.get("DEMO_PASSWORD", "demo12345"))
    page.click(".login__form button[type=submit]")
    page.wait_for_url(base + "/")
    state = context.storage_state()
    context.close()
    return state


@contextlib.contextmanager
def thread_server():
    """Django's live-server thread (the test suite's server): one process, a new connection per request."""
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    settings.ALLOWED_HOSTS = ["*"]
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()


@contextlib.contextmanager
def gunicorn_server(workers: int, threads: int):
    """gunicorn with the production settings, as tests/benchmarks/load_run.py runs it (static files collected
    first, into the ignored staticfiles/)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import secrets

    import load_run

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoapp.settings_production", "SECRET_KEY": secrets.token_hex(32)}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], check=True,
                   env=env, cwd=ROOT)
    with load_run.serving(os.environ["DATABASE_URL"], secret_key=env["SECRET_KEY"], workers=workers,
                          threads=threads) as (base, _):
        yield base


def edit(user, plan, how: str) -> None:
    """One edit of the plan through its services, as the page's buttons make it (a new plan version)."""
    from layers.models import Enterprise
    from layers.services.plans import bundle_delete, bundle_enterprise_set

    if how == "none":
        return
    plan.refresh_from_db()
    bundle = plan.bundles.order_by("-rank").first()
    if how == "delete":
        bundle_delete(user=user, plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version)
    else:
        enterprises = list(Enterprise.objects.filter(list_status="normal").order_by("pk")[:2])
        chosen = enterprises[1] if bundle.enterprise_id == enterprises[0].pk else enterprises[0]
        bundle_enterprise_set(user=user, plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version,
                              enterprise_id=chosen.pk)
    plan.refresh_from_db()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--street", default=None, help="a street code; default the planner's district's first street")
    parser.add_argument("--server", choices=["gunicorn", "thread"], default="thread",
                        help="Django's live-server thread (default) or gunicorn with the production settings")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--edit", choices=["none", "enterprise", "delete"], default="none",
                        help="before every run, edit the plan as the planner would (enterprise: set the enterprise of "
                             "a bundle; delete: delete a bundle): the page's first opening after an edit")
    parser.add_argument("--static", choices=["cold", "warm", "browser"], default="cold",
                        help="cold: every run loads the scripts and styles from the server (a first visit); warm: "
                             "from a copy the benchmark keeps (Playwright's routing: every request of the page then "
                             "passes through Playwright, which adds its own delay on a busy machine), the data "
                             "fetched anew; browser: one browser profile for all runs, whose HTTP cache keeps "
                             "what the server lets it keep (the static files; a tile for 30 s), as a planner's does")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from playwright.sync_api import sync_playwright

    from layers.models import AdminArea, TakeoverPlan
    from layers.services.plans import plan_create

    user = User.objects.get(username="planner")
    streets = AdminArea.objects.filter(level="street", parent=user.profile.district_id).order_by("code")  # its district
    street = streets.get(code=args.street) if args.street else streets.first()
    start = datetime.date.today() + datetime.timedelta(days=30)
    plans = {
        f"street {street.name}": plan_create(user=user, name="benchmark street", start_date=start,
                                             street_id=street.pk),
        "whole district": plan_create(user=user, name="benchmark district", start_date=start),
    }
    server = gunicorn_server(args.workers, args.threads) if args.server == "gunicorn" else thread_server()
    try:
        with server as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            print("server up:", base, flush=True)
            session = log_in(browser, base)
            print("logged in", flush=True)
            kept = None
            if args.static == "browser":
                profile = tempfile.mkdtemp(prefix="bench-plan-profile-")
                kept = p.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, headless=True, args=["--no-sandbox"],
                    viewport={"width": 1400, "height": 900}, locale="zh-CN")
                kept.add_cookies(session["cookies"])
            for plan in plans.values():  # warm up the server (and the kept browser's cache of static files)
                measure(browser, base, session, f"/plans/{plan.pk}/", args.static, kept)
            print(f"server: {args.server}" + (f" ({args.workers} workers × {args.threads} threads)"
                                               if args.server == "gunicorn" else "") + f"; static files {args.static}"
                  + f"; edit before each run: {args.edit}")
            print("| plan | bundles | data requests | bytes (html / api / tiles) | on the wire (html / api / tiles) "
                  f"| all gzip | time, median of {args.runs} | static files |")
            print("|---|---|---|---|---|---|---|---|")
            for label, plan in plans.items():
                runs = []
                for _ in range(args.runs):
                    edit(user, plan, args.edit)
                    runs.append(measure(browser, base, session, f"/plans/{plan.pk}/", args.static, kept))
                r = runs[-1]
                k, w = r["by_kind"], r["wire_by_kind"]
                each = ", ".join(f"{x['seconds']:.2f}" for x in runs)
                print(f"| {label} | {plan.bundles.count()} | {r['requests']} | {r['bytes'] / 1024:,.0f} KB "
                      f"({k['html'] / 1024:,.0f} / {k['api'] / 1024:,.0f} / {k['tiles'] / 1024:,.0f}) "
                      f"| {r['wire'] / 1024:,.0f} KB ({w['html'] / 1024:,.0f} / {w['api'] / 1024:,.0f} / "
                      f"{w['tiles'] / 1024:,.0f}) | {r['gzip'] / 1024:,.0f} KB | {statistics.median(x['seconds'] for x in runs):.2f} s "
                      f"({each}) | {r['static'] / 1024:,.0f} KB |")
                for _, size, _, url, wire in r["largest"]:
                    print(f"|   largest | | | {size / 1024:,.0f} KB | {wire / 1024:,.0f} KB | | "
                          f"{url.replace(base, '')} | |")
            if kept:
                kept.close()
                shutil.rmtree(profile, ignore_errors=True)
            browser.close()
    finally:
        TakeoverPlan.objects.filter(pk__in=[p.pk for p in plans.values()]).delete()


if __name__ == "__main__":
    main()
