"""OGC API – Features URLs (docs/OGC_API.md), included at ogc/ by layers/urls.py (namespace `ogc`)."""
from django.urls import path

from . import views

app_name = "ogc"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("api", views.api, name="api"),
    path("conformance", views.conformance, name="conformance"),
    path("collections", views.collections, name="collection-list"),
    path("collections/<str:collection_id>", views.collection_detail, name="collection-detail"),
    path("collections/<str:collection_id>/items", views.items, name="item-list"),
    path("collections/<str:collection_id>/items/<int:feature_id>", views.item, name="item-detail"),
]
