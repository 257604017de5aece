"""The enterprise register: services (services/enterprises.py), the black-list trigger, the JSON API and the pages."""
import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from layers.credit_code import check_character
from layers.models import (
    CreditEvaluation,
    Enterprise,
    EnterpriseListing,
    Estate,
    RegisterChange,
    ServiceContract,
)
from layers.selectors.enterprises import change_summary, enterprise_decision
from layers.services import enterprises as svc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1


def user(name):
    return User.objects.get(username=name)


def new_code(body="91230112MA1TEXT0") -> str:
    first17 = (body + "0" * 17)[:17]
    return first17 + check_character(first17)


def normal_enterprise() -> Enterprise:
    return Enterprise.objects.filter(list_status="normal").order_by("id").first()


def table_counts():
    return (Enterprise.objects.count(), CreditEvaluation.objects.count(), EnterpriseListing.objects.count(),
            RegisterChange.objects.count())


def estate_without_contracts() -> Estate:
    return Estate.objects.filter(contracts__isnull=True).order_by("id").first()


# --- the demo register ------------------------------------------------------------------------------------------

def test_the_demo_register_is_consistent_with_the_list_statuses():
    for enterprise in Enterprise.objects.all():
        decision = enterprise_decision(enterprise)
        assert (decision.status, decision.since, decision.reason) == (
            enterprise.list_status, enterprise.list_status_since, enterprise.list_status_reason), enterprise
        latest = enterprise.evaluations.order_by("-year").first()
        assert latest is not None and latest.grade == enterprise.credit_grade
        assert enterprise.changes.filter(action="create").count() == 1
        assert enterprise.changes.filter(action="evaluation").count() == enterprise.evaluations.count()
    black = Enterprise.objects.filter(list_status="black")
    assert black.exists()
    for enterprise in black:
        assert enterprise.list_status_since == datetime.date(2021, 1, 1)
        assert set(enterprise.evaluations.filter(passed=False).values_list("year", flat=True)) >= {2019, 2020}
    for enterprise in Enterprise.objects.filter(list_status="red"):
        listing = enterprise.listings.get()
        assert listing.status == "red" and listing.reason == enterprise.list_status_reason


# --- services ---------------------------------------------------------------------------------------------------

def test_create_records_a_change_and_normalises_the_code():
    code = new_code()
    enterprise = svc.enterprise_create(user=user("planner"), name=" 新华物业有限公司 ", credit_code=code.lower(),
                                       filed_on=datetime.date(2020, 5, 1), contact_phone="0451-1234567")
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.credit_code, enterprise.list_status) == ("新华物业有限公司", code, "normal")
    change = enterprise.changes.get()
    assert change.action == "create" and change.before is None and change.user.username == "planner"
    assert change.after["credit_code"] == code and change.after["filed_on"] == "2020-05-01"


@pytest.mark.parametrize("fields, field, words", [
    ({"credit_code": "WRONG_CHECK"}, "credit_code", "check character"),
    ({"credit_code": "123"}, "credit_code", "18 characters"),
    ({"name": "  "}, "name", "name"),
    ({"name": "物" * 121}, "name", "120"),
    ({"filed_on": datetime.date(2999, 1, 1)}, "filed_on", "future"),
    ({"credit_grade": "Z"}, "credit_grade", "Z"),
])
def test_create_refuses_bad_input_and_writes_nothing(fields, field, words):
    before = table_counts()
    if fields.get("credit_code") == "WRONG_CHECK":
        code = new_code()
        fields = {"credit_code": code[:-1] + ("1" if code[-1] != "1" else "2")}
    kwargs = {"name": "新华物业", "credit_code": new_code()} | fields
    with pytest.raises(svc.RegisterInvalid) as exc:
        svc.enterprise_create(user=user("planner"), **kwargs)
    assert exc.value.field == field and words in exc.value.message
    assert table_counts() == before


