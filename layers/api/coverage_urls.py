"""Coverage API (docs/COVERAGE_API.md), included at api/coverage/."""
from django.urls import path

from . import coverage

urlpatterns = [
    path("", coverage.figures, name="coverage-figures"),
    path("trend/", coverage.trend, name="coverage-trend"),
    path("export.xlsx", coverage.export_xlsx, name="coverage-export-xlsx"),
    path("export.csv", coverage.export_csv, name="coverage-export-csv"),
    path("uncovered-households.json", coverage.uncovered_households, name="coverage-uncovered-households"),
]
