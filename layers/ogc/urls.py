"""OGC API – Features URLs (docs/OGC_API.md), included at ogc/ by layers/urls.py."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.landing, name="ogc-landing"),
    path("api", views.api, name="ogc-api"),
    path("conformance", views.conformance, name="ogc-conformance"),
    path("collections", views.collections, name="ogc-collections"),
    path("collections/<str:collection_id>", views.collection_detail, name="ogc-collection"),
    path("collections/<str:collection_id>/items", views.items, name="ogc-items"),
    path("collections/<str:collection_id>/items/<int:feature_id>", views.item, name="ogc-item"),
]
