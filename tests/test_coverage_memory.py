"""The coverage figures' per-community memory: every edit of what they read shows at once, scope stays per viewer."""
import collections
import datetime
import importlib
import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layers.models import (
    AbandonmentEvent, AbandonmentReport, AdminArea, AdminLevel, Building, Estate, ProviderKind, RenovationProject,
    ServiceContract,
)
from layers.selectors import coverage
from layers.selectors.coverage import BASE_SQL, BASE_VERSIONS, LEVEL_DEPTH, coverage_figures

from . import factories

pytestmark = pytest.mark.django_db

BASE_MARK = "ab_state AS"  # a phrase of BASE_SQL only: the statement that reads the per-community figures


def base_reads(queries) -> int:
    return sum(BASE_MARK in q["sql"] for q in queries)


@pytest.fixture
def planner_client(client):
    client.force_login(User.objects.get(username="planner"))
    return client


@pytest.fixture
def community():
    """A new community in the planner's district with one old estate of 100 households, no contract."""
    area = factories.community()
    factories.estate(community_area=area, build_year=1995, households=100)
    return area


def row(client, area, level="community"):
    """The area's row from /api/coverage/ today, its parent's areas asked for."""
    parent = area.parent_id if level == "community" else area.parent.parent_id
    response = client.get("/api/coverage/", {"level": level, "parent": parent,
                                              "date": timezone.localdate().isoformat()})
    assert response.status_code == 200
    return next(r for r in json.loads(response.content)["rows"] if r["id"] == area.pk)


def building_of(estate):
    x0, y0, x1, y1 = estate.geom.extent
    return Building.objects.create(code=f"TB{estate.pk}", estate=estate, label="1号楼", floors=6, households=36,
                                   build_year=1990, geom=factories.Polygon.from_bbox((x0, y0, x1, y1)))


def test_a_second_request_reads_no_figures_and_an_estate_edit_shows_at_once(planner_client, community):
    assert row(planner_client, community)["old_households"] == 100
    with CaptureQueriesContext(connection) as queries:
        assert row(planner_client, community)["old_households"] == 100
    assert base_reads(queries.captured_queries) == 0
    estate = Estate.objects.get(community=community)
    Estate.objects.filter(pk=estate.pk).update(households=130)
    assert row(planner_client, community)["old_households"] == 130
    estate.refresh_from_db()
    estate.build_year = factories.cutoff_year() + 1  # no longer old
    estate.save()
    assert row(planner_client, community)["old_estates"] == 0


def test_without_one_of_the_version_rows_nothing_is_kept(planner_client, community):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_tileversion WHERE layer = 'abandonment_events'")
    assert row(planner_client, community)["old_households"] == 100
    with CaptureQueriesContext(connection) as queries:
        assert row(planner_client, community)["old_households"] == 100
    assert base_reads(queries.captured_queries) == 1


def test_a_contract_edit_shows_at_once(planner_client, community):
    estate = Estate.objects.get(community=community)
    assert row(planner_client, community)["served"]["estates"] == 0
    contract = factories.contract(estate, start=timezone.localdate() - datetime.timedelta(days=30),
                                  kind=ProviderKind.ENTERPRISE)
    served = row(planner_client, community)
    assert served["served"]["estates"] == 1 and served["by_status"]["enterprise"] == 1
    ServiceContract.objects.filter(pk=contract.pk).update(end_date=timezone.localdate())  # ends today: exclusive
    assert row(planner_client, community)["served"]["estates"] == 0


