"""The pages' forms: Django forms carry the posted strings and show each error next to its field; the checks are the
JSON API's serializers for the same input (layers/api/*.py) and then the services' rules, so a page and the API
refuse the same input, once, with the same message."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..api.enterprises import EnterpriseInput, EnterprisePatch, EvaluationInput, ListingInput
from ..api.openapi import AbandonmentReportCreateSerializer, AbandonmentTransitionSerializer
from ..api.plans import PlanCreateSerializer
from ..api.validation import first_errors
from ..refusals import Refusal


class SerializerForm(forms.Form):
    """A page form checked by `serializer_class`, the API's validator for the same input.

    Every field is text here (a page posts strings); an empty one is absent (or null, or "" for text), as in a query
    string. `messages` words a field's refusal the page's way where the page asks a question the API does not.
    After is_valid(), `validated` holds the serializer's data for the service.
    """

    serializer_class: type[serializers.Serializer]
    partial = False
    messages: dict[str, str] = {}

    def _serializer_data(self, cleaned: dict) -> dict:
        fields = self.serializer_class().fields
        data = {}
        for name, value in cleaned.items():
            field = fields.get(name)
            if field is None:
                continue
            if value in ("", None):
                if field.allow_null:
                    data[name] = None
                elif isinstance(field, serializers.CharField):
                    data[name] = ""
                continue
            data[name] = value
        return data

    def clean(self):
        cleaned = super().clean()
        serializer = self.serializer_class(data=self._serializer_data(cleaned), partial=self.partial)
        self.validated = {}
        if serializer.is_valid():
            self.validated = dict(serializer.validated_data)
        else:
            for name, message in first_errors(serializer.errors).items():
                self.add_error(name if name in self.fields else None, self.messages.get(name, message))
        return cleaned

    def refuse(self, exc: Refusal, default: str | None = None) -> None:
        """A service's refusal, shown next to the field it names (else next to `default`, else above the form)."""
        self.add_error(exc.field if exc.field in self.fields else default, exc.message)


def text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, **kwargs)


# --- the enterprise register (docs/ENTERPRISE_REGISTER.md) ----------------------------------------------------------

class EnterpriseForm(SerializerForm):
    """Register an enterprise: the API's EnterpriseInput, then services.enterprises (name, credit code…)."""

    serializer_class = EnterpriseInput
    name = text()
    credit_code = text()
    credit_grade = text()
    filed_on = text()
    contact_person = text()
    contact_phone = text()
    address = text()


class EnterpriseEditForm(EnterpriseForm):
    """Change an enterprise: the API's EnterprisePatch (the grade follows the evaluations: not on this form)."""

    serializer_class = EnterprisePatch
    credit_grade = None
    reason = text()


class EvaluationForm(SerializerForm):
    serializer_class = EvaluationInput
    messages = {"passed": _("Say whether the enterprise passed."), "grade": _("Choose a grade.")}
    year = text()
    grade = text()
    passed = text()
    note = text()


class ListingForm(SerializerForm):
    serializer_class = ListingInput
    messages = {"status": _("Choose red list, black list or lift."), "reason": _("Give the reason for the decision."),
                "listed_on": _("Enter the date as YYYY-MM-DD.")}
    status = text()
    reason = text()
    listed_on = text()


# --- abandoned buildings ----------------------------------------------------------------------------------------

class ReportForm(SerializerForm):
    """The page's report form: a building code (the page's way of naming it), then the API's report fields (the
    photos are checked by the service, as for the API)."""

    serializer_class = AbandonmentReportCreateSerializer
    messages = {"abandoned_since": _("Enter the date the building was left without management."),
                "reason": _("Choose a reason.")}
    building = text()
    abandoned_since = text()
    reason = text()
    description = text(strip=False)
    photos = forms.Field(required=False)  # the files come in request.FILES; the service's refusals show here


class DecisionForm(SerializerForm):
    """A planner's button on the list: the API's transition body."""

    serializer_class = AbandonmentTransitionSerializer
    to = text()
    note = text(strip=False)


# --- takeover plans ---------------------------------------------------------------------------------------------

class PlanForm(SerializerForm):
    """The "new plan" form: the API's PlanCreate body; the parameters' ranges are the service's."""

    serializer_class = PlanCreateSerializer
    name = text(strip=False)
    street = text()
    start_date = text()
    gap_m = text()
    within_street = forms.BooleanField(required=False)
    min_households = text()
    max_households = text()
    min_floor_area = text()
    max_floor_area = text()
    seed = text()