def test_a_credit_code_is_registered_once():
    existing = normal_enterprise()
    before = table_counts()
    with pytest.raises(svc.RegisterConflict) as exc:
        svc.enterprise_create(user=user("planner"), name="重复", credit_code=existing.credit_code)
    assert existing.name in exc.value.message and exc.value.status == 409
    other = Enterprise.objects.exclude(pk=existing.pk).order_by("id").first()
    with pytest.raises(svc.RegisterConflict):
        svc.enterprise_update(user=user("planner"), enterprise_id=other.pk, credit_code=existing.credit_code)
    assert table_counts() == before


def test_update_records_only_what_changed():
    enterprise = normal_enterprise()
    svc.enterprise_update(user=user("planner"), enterprise_id=enterprise.pk, name=enterprise.name,
                          contact_phone="13900000000", reason="电话变更")
    change = enterprise.changes.order_by("-id").first()
    assert change.action == "update" and change.reason == "电话变更"
    assert change.before == {"contact_phone": enterprise.contact_phone}
    assert change.after == {"contact_phone": "13900000000"}
    count = RegisterChange.objects.count()
    svc.enterprise_update(user=user("planner"), enterprise_id=enterprise.pk, contact_phone="13900000000")
    assert RegisterChange.objects.count() == count  # nothing changed, nothing recorded


def test_update_refuses_the_derived_fields():
    enterprise = normal_enterprise()
    for field in ("credit_grade", "list_status"):
        with pytest.raises(svc.RegisterInvalid) as exc:
            svc.enterprise_update(user=user("planner"), enterprise_id=enterprise.pk, **{field: "black"})
        assert exc.value.field == field


def test_officials_and_street_offices_may_not_write():
    enterprise = normal_enterprise()
    street_office = User.objects.filter(username__startswith="street-").first()
    for who in (user("official"), street_office):
        with pytest.raises(PermissionDenied):
            svc.enterprise_create(user=who, name="x", credit_code=new_code())
        with pytest.raises(PermissionDenied):
            svc.evaluation_record(user=who, enterprise_id=enterprise.pk, year=LAST_YEAR, grade="A", passed=True)
        with pytest.raises(PermissionDenied):
            svc.listing_set(user=who, enterprise_id=enterprise.pk, status="red", reason="x", listed_on=TODAY)


def fresh_enterprise(name="测试物业有限公司") -> Enterprise:
    return svc.enterprise_create(user=user("planner"), name=name, credit_code=new_code(),
                                 filed_on=datetime.date(2015, 1, 1))


def test_two_failing_years_black_list_the_enterprise_and_are_recorded():
    enterprise = fresh_enterprise()
    planner = user("planner")
    svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=LAST_YEAR - 2, grade="A", passed=True)
    svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=LAST_YEAR - 1, grade="C", passed=False)
    enterprise.refresh_from_db()
    assert (enterprise.list_status, enterprise.credit_grade) == ("normal", "C")
    svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=LAST_YEAR, grade="B", passed=False,
                          note="投诉多")
    enterprise.refresh_from_db()
    assert enterprise.list_status == "black"
    assert enterprise.list_status_since == datetime.date(LAST_YEAR + 1, 1, 1)
    assert str(LAST_YEAR - 1) in enterprise.list_status_reason and str(LAST_YEAR) in enterprise.list_status_reason
    assert enterprise.credit_grade == "B"  # the latest year's grade
    change = enterprise.changes.order_by("-id").first()
    assert change.action == "evaluation" and change.user == planner and change.reason == "投诉多"
    assert change.before["list_status"] == "normal" and change.after["list_status"] == "black"
    assert change.after["evaluation"] == {"year": LAST_YEAR, "grade": "B", "passed": False, "note": "投诉多"}