def test_an_abandonment_report_and_each_step_show_at_once(planner_client, community):
    estate = Estate.objects.get(community=community)
    building = building_of(estate)
    planner = User.objects.get(username="planner")
    assert row(planner_client, community)["abandoned"]["reported"] == 0
    report = AbandonmentReport.objects.create(building=building, street=community.parent, reason="enterprise_left",
                                              abandoned_since=datetime.date(2024, 1, 1), reported_by=planner)
    AbandonmentEvent.objects.create(report=report, to_state="reported", user=planner)
    assert row(planner_client, community)["abandoned"] == {"reported": 1, "verified": 0, "under_caretaker": 0,
                                                           "resolved": 0}
    # A step alone (the report row untouched): the events' own version changes the key.
    step = AbandonmentEvent.objects.create(report=report, from_state="reported", to_state="verified", user=planner)
    assert row(planner_client, community)["abandoned"]["verified"] == 1
    assert row(planner_client, community)["abandoned"]["reported"] == 0
    AbandonmentEvent.objects.filter(pk=step.pk).delete()
    assert row(planner_client, community)["abandoned"]["reported"] == 1


def test_a_renovation_project_edit_shows_at_once(planner_client, community):
    estate = Estate.objects.get(community=community)
    assert row(planner_client, community)["renovation"]["planned"] == 0
    project = RenovationProject.objects.create(estate=estate, name="测试改造", items=["roof"],
                                               start_year=timezone.localdate().year, status="planned")
    assert row(planner_client, community)["renovation"]["planned"] == 1
    RenovationProject.objects.filter(pk=project.pk).update(status="completed")
    assert row(planner_client, community)["renovation"] == {"planned": 0, "in_progress": 0, "completed": 1}


def test_a_community_moving_street_shows_at_once(planner_client, community):
    old_street = community.parent
    assert row(planner_client, old_street, "street")["old_estates"] == 1
    new_street = factories.community().parent  # another new street in the same district
    before = row(planner_client, new_street, "street")["old_estates"]
    AdminArea.objects.filter(pk=community.pk).update(parent=new_street)
    assert row(planner_client, old_street, "street")["old_estates"] == 0
    assert row(planner_client, new_street, "street")["old_estates"] == before + 1


def test_a_replaced_rule_function_shows_at_once(planner_client, community):
    assert row(planner_client, community)["old_estates"] == 1
    with transaction.atomic():
        with connection.cursor() as cursor:  # no old estate at all, the data untouched
            cursor.execute("CREATE OR REPLACE FUNCTION layers_is_old_estate(p_build_year smallint, p_cutoff integer) "
                           "RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT false $$")
        assert row(planner_client, community)["old_estates"] == 0
        transaction.set_rollback(True)
    assert row(planner_client, community)["old_estates"] == 1


def users():
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT, code="230112")
    other = factories.second_district()
    people = [None] + list(User.objects.filter(username__in=["planner", "official", "city", "admin"]))
    people += [User.objects.filter(profile__role=role).order_by("pk").first()
               for role in ("street_office", "community")]
    assert len(people) == 7, people
    return people, district, other


def test_answers_from_memory_equal_answers_read_afresh_for_every_user_level_and_parent(settings, community):
    people, district, other = users()
    on = timezone.localdate()
    asks = [(level, None) for level in LEVEL_DEPTH] + [("street", district.pk), ("community", district.pk),
                                                       ("community", community.parent_id), ("street", other.pk)]
    coverage.forget_community_figures()
    remembered = {}
    for user in people:
        for level, parent in asks:
            try:
                remembered[(user, level, parent)] = coverage_figures(on=on, level=level, parent_id=parent, user=user)
            except Exception as refused:  # a parent outside the user's jurisdiction: the same refusal either way
                remembered[(user, level, parent)] = type(refused)
    settings.COVERAGE_CACHE_ENTRIES = 0
    for (user, level, parent), answer in remembered.items():
        try:
            afresh = coverage_figures(on=on, level=level, parent_id=parent, user=user)
        except Exception as refused:
            afresh = type(refused)
        assert afresh == answer, (user, level, parent)


