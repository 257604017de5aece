"""OGC API – Features URLs, included at ogc/ by layers/urls.py."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
