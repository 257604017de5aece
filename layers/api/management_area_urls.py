"""Management-area editing API (docs/EDIT_API.md), under api/management-areas/."""
from django.urls import path

from . import management_areas as views

urlpatterns = [
    path("", views.areas, name="management-areas"),
    path("validate/", views.validate, name="management-area-validate"),
    path("clip/", views.clip, name="management-area-clip"),
    path("merge/", views.merge, name="management-area-merge"),
    path("<int:pk>/", views.area, name="management-area"),
    path("<int:pk>/split/", views.split, name="management-area-split"),
    path("<int:pk>/history/", views.history, name="management-area-history"),
    path("<int:pk>/restore/", views.restore, name="management-area-restore"),
]