def test_the_memory_serves_other_levels_and_users_inside_their_scope(community):
    on = timezone.localdate()
    coverage.forget_community_figures()
    everything = coverage_figures(on=on, level="community")  # every community read once, unscoped
    planner = User.objects.get(username="planner")
    with CaptureQueriesContext(connection) as queries:
        mine = coverage_figures(on=on, level="street", user=planner)
        city = coverage_figures(on=on, level="city")
    assert base_reads(queries.captured_queries) == 0
    streets = set(AdminArea.objects.filter(level="street", parent=planner.profile.district)
                  .values_list("pk", flat=True))
    assert {r["id"] for r in mine["rows"]} == streets
    assert city["total"]["old_estates"] == everything["total"]["old_estates"]
    assert mine["total"]["old_estates"] == sum(r["old_estates"] for r in everything["rows"]
                                               if AdminArea.objects.get(pk=r["id"]).parent.parent_id
                                               == planner.profile.district_id)


def test_an_edit_between_the_two_statements_reads_everything_again(community):
    """A version read before an edit committed: the figures are read again, all from one snapshot."""
    on = timezone.localdate()
    coverage.forget_community_figures()
    params = {"on": on, "day_end": coverage._end_of_day(on), "year": on.year,
              "cutoff": factories.cutoff_year()}
    every = AdminArea.objects.filter(level="community").count()
    with CaptureQueriesContext(connection) as queries:
        figures = coverage.community_figures(params, "a version no longer current", every, {community.pk})
    assert base_reads(queries.captured_queries) == 2
    assert figures[community.pk][coverage.COUNT_COLUMNS.index("old_households")] == 100


def called_functions(sql: str, cursor) -> str:
    """The text of sql and of every layers_ function it calls, and they call, in turn."""
    seen, texts, todo = set(), [sql], set(re.findall(r"\b(layers_\w+)\s*\(", sql))
    while todo:
        name = todo.pop()
        seen.add(name)
        cursor.execute("SELECT string_agg(pg_get_functiondef(oid), ' ') FROM pg_proc WHERE proname = %s", [name])
        body = cursor.fetchone()[0] or ""
        texts.append(body)
        todo |= set(re.findall(r"\b(layers_\w+)\s*\(", body)) - seen
    return " ".join(texts)


def test_every_table_the_figures_read_bumps_a_version_of_the_key():
    """Each table of BASE_SQL and of the rule functions it calls has a statement trigger (insert, update, delete,
    truncate) bumping one of BASE_VERSIONS: an edit by any write path changes the key."""
    with connection.cursor() as cursor:
        text = called_functions(BASE_SQL, cursor)
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'layers\\_%'")
        tables = {name for (name,) in cursor.fetchall()}
        # Two kinds of trigger bump a version: layers_bump_tile_versions(layers…) (migration 0012: every statement;
        # since 0030 TRUNCATE only on the tables whose rows have a place) and <table>_tile_cells() (0028, 0030:
        # a statement that changed a row, bumping the table's layers of 0028's PLACED).
        cursor.execute("""SELECT c.relname, t.tgtype, t.tgargs, p.proname FROM pg_trigger t
                            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
                           WHERE p.proname = 'layers_bump_tile_versions' OR p.proname = c.relname || '_tile_cells'""")
        triggers = cursor.fetchall()
    read = set(re.findall(r"\b(layers_\w+)\b", text)) & tables - {"layers_tileversion"}  # the versions themselves
    assert {"layers_estate", "layers_servicecontract", "layers_building", "layers_abandonmentreport",
            "layers_abandonmentevent", "layers_renovationproject", "layers_adminarea"} <= read
    placed = {table: {layer for layer, _ in layers}
              for table, layers in importlib.import_module("layers.migrations.0028_tile18").PLACED.items()}
    every_write = 4 | 8 | 16 | 32  # INSERT, DELETE, UPDATE, TRUNCATE (pg_trigger.tgtype bits); bit 1 = row level
    events = collections.defaultdict(int)
    for name, kind, args, function in triggers:
        bumped = set(bytes(args).decode().split("\x00")) if function == "layers_bump_tile_versions" else placed[name]
        if not kind & 1 and bumped & set(BASE_VERSIONS):
            events[name] |= kind & every_write
    covered = {name for name, kinds in events.items() if kinds == every_write}
    assert read - covered == set()