def test_a_passing_year_does_not_lift_but_a_manual_decision_does():
    enterprise = fresh_enterprise()
    planner = user("planner")
    for year in (LAST_YEAR - 2, LAST_YEAR - 1):
        svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=year, grade="C", passed=False)
    svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=LAST_YEAR, grade="A", passed=True)
    enterprise.refresh_from_db()
    assert enterprise.list_status == "black" and enterprise.list_status_since == datetime.date(LAST_YEAR, 1, 1)
    svc.listing_set(user=planner, enterprise_id=enterprise.pk, status="normal", reason="整改到位，复查合格",
                    listed_on=TODAY)
    enterprise.refresh_from_db()
    assert (enterprise.list_status, enterprise.list_status_since, enterprise.list_status_reason) == (
        "normal", TODAY, "整改到位，复查合格")
    change = enterprise.changes.order_by("-id").first()
    assert change.action == "listing" and change.before["list_status"] == "black"
    assert change.after["listing"]["reason"] == "整改到位，复查合格"


def test_one_evaluation_per_year_and_only_finished_years():
    enterprise = normal_enterprise()
    before = table_counts()
    existing = enterprise.evaluations.order_by("-year").first()
    with pytest.raises(svc.RegisterConflict) as exc:
        svc.evaluation_record(user=user("planner"), enterprise_id=enterprise.pk, year=existing.year, grade="A",
                              passed=True)
    assert str(existing.year) in exc.value.message
    with pytest.raises(svc.RegisterInvalid) as exc:
        svc.evaluation_record(user=user("planner"), enterprise_id=enterprise.pk, year=TODAY.year, grade="A",
                              passed=True)
    assert exc.value.field == "year"
    with pytest.raises(svc.RegisterInvalid) as exc:
        svc.evaluation_record(user=user("planner"), enterprise_id=enterprise.pk, year=enterprise.filed_on.year - 1,
                              grade="A", passed=True)
    assert exc.value.field == "year" and enterprise.filed_on.isoformat() in exc.value.message
    with pytest.raises(svc.RegisterInvalid):
        svc.evaluation_record(user=user("planner"), enterprise_id=enterprise.pk, year=LAST_YEAR - 10, grade="Q",
                              passed=True)
    assert table_counts() == before


def test_listing_needs_a_reason_a_change_and_a_date_not_in_the_future():
    enterprise = normal_enterprise()
    before = table_counts()
    cases = [
        ({"status": "red", "reason": "  ", "listed_on": TODAY}, "reason"),
        ({"status": "green", "reason": "x", "listed_on": TODAY}, "status"),
        ({"status": "red", "reason": "x", "listed_on": TODAY + datetime.timedelta(days=1)}, "listed_on"),
        ({"status": "normal", "reason": "x", "listed_on": TODAY}, "status"),  # nothing to lift
    ]
    for fields, field in cases:
        with pytest.raises(svc.RegisterInvalid) as exc:
            svc.listing_set(user=user("planner"), enterprise_id=enterprise.pk, **fields)
        assert exc.value.field == field, fields
    black = Enterprise.objects.filter(list_status="black").first()
    with pytest.raises(svc.RegisterInvalid) as exc:
        svc.listing_set(user=user("planner"), enterprise_id=black.pk, status="black", reason="x", listed_on=TODAY)
    assert "2021-01-01" in exc.value.message
    # A lifting dated before the black listing would be overridden by it: refused, not stored without effect.
    with pytest.raises(svc.RegisterInvalid) as exc:
        svc.listing_set(user=user("planner"), enterprise_id=black.pk, status="normal", reason="x",
                        listed_on=datetime.date(2020, 6, 1))
    assert exc.value.field == "listed_on"
    assert table_counts() == before


def test_manual_red_listing_applies_and_a_later_black_overrides_it():
    enterprise = normal_enterprise()
    svc.listing_set(user=user("planner"), enterprise_id=enterprise.pk, status="red", reason="服务优秀",
                    listed_on=TODAY - datetime.timedelta(days=30))
    enterprise.refresh_from_db()
    assert (enterprise.list_status, enterprise.list_status_reason) == ("red", "服务优秀")
    svc.listing_set(user=user("planner"), enterprise_id=enterprise.pk, status="black", reason="重大安全事故",
                    listed_on=TODAY)
    enterprise.refresh_from_db()
    assert (enterprise.list_status, enterprise.list_status_since) == ("black", TODAY)


