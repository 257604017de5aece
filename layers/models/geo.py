"""Shared geometry-column conventions: explicit SRID, a generated Web-Mercator copy for tiles, GiST indexes, validity."""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import CheckConstraint, Q

SRID = settings.STORAGE_SRID
WEB_SRID = 3857


def web_copy(geometry_field: str, output_field_class) -> models.GeneratedField:
    """A stored Web-Mercator copy of a geometry column, so tiles never transform on the fly."""
    return models.GeneratedField(
        expression=Transform(geometry_field, WEB_SRID),
        output_field=output_field_class(srid=WEB_SRID),
        db_persist=True,
    )


def geometry_rules(table: str, *fields: str) -> tuple[list, list]:
    """(indexes, constraints) for geometry fields: a named GiST index and a validity check each."""
    indexes = [GistIndex(fields=[f], name=f"{table}_{f}_gist") for f in fields]
    constraints = [
        CheckConstraint(condition=Q(**{f"{f}__isvalid": True}), name=f"{table}_{f}_valid")
        for f in fields
        if not f.endswith("_web")
    ]
    return indexes, constraints
