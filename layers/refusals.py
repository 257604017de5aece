"""The one way to refuse a request: raise a Refusal; one handler per surface turns it into the answer.

Services, selectors, io and the API views raise Refusal (or one of the status subclasses below). The REST API's
DRF exception handler (layers/api/errors.py) answers {"error", "field"?, "code"?, …details} with `status`;
RefusalMiddleware (layers/views/errors.py) does the same for the JSON views outside DRF and the tiles, and renders
the message in the site layout for pages; the OGC API maps it to its exception document {"code", "description"}
(layers/ogc/views.py). The message is already in the user's language (gettext at the raise) and names objects by
name, never by an internal id or a server path.

No Django import here: the pure planning code may subclass it too.
"""
from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse. `message` is for the user; `field` names the input at fault, `code` the rule or
    input (machine-readable), `details` extra members of the JSON body (problems, the current version…)."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None,
                 code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        if status is not None:
            self.status = status
        self.field, self.code = field, code
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict:
        """The JSON error body: {"error": message, "field"?: …, "code"?: …, **details}."""
        body = {"error": self.message}
        if self.field:
            body["field"] = self.field
        if self.code:
            body["code"] = self.code
        body.update(self.details)
        return body


class Invalid(Refusal):
    """400: the input is wrong (the message names the parameter or field) or a rule refuses it."""

    status = 400


class Forbidden(Refusal):
    """403: the role may not do this."""

    status = 403


class NotFound(Refusal):
    """404: no such object, or it is outside what the user may see."""

    status = 404


class Conflict(Refusal):
    """409: it clashes with what is stored (changed meanwhile, already registered, already committed)."""

    status = 409


class TooLarge(Refusal):
    """413: more than the service accepts (a body, a file, an export)."""

    status = 413