# --- the database trigger (migration 0009) ------------------------------------------------------------------------

def test_the_trigger_refuses_a_new_contract_for_a_black_listed_enterprise_and_keeps_the_old_ones():
    enterprise = fresh_enterprise()
    estate = estate_without_contracts()
    old = ServiceContract.objects.create(estate=estate, provider_kind="enterprise", enterprise=enterprise,
                                         mode="single", start_date=datetime.date(LAST_YEAR - 1, 3, 1),
                                         end_date=datetime.date(LAST_YEAR, 3, 1))
    for year in (LAST_YEAR - 1, LAST_YEAR):
        svc.evaluation_record(user=user("planner"), enterprise_id=enterprise.pk, year=year, grade="C", passed=False)
    enterprise.refresh_from_db()
    assert enterprise.list_status == "black"
    assert ServiceContract.objects.filter(pk=old.pk).exists()  # black-listing changes nothing else
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ServiceContract.objects.create(estate=estate, provider_kind="enterprise", enterprise=enterprise,
                                       mode="single", start_date=TODAY)
    assert exc.value.__cause__.diag.constraint_name == "blacklisted_enterprise"
    assert "black list" in str(exc.value)


# --- the JSON API -----------------------------------------------------------------------------------------------

def api(username):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user(username))
    return client


