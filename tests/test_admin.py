"""The Django admin covers every model, with map widgets for geometries."""
import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.gis.db.models import GeometryField

from layers.models import (
    AbandonmentPhoto,
    CalendarDay,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    ImportJob,
    Job,
    JointMeetingItem,
)

pytestmark = pytest.mark.django_db

# Photos are uploaded by street offices; the demo city ships none, so only their list page is checked here.
NOT_IN_DEMO = {AbandonmentPhoto}
# Imports and background jobs are made by planners; the demo city has none.
NOT_IN_DEMO |= {ImportJob, Job}
# Attachments, calendar exceptions and (before the demo year is loaded) complaints are made by their users.
NOT_IN_DEMO |= {ComplaintAttachment, CalendarDay, Complaint, ComplaintCategory, ComplaintEvent, JointMeetingItem}
LAYERS_MODELS = [m for m in admin.site._registry if m._meta.app_label == "layers"]


def test_every_layers_model_is_in_the_admin():
    from django.apps import apps

    assert set(apps.get_app_config("layers").get_models()) == set(LAYERS_MODELS)


@pytest.mark.parametrize("model", LAYERS_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_page_render(client, model):
    client.force_login(User.objects.get(username="admin"))
    opts = model._meta
    listing = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert listing.status_code == 200
    obj = model.objects.order_by("pk").first()
    if model in NOT_IN_DEMO:
        assert listing.context["cl"].result_count == model.objects.count()
        return
    assert obj is not None, f"the demo city has no {opts.model_name}"
    page = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
    assert page.status_code == 200
    geometry_fields = [f.name for f in opts.get_fields() if isinstance(f, GeometryField) and not f.generated]
    form_fields = page.context["adminform"].form.fields
    for name in geometry_fields:
        # django-leaflet's widget: a map container beside the serialised geometry.
        assert name in form_fields, name
        assert f'id="id_{name}-map"' in page.content.decode(), name


def test_official_cannot_use_the_admin(client):
    client.force_login(User.objects.get(username="official"))
    assert client.get("/admin/layers/estate/").status_code == 302
