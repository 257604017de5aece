"""A developer finds the API documentation from the admin and tries an endpoint there, with nothing from outside."""
import re
from pathlib import Path

from .browser_helpers import log_in

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def test_developer_opens_the_api_docs_from_the_admin_and_tries_search(page, live_server, demo_city):
    from layers.models import Estate

    requested = []
    page.on("request", lambda request: requested.append(request.url))
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/")
    page.click("a[data-link=api-docs]")
    page.wait_for_url(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 20  # every documented operation is listed
    page.screenshot(path=str(ARTIFACTS / "api-docs-top.png"))

    estate = Estate.objects.order_by("pk").first()
    search = page.locator("#operations-map-search_retrieve")
    search.locator(".opblock-summary").click()
    search.locator("button.try-out__btn").click()
    search.locator("input[placeholder=q]").fill(estate.name)
    search.locator("button.execute").click()
    status = search.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert status.inner_text().strip() == "200"
    assert f'"id": {estate.pk}' in search.locator(".live-responses-table .microlight").first.inner_text()

    outside = [url for url in requested if not url.startswith(live_server.url) and not re.match(r"(data|blob):", url)]
    assert not outside, outside
    assert not page.errors, (page.errors, failed)
