"""URLs of the export feature (docs/EXPORT.md), included at the site root by layers/urls.py."""
from django.urls import path

from layers.api import export

urlpatterns = [
    path("api/export/", export.export_layers, name="export-layers"),
    path("api/export/<str:layer>.<str:fmt>", export.export_layer, name="export-layer"),
]
