"""Benchmark (not a test): the phone app's first load on a slow phone, and the offline map download.

    .venv/bin/python tests/benchmarks/bench_mobile.py [--url http://127.0.0.1:8000] [--user street-<code>]
        [--password demo12345] [--cpu 4]

Needs a running server with the demo data. Headless Chromium (CHROMIUM, default /usr/bin/chromium) with a phone
viewport logs in through the form (not measured), then opens /m/ with an empty cache under Chrome DevTools'
"Slow 3G" profile (Network.emulateNetworkConditions: 400 ms latency, 400 kbit/s down, 400 kbit/s up) and CPU
throttling (Emulation.setCPUThrottlingRate, 4× by default: a mid-range phone). Printed:
- time to usable: navigation start → the nearest-buildings list drawn (the user can pick a building);
- bytes transferred (encodedDataLength from Network.loadingFinished: compressed as sent), scripts and total;
- the offline map of the user's street at zooms 14–18 without throttling: tiles, bytes and seconds (the app's
  own download, read from its status).
Budget (docs/MOBILE.md): usable < 5 s, script < 300 KB compressed.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from playwright.sync_api import sync_playwright

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default=None, help="a street office (default: the first street-… account)")
    parser.add_argument("--password", default="demo12345")
    parser.add_argument("--cpu", type=float, default=4)
    parser.add_argument("--lon", type=float, default=None)
    parser.add_argument("--lat", type=float, default=None)
    args = parser.parse_args()
    user = args.user
    if user is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")
        import django
        django.setup()
        from django.contrib.auth.models import User
        user = User.objects.filter(username__startswith="street-").order_by("username").first().username

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        geo = {"longitude": args.lon, "latitude": args.lat, "accuracy": 10} if args.lon is not None else None
        context = browser.new_context(**PHONE, locale="zh-CN", service_workers="block",
                                      geolocation=geo, permissions=["geolocation"] if geo else [])
        page = context.new_page()
        page.goto(f"{args.url}/accounts/login/?next=/m/")
        page.fill("#id_username", user)
        page.fill("#id_password", args.password)
        page.click(".login__form button[type=submit]")
        page.wait_for_url(f"{args.url}/m/")
        page.wait_for_selector("#m-buildings li")
        page.goto("about:blank")

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu})
        types, sizes = {}, {"script": 0, "total": 0}
        cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
        cdp.on("Network.loadingFinished", lambda e: (
            sizes.__setitem__("total", sizes["total"] + e["encodedDataLength"]),
            types.get(e["requestId"]) == "Script" and sizes.__setitem__("script", sizes["script"] + e["encodedDataLength"])))
        started = time.perf_counter()
        page.goto(f"{args.url}/m/", wait_until="commit")
        page.wait_for_selector("#m-buildings li", timeout=120000)
        usable = time.perf_counter() - started
        page.wait_for_load_state("networkidle")
        print(f"first load of /m/ (slow 3G, CPU {args.cpu:g}x): usable {usable:.2f} s; "
              f"script {sizes['script'] / 1024:.1f} KB, total {sizes['total'] / 1024:.1f} KB transferred "
              f"(budget: usable < 5 s, script < 300 KB)")

        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        page.click("nav.m-tabs button[data-tab=offline]")
        page.click("#m-offline-estimate")
        page.wait_for_function("() => /MB/.test(document.getElementById('m-offline-status').textContent)",
                               timeout=120000)
        estimate = page.inner_text("#m-offline-status")
        if page.is_disabled("#m-offline-download"):
            print(f"offline map: over the limit, not downloaded: {estimate}")
        else:
            page.click("#m-offline-download")
            page.wait_for_function("() => localStorage.getItem('geoapp-m-offline-meta') !== null", timeout=600000)
            meta = json.loads(page.evaluate("() => localStorage.getItem('geoapp-m-offline-meta')"))
            print(f"offline map of {meta['area']} at z14–18: {meta['tiles']} tiles, {meta['bytes'] / 1024 / 1024:.2f} MB "
                  f"in {meta['seconds']:.1f} s (estimate before: {estimate})")
        browser.close()


if __name__ == "__main__":
    main()
