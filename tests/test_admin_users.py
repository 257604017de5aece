"""The admin's user form (DOMAIN.md "Levels"): the role's area is picked from areas of the right level, each named
with its level and parent, and a role with the wrong area is refused on the form, not by the database."""
import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import AdminArea, UserProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username="admin"))
    return c


def profile_post(c, profile, **fields):
    data = {"user": profile.user_id, "role": profile.role, "district": "", "street": "", **fields}
    return c.post(f"/admin/layers/userprofile/{profile.pk}/change/", data)


def test_the_user_page_shows_the_area_choices_by_level_with_help(admin_client):
    planner = User.objects.get(username="planner")
    page = admin_client.get(f"/admin/auth/user/{planner.pk}/change/")
    assert page.status_code == 200
    inline = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert inline.instance.pk == planner.profile.pk
    districts, streets = inline.fields["district"].queryset, inline.fields["street"].queryset
    assert set(districts.values_list("level", flat=True)) == {"district"}
    assert set(streets.values_list("level", flat=True)) == {"street"}
    assert streets.count() == AdminArea.objects.filter(level="street").count()
    html = page.content.decode()
    district = planner.profile.district
    assert f"{district.name} · 区 {district.code}" in html  # the level is named in the choice
    street = streets.first()
    assert f"{street.name} · 街道 {street.code} · 属于 {street.parent.name}" in html
    assert "仅用于街道办事处" in html and "仅用于区物业主管部门" in html  # the help texts


def test_a_role_with_the_wrong_area_is_refused_on_the_form(admin_client):
    profile = User.objects.get(username="planner").profile
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    # A planner with a street and no district: both fields say what is wrong; nothing is saved.
    refused = profile_post(admin_client, profile, street=street.pk)
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert set(errors) == {"district", "street"}
    # A district offered as a street office's street is not among the choices.
    office = UserProfile.objects.filter(role="street_office").first()
    wrong = profile_post(admin_client, office, street=profile.district_id)
    assert wrong.status_code == 200 and "street" in wrong.context["adminform"].form.errors
    assert UserProfile.objects.get(pk=profile.pk).district_id == profile.district_id
    assert UserProfile.objects.get(pk=office.pk).street_id == office.street_id
    # The city official: neither.
    city = UserProfile.objects.get(user__username="city")
    assert "district" in profile_post(admin_client, city, district=profile.district_id).context["adminform"].form.errors


def test_a_right_area_is_saved(admin_client):
    office = UserProfile.objects.filter(role="street_office").first()
    other = AdminArea.objects.filter(level="street").exclude(pk=office.street_id).order_by("code").first()
    saved = profile_post(admin_client, office, street=other.pk)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    assert UserProfile.objects.get(pk=office.pk).street_id == other.pk


@pytest.mark.browser
def test_screenshot_of_the_user_page(page, live_server, demo_city):
    from pathlib import Path

    from .browser_helpers import log_in

    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/auth/user/{User.objects.get(username='planner').pk}/change/")
    page.locator("#profile-group").scroll_into_view_if_needed()
    districts = AdminArea.objects.filter(level="district").count()
    assert page.locator("#id_profile-0-district option").count() == districts + 1  # and "---------"
    page.locator("#profile-group").screenshot(path=str(artifacts / "admin-user-profile.png"))
