"""Schemathesis against the OpenAPI schema (/api/schema/), once per role, with API tokens (docs/API.md).

Each operation × role gets generated requests (valid and invalid inputs); every answer must be no 5xx, a status the
schema documents for the operation, of the documented content type, with a body matching the documented schema.
The requests go through Django's WSGI handler in-process (no server), inside the test's transaction, so what a 2xx
writes is rolled back. `make test` sends a few examples per operation (profile "badinput"); `make fuzz` many
("badinput-fuzz"; tests/test_area_properties.py defines both).
"""
from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from layers.models import AdminArea, AdminLevel

from .test_area_properties import PROFILE, PROFILE_NAME

pytestmark = pytest.mark.django_db

ROLES = ["official", "street_office", "planner", "administrator"]
FUZZING = PROFILE_NAME.endswith("fuzz")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def schema_document() -> dict:
    """What /api/schema/ serves (the same generator), built without a request so that it loads at collection."""
    import django

    django.setup()
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


class InTransactionWSGI(WSGIHandler):
    """Django's WSGI handler without closing the connection after each request: the test's transaction holds the
    demo data and rolls back whatever the generated requests write."""

    def __call__(self, environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


def config() -> schemathesis.Config:
    """The coverage phase (dozens of boundary cases per operation, whatever max_examples says) only in `make fuzz`."""
    chosen = schemathesis.Config()
    chosen.projects.default.phases.coverage.enabled = FUZZING
    return chosen


schema = schemathesis.openapi.from_dict(schema_document(), config=config())
schema.app = InTransactionWSGI()


def username(role: str) -> str:
    if role == "street_office":
        return f"street-{AdminArea.objects.filter(level=AdminLevel.STREET).order_by('code').first().code}"
    return {"administrator": "admin"}.get(role, role)


@pytest.fixture(params=ROLES)
def token(request):
    from django.contrib.auth.models import User

    key = Token.objects.get_or_create(user=User.objects.get(username=username(request.param)))[0].key
    return f"Token {key}"


@schema.parametrize()
@settings(PROFILE, max_examples=PROFILE.max_examples // 7 or 1)
def test_every_operation_answers_as_documented(case, token):
    # Identity: the WSGI call hands schemathesis the raw body, and compressed answers are tested in
    # test_compression.py.
    case.call_and_validate(headers={"Authorization": token, "Accept-Language": "en", "Accept-Encoding": "identity"},
                           checks=CHECKS)
