"""URLs of the service feature, included at the site root by layers/urls.py (filled in by its issue)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
