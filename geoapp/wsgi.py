"""WSGI entry point (gunicorn geoapp.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")
application = get_wsgi_application()

# Logged-in tile requests skip the Django request cycle (same permissions and headers): layers/tiles/fast.py.
if os.environ.get("TILE_LANE", "1") != "0":  # TILE_LANE=0: every tile through Django (to compare)
    from layers.tiles.fast import TileLane  # noqa: E402  (needs the apps loaded above)

    application = TileLane(application)