def post(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_api_lists_searches_and_filters():
    client = api("official")
    body = client.get("/api/enterprises/").json()
    assert body["count"] == Enterprise.objects.count()
    first = body["results"][0]
    assert {"name", "credit_code", "credit_grade", "list_status", "estates", "households"} <= set(first)
    black = client.get("/api/enterprises/?list_status=black").json()
    assert black["count"] == Enterprise.objects.filter(list_status="black").count() > 0
    assert all(r["list_status"] == "black" for r in black["results"])
    target = Enterprise.objects.order_by("id").last()
    found = client.get("/api/enterprises/", {"q": target.credit_code[-6:]}).json()
    assert target.pk in [r["id"] for r in found["results"]]
    bad = client.get("/api/enterprises/?list_status=purple")
    assert bad.status_code == 400 and "list_status" in bad.json()["error"]


def test_api_served_figures_come_from_the_jurisdiction():
    from layers.models import EnterpriseJurisdiction

    territory = EnterpriseJurisdiction.objects.order_by("-households").first()
    body = api("planner").get(f"/api/enterprises/{territory.enterprise_id}/").json()
    assert (body["estates"], body["households"]) == (territory.estate_count, territory.households)


def test_api_create_update_and_errors():
    client = api("planner")
    code = new_code("91230112MA1AP100")
    response = post(client, "/api/enterprises/", {"name": "接口物业", "credit_code": code, "filed_on": "2021-02-03"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["list_status"] == "normal"
    again = post(client, "/api/enterprises/", {"name": "重复", "credit_code": code})
    assert again.status_code == 409 and code in again.json()["error"] and again.json()["field"] == "credit_code"
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad = post(client, "/api/enterprises/", {"name": "坏码", "credit_code": wrong})
    assert bad.status_code == 400 and "check character" in bad.json()["error"]
    missing = post(client, "/api/enterprises/", {"credit_code": new_code("91230112MA1AP101")})
    assert missing.status_code == 400 and missing.json()["error"].startswith("name")
    patched = post(client, f"/api/enterprises/{pk}/", {"address": "新地址", "reason": "搬迁"}, method="patch")
    assert patched.status_code == 200 and patched.json()["address"] == "新地址"
    grade = post(client, f"/api/enterprises/{pk}/", {"credit_grade": "AAA"}, method="patch")
    assert grade.status_code == 400 and grade.json()["field"] == "credit_grade"
    changes = client.get(f"/api/enterprises/{pk}/changes/").json()
    assert [c["action"] for c in changes["results"]] == ["update", "create"]
    assert changes["results"][0]["lines"][0]["after"] == "新地址"
    assert client.get("/api/enterprises/999999/").status_code == 404


def test_api_evaluations_black_list_and_listings():
    client = api("planner")
    enterprise = fresh_enterprise("接口黑名单物业")
    url = f"/api/enterprises/{enterprise.pk}/evaluations/"
    first = post(client, url, {"year": LAST_YEAR - 1, "grade": "C", "passed": False})
    assert first.status_code == 201 and first.json()["enterprise"]["list_status"] == "normal"
    second = post(client, url, {"year": LAST_YEAR, "grade": "C", "passed": False, "note": "两年不合格"})
    assert second.status_code == 201
    assert second.json()["enterprise"]["list_status"] == "black"
    assert second.json()["enterprise"]["list_status_derived"] is True
    duplicate = post(client, url, {"year": LAST_YEAR, "grade": "A", "passed": True})
    assert duplicate.status_code == 409 and str(LAST_YEAR) in duplicate.json()["error"]
    not_bool = post(client, url, {"year": LAST_YEAR - 3, "grade": "A"})
    assert not_bool.status_code == 400 and not_bool.json()["field"] == "passed"
    assert [e["year"] for e in client.get(url).json()["results"]] == [LAST_YEAR, LAST_YEAR - 1]

    listings = f"/api/enterprises/{enterprise.pk}/listings/"
    no_reason = post(client, listings, {"status": "normal", "reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    lifted = post(client, listings, {"status": "normal", "reason": "整改完成"})
    assert lifted.status_code == 201 and lifted.json()["enterprise"]["list_status"] == "normal"
    assert lifted.json()["listing"]["listed_on"] == TODAY.isoformat()
    assert client.get(listings).json()["results"][0]["reason"] == "整改完成"
    actions = [c["action"] for c in client.get(f"/api/enterprises/{enterprise.pk}/changes/").json()["results"]]
    assert actions == ["listing", "evaluation", "evaluation", "create"]


@pytest.mark.parametrize("username", ["official", "street_office"])
def test_api_refuses_writes_to_officials_and_street_offices(username):
    if username == "street_office":
        username = User.objects.filter(username__startswith="street-").order_by("username").first().username
    client = api(username)
    enterprise = normal_enterprise()
    before = table_counts()
    writes = [
        ("post", "/api/enterprises/", {"name": "x", "credit_code": new_code()}),
        ("patch", f"/api/enterprises/{enterprise.pk}/", {"name": "x"}),
        ("post", f"/api/enterprises/{enterprise.pk}/evaluations/", {"year": LAST_YEAR, "grade": "A", "passed": True}),
        ("post", f"/api/enterprises/{enterprise.pk}/listings/", {"status": "red", "reason": "x"}),
    ]
    for method, url, body in writes:
        response = post(client, url, body, method=method)
        assert response.status_code == 403, (url, response.content)
        assert "error" in response.json()
    assert table_counts() == before
    assert client.get(f"/api/enterprises/{enterprise.pk}/changes/").status_code == 200


def test_api_refuses_anonymous():
    assert Client().get("/api/enterprises/").status_code in (401, 403)


def test_the_schema_documents_the_register():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/enterprises/"])
    assert "patch" in paths["/api/enterprises/{id}/"]
    post_body = paths["/api/enterprises/{id}/evaluations/"]["post"]["requestBody"]["content"]["application/json"]
    assert post_body["schema"]["$ref"].endswith("/EvaluationInput")
    assert "/api/enterprises/{id}/changes/" in paths


# --- pages ------------------------------------------------------------------------------------------------------

def page_client(username):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user(username))
    return client


def test_list_page_shows_badges_search_and_filter():
    client = page_client("official")
    html = client.get("/enterprises/").content.decode()
    for enterprise in Enterprise.objects.all():
        assert f'data-enterprise="{enterprise.pk}" data-list-status="{enterprise.list_status}"' in html
    assert "badge--black" in html and "badge--red" in html
    assert 'data-action="create"' not in html  # officials do not register
    black = Enterprise.objects.filter(list_status="black").first()
    filtered = client.get("/enterprises/?list_status=black").content.decode()
    assert f'data-enterprise="{black.pk}"' in filtered
    assert 'data-list-status="normal"' not in filtered
    searched = client.get("/enterprises/", {"q": black.name}).content.decode()
    assert f'data-enterprise="{black.pk}"' in searched
    assert 'data-action="create"' in page_client("planner").get("/enterprises/").content.decode()


def test_detail_page_shows_the_black_banner_evaluations_and_changes():
    black = Enterprise.objects.filter(list_status="black").first()
    html = page_client("official").get(f"/enterprises/{black.pk}/").content.decode()
    assert 'id="list-banner" data-list-status="black"' in html
    assert black.list_status_reason in html and "2021-01-01" in html
    for evaluation in black.evaluations.all():
        assert f'data-year="{evaluation.year}"' in html
    assert 'id="change-table"' in html
    assert 'id="evaluation-form"' not in html and 'id="listing-form"' not in html
    assert 'id="register-readonly"' in html
    street_office = User.objects.filter(username__startswith="street-").order_by("username").first().username
    street_html = page_client(street_office).get(f"/enterprises/{black.pk}/").content.decode()
    assert 'id="evaluation-form"' not in street_html and 'id="register-readonly"' in street_html
    planner_html = page_client("planner").get(f"/enterprises/{black.pk}/").content.decode()
    assert 'id="evaluation-form"' in planner_html and 'id="listing-form"' in planner_html


def test_page_forms_write_or_answer_400_with_the_reason():
    client = page_client("planner")
    enterprise = normal_enterprise()
    before = table_counts()
    bad = client.post(f"/enterprises/{enterprise.pk}/list/", {"status": "red", "reason": "", "listed_on": "2026-01-01"})
    assert bad.status_code == 400 and table_counts() == before
    duplicate_year = enterprise.evaluations.order_by("-year").first().year
    dup = client.post(f"/enterprises/{enterprise.pk}/evaluate/",
                      {"year": duplicate_year, "grade": "A", "passed": "yes"})
    assert dup.status_code == 400 and str(duplicate_year) in dup.content.decode()
    assert table_counts() == before
    ok = client.post(f"/enterprises/{enterprise.pk}/list/",
                     {"status": "red", "reason": "服务优秀", "listed_on": TODAY.isoformat()})
    assert ok.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.list_status == "red"
    created = client.post("/enterprises/new/", {"name": "表单物业", "credit_code": new_code("91230112MA1FRM00"),
                                                "credit_grade": "AA"})
    assert created.status_code == 302
    new = Enterprise.objects.get(name="表单物业")
    edited = client.post(f"/enterprises/{new.pk}/edit/", {"name": "表单物业有限公司", "credit_code": new.credit_code})
    assert edited.status_code == 302
    new.refresh_from_db()
    assert new.name == "表单物业有限公司" and new.credit_grade == "AA"
    assert page_client("official").get(f"/enterprises/{new.pk}/edit/").status_code == 403


def test_register_reads_stay_few_queries(django_assert_max_num_queries):
    client = page_client("planner")
    black = Enterprise.objects.filter(list_status="black").first()
    with django_assert_max_num_queries(25):
        client.get("/enterprises/")
    with django_assert_max_num_queries(30):
        client.get(f"/enterprises/{black.pk}/")



# --- responses match the schema ---------------------------------------------------------------------------------

def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema, strict: `nullable` becomes a null alternative, documented objects are closed."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "readOnly", "writeOnly")}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def test_responses_match_the_documented_schema():
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = _json_schema(schema["components"])
    client = api("planner")
    enterprise = Enterprise.objects.filter(list_status="black").first()
    pk = enterprise.pk
    evaluation = post(client, f"/api/enterprises/{fresh_enterprise().pk}/evaluations/",
                      {"year": LAST_YEAR, "grade": "A", "passed": True})
    calls = [
        ("/api/enterprises/", "get", 200, client.get("/api/enterprises/")),
        ("/api/enterprises/{id}/", "get", 200, client.get(f"/api/enterprises/{pk}/")),
        ("/api/enterprises/{id}/evaluations/", "get", 200, client.get(f"/api/enterprises/{pk}/evaluations/")),
        ("/api/enterprises/{id}/evaluations/", "post", 201, evaluation),
        ("/api/enterprises/{id}/listings/", "get", 200, client.get(f"/api/enterprises/{pk}/listings/")),
        ("/api/enterprises/{id}/changes/", "get", 200, client.get(f"/api/enterprises/{pk}/changes/")),
        ("/api/enterprises/{id}/evaluations/", "post", 409, post(
            client, f"/api/enterprises/{pk}/evaluations/", {"year": 2019, "grade": "A", "passed": True})),
    ]
    for path, method, status, response in calls:
        assert response.status_code == status, (path, response.content[:300])
        documented = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft7Validator({**_json_schema(documented), "components": components})
        errors = validator.iter_errors(response.json())
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
        assert not problems, (path, method, problems[:5])


def test_the_admin_saves_through_the_service_and_keeps_the_list_status():
    client = page_client("admin")
    enterprise = Enterprise.objects.filter(list_status="black").first()
    url = f"/admin/layers/enterprise/{enterprise.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert "list_status" not in form.fields and "credit_grade" not in form.fields
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"contact_person": "王经理", "filed_on": enterprise.filed_on.isoformat()})
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    enterprise.refresh_from_db()
    assert enterprise.contact_person == "王经理" and enterprise.list_status == "black"
    change = enterprise.changes.order_by("-id").first()
    assert change.action == "update" and change.after == {"contact_person": "王经理"}
    assert change.user.username == "admin"


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_of_one_year_exactly_one_is_recorded(demo_city):
    from .test_area_concurrency import THREADS, run_together

    enterprise = Enterprise.objects.filter(list_status="normal").order_by("id").first()
    year = enterprise.evaluations.order_by("year").first().year - 1
    if enterprise.filed_on and enterprise.filed_on.year > year:
        enterprise.filed_on = datetime.date(year, 1, 1)
        enterprise.save(update_fields=["filed_on"])
    planner = user("planner")

    def record(k):
        return svc.evaluation_record(user=planner, enterprise_id=enterprise.pk, year=year, grade="C", passed=False,
                                     note=f"thread {k}")

    results = run_together(record)
    recorded = [r for r in results if isinstance(r, CreditEvaluation)]
    refused = [r for r in results if isinstance(r, svc.RegisterConflict)]
    assert len(recorded) == 1 and len(refused) == THREADS - 1, results
    assert enterprise.evaluations.filter(year=year).count() == 1
    assert enterprise.changes.filter(action="evaluation", after__evaluation__year=year).count() == 1


def test_the_change_log_shows_service_assignments_written_by_the_assignment_services():
    enterprise = normal_enterprise()
    contract = enterprise.contracts.order_by("id").first()
    change = RegisterChange.objects.create(
        enterprise=enterprise, contract=contract, estate_id=contract.estate_id, action="contract_create",
        before=None, after={"mode": "nearby", "start_date": "2026-01-01", "end_date": None}, user=user("planner"))
    assert "2026-01-01" in change_summary(change)
    html = page_client("planner").get(f"/enterprises/{enterprise.pk}/").content.decode()
    assert f'href="/estates/{contract.estate_id}/"' in html and contract.estate.name in html
    assert "Nearby custody from 2026-01-01" in html
