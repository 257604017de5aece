"""Benchmark (not a test): the phone app's first load on a slow phone, and the offline map download.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_mobile.py [--url http://127.0.0.1:8000]
        [--baseline http://127.0.0.1:8001] [--rounds 3] [--user street-<code>] [--password demo12345] [--cpu 4]
        [--no-offline]

Needs a running server with the demo data (and, with --baseline, a second server running the old code on the same
database: the two are measured alternately, round after round, so that a busy machine weighs on both alike).
Headless Chromium (CHROMIUM, default /usr/bin/chromium) with a phone viewport logs in through the form (not
measured), then opens /m/ with an empty cache under Chrome DevTools' "Slow 3G" profile
(Network.emulateNetworkConditions: 400 ms latency, 400 kbit/s down, 400 kbit/s up) and CPU throttling
(Emulation.setCPUThrottlingRate, 4× by default: a mid-range phone). Printed:
- **usable**: from navigation start to the moment the nearest-buildings list has its rows (`#m-buildings li`), read
  in the page (a MutationObserver's performance.now(), so the harness adds nothing). By then the tabs are wired and
  a building can be picked from the list to mark it; the map may still be loading;
- map: from navigation start to the Leaflet map in the page (`#m-map.leaflet-container`);
- bytes transferred (encodedDataLength from Network.loadingFinished: compressed as sent), scripts and total, up to
  network idle (so the map's library and first tiles are counted too);
- the offline map of the user's street at zooms 14–18 without throttling: tiles, bytes and seconds (the app's
  own download, read from its status).
Budget (docs/MOBILE.md): usable < 5 s, script < 300 KB compressed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from playwright.sync_api import sync_playwright

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# In the page from its first byte: when the nearest list gets rows, and when the map appears (ms after navigation).
OBSERVER = """
(() => {
  window.__m = {};
  const seen = () => {
    if (!window.__m.usable && document.querySelector("#m-buildings li")) window.__m.usable = performance.now();
    if (!window.__m.map && document.querySelector("#m-map.leaflet-container")) window.__m.map = performance.now();
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true, attributes: true,
                                                 attributeFilter: ["class"] });
})();
"""


def login(context, url, user, password):
    page = context.new_page()
    page.goto(f"{url}/accounts/login/?next=/m/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click(".login__form button[type=submit]")
    page.wait_for_url(f"{url}/m/")
    page.wait_for_selector("#m-buildings li")
    page.goto("about:blank")
    return page


def first_load(context, page, url, cpu) -> dict:
    """One cold first load of /m/ under slow 3G and CPU throttling: seconds to usable and to the map, KB sent."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    types, sizes = {}, {"script": 0, "total": 0}
    cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.loadingFinished", lambda e: (
        sizes.__setitem__("total", sizes["total"] + e["encodedDataLength"]),
        types.get(e["requestId"]) == "Script" and sizes.__setitem__("script", sizes["script"] + e["encodedDataLength"])))
    page.goto(f"{url}/m/", wait_until="commit")
    page.wait_for_function("() => window.__m && window.__m.usable && window.__m.map", timeout=120000, polling=200)
    page.wait_for_load_state("networkidle")
    marks = page.evaluate("() => window.__m")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.detach()
    return {"usable": marks["usable"] / 1000, "map": marks["map"] / 1000, "script": sizes["script"] / 1024,
            "total": sizes["total"] / 1024}


def offline_download(page) -> None:
    page.click("nav.m-tabs button[data-tab=offline]")
    page.click("#m-offline-estimate")
    page.wait_for_function("() => /MB/.test(document.getElementById('m-offline-status').textContent)",
                           timeout=120000)
    estimate = page.inner_text("#m-offline-status")
    if page.is_disabled("#m-offline-download"):
        print(f"offline map: over the limit, not downloaded: {estimate}")
        return
    page.click("#m-offline-download")
    page.wait_for_function("() => localStorage.getItem('geoapp-m-offline-meta') !== null", timeout=600000)
    meta = json.loads(page.evaluate("() => localStorage.getItem('geoapp-m-offline-meta')"))
    print(f"offline map of {meta['area']} at z14–18: {meta['tiles']} tiles, {meta['bytes'] / 1024 / 1024:.2f} MB "
          f"in {meta['seconds']:.1f} s (estimate before: {estimate})")


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--baseline", default=None, help="a server with the old code, measured alternately")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--user", default=None, help="a street office (default: the first street-… account)")
    parser.add_argument("--password", default="demo12345")
    parser.add_argument("--cpu", type=float, default=4)
    parser.add_argument("--lon", type=float, default=None)
    parser.add_argument("--lat", type=float, default=None)
    parser.add_argument("--no-offline", action="store_true")
    args = parser.parse_args()
    user = args.user
    if user is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")
        import django
        django.setup()
        from django.contrib.auth.models import User
        user = User.objects.filter(username__startswith="street-").order_by("username").first().username

    servers = {"new": args.url} if not args.baseline else {"baseline": args.baseline, "new": args.url}
    runs = {name: [] for name in servers}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        geo = {"longitude": args.lon, "latitude": args.lat, "accuracy": 10} if args.lon is not None else None
        last = None
        for round_no in range(args.rounds):
            for name, url in servers.items():
                context = browser.new_context(**PHONE, locale="zh-CN", service_workers="block",
                                              geolocation=geo, permissions=["geolocation"] if geo else [])
                context.add_init_script(OBSERVER)
                page = login(context, url, user, args.password)
                run = first_load(context, page, url, args.cpu)
                runs[name].append(run)
                print(f"round {round_no + 1} {name:8} usable {run['usable']:.2f} s, map {run['map']:.2f} s; script "
                      f"{run['script']:.1f} KB, total {run['total']:.1f} KB transferred (load average {loadavg()})")
                if last is not None:
                    last[0].close()
                last = (context, page)
        for name in servers:
            usable = statistics.median(r["usable"] for r in runs[name])
            print(f"{name}: median of {args.rounds} — first load of /m/ (slow 3G, CPU {args.cpu:g}x): usable "
                  f"{usable:.2f} s, map {statistics.median(r['map'] for r in runs[name]):.2f} s; script "
                  f"{max(r['script'] for r in runs[name]):.1f} KB, total {max(r['total'] for r in runs[name]):.1f} KB "
                  f"(budget: usable < 5 s, script < 300 KB)")
        if args.baseline:
            ratio = statistics.median(r["usable"] for r in runs["new"]) / statistics.median(
                r["usable"] for r in runs["baseline"])
            print(f"usable, new / baseline: {ratio:.2f}")
        if not args.no_offline:
            offline_download(last[1])
        browser.close()


if __name__ == "__main__":
    main()
