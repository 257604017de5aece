"""Shared fixtures: the small demo city in the test database, and a headless Chromium for browser tests."""
import os
import threading
import time

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses that unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_SEED = 7

# The machines running the tests are shared and noisy: a slow draw or example is the machine, not the code.
hypothesis_settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared-machine")


def load_small_demo():
    from layers.models import Estate

    if not Estate.objects.exists():
        call_command("load_demo", scale="small", seed=DEMO_SEED, verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the small demo city (tests run in rolled-back transactions)."""
    with django_db_blocker.unblock():
        load_small_demo()


@pytest.fixture
def demo_city(transactional_db):
    """For live-server tests: transactional tests flush the tables, so reload the demo when it is gone."""
    load_small_demo()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def live_requests_finished(request):
    """After a live-server test, wait until the server has answered every request the browser sent (the page is
    closed by then): the tables are flushed next, and a tile query still running would deadlock with the flush's
    TRUNCATE. Set up after pytest-django's own autouse fixtures, so torn down before its flush."""
    yield
    if "live_server" not in request.fixturenames:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
            "process_request_thread" in thread.name for thread in threading.enumerate() if thread.is_alive()):
        time.sleep(0.05)


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and failed requests in page.errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Uploads go to a temporary folder, never into the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def empty_default_cache():
    """The default cache holds the token endpoint's per-address throttle (20 tries a minute from 127.0.0.1): each
    test starts with none of the earlier tests' tries."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def english():
    """Services called outside a request speak the default language (zh-hans); tests matching English messages
    use this fixture."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def no_demo_complaints(db):
    """The demo's year of complaints removed (inside the test's transaction): for tests that count every complaint,
    attachment or overdue case they make."""
    from layers.models import Complaint

    Complaint.objects.all().delete()
