"""Steps shared by the browser tests."""
PASSWORD = "demo12345"


def log_in(page, live_server, username="official"):
    """Log in through the form as `username` and wait until the map has drawn."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login__form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")


def pixel(page, lon, lat):
    """The page coordinates of a lon/lat on the map (window.geoappMap)."""
    return page.evaluate(
        """([lat, lon]) => {
            const map = window.geoappMap;
            const p = map.latLngToContainerPoint([lat, lon]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lat, lon],
    )
