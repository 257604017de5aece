"""URLs of the service feature (docs/SERVICE_API.md), included at the site root by layers/urls.py."""
from django.urls import path

from layers.api import service as api
from layers.views import service as pages

urlpatterns = [
    path("service/", pages.service_page, name="service-worklists"),
    path("api/service/assign/", api.assign, name="service-assign"),
    path("api/service/contracts/<int:pk>/end/", api.end, name="service-contract-end"),
    path("api/service/worklists/<str:name>/", api.worklist, name="service-worklist"),
    path("api/estates/<int:pk>/candidates/", api.candidates, name="estate-candidates"),
    path("api/estates/<int:pk>/contracts/", api.estate_contracts, name="estate-contracts"),
]
