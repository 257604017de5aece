"""Hotline work orders imported as complaints: dry run, commit once per order number, bad files refused with the row
and column (DOMAIN.md "Supervision")."""
import datetime
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import override

from layers.demo.hotline import HEADER, orders_csv, orders_xlsx
from layers.models import Complaint, ComplaintEvent, Role, StepKind
from layers.refusals import Forbidden, Invalid
from layers.services.complaint_import import complaint_import_check, complaint_import_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_complaints")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
XLSX = FIXTURES / "hotline_orders.xlsx"
GBK_CSV = FIXTURES / "hotline_orders_gbk.csv"


def planner():
    return User.objects.get(username="planner")


def order(no="12345-T-1", when="2026-11-03 09:15:00", words="楼道垃圾多日无人清运", address="", category="环境卫生"):
    return (no, when, words, address, category, "王先生", "13800000000", "12345")


def csv_bytes(rows, encoding="utf-8"):
    return orders_csv(rows).encode(encoding)


def test_the_dry_run_reports_each_row_and_writes_nothing():
    report = complaint_import_check(user=planner(), data=XLSX.read_bytes(), name=XLSX.name)
    assert report["rows"] == 40
    assert report["errors"] == []
    counts = report["counts"]
    assert counts["new"] > 20 and counts["to_confirm"] >= 5  # every 8th address is vague
    assert counts["new"] + counts["to_confirm"] == 40 == report["to_add"]
    matched = [o for o in report["orders"] if o["status"] == "new"]
    assert all(o["estate"] and o["confidence"] >= 0.6 for o in matched)
    assert report["orders"][0]["row"] == 3  # a title line above the header
    assert not Complaint.objects.exists()


def test_commit_takes_each_order_once_and_a_second_import_adds_nothing():
    user = planner()
    report = complaint_import_commit(user=user, data=XLSX.read_bytes(), name=XLSX.name)
    assert report["added"] == 40 and report["already_there"] == 0
    assert Complaint.objects.count() == 40
    assert Complaint.objects.filter(estate__isnull=True).count() == report["counts"]["to_confirm"]
    assert ComplaintEvent.objects.filter(kind=StepKind.RECEIVED).count() == 40
    twelve = Complaint.objects.get(order_no="12319-20261102-00001")
    assert twelve.channel == "hotline_12319" and twelve.category.code == "pm_cleaning"
    assert twelve.estate is not None and twelve.community_id == twelve.estate.community_id
    # The same orders again, as the GBK CSV export: nothing added, all counted as already there.
    again = complaint_import_commit(user=user, data=GBK_CSV.read_bytes(), name=GBK_CSV.name)
    assert again["added"] == 0 and again["already_there"] == 40
    assert Complaint.objects.count() == 40


def test_gbk_and_utf8_csv_read_alike():
    rows = [order(address="附近小区门口")]
    gbk = complaint_import_check(user=planner(), data=csv_bytes(rows, "gbk"), name="o.csv")
    utf = complaint_import_check(user=planner(), data=csv_bytes(rows, "utf-8-sig"), name="o.csv")
    assert gbk["orders"][0]["address"] == utf["orders"][0]["address"] == "附近小区门口"


def test_bad_rows_are_named_by_row_and_column_in_chinese_and_nothing_is_written():
    future = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [order("A1"), order("A2", when=future), order("A3", address="路" * 10_000), order("A1"),
            order("A5", when="昨天下午"), order("A6", words="")]
    with override("zh-hans"), pytest.raises(Invalid) as caught:
        complaint_import_commit(user=planner(), data=csv_bytes(rows), name="orders.csv")
    errors = caught.value.details["report"]["errors"]
    by_row = {(e["row"], e["column"]) for e in errors}
    assert by_row == {(3, "受理时间"), (4, "地址"), (5, "工单编号"), (6, "受理时间"), (7, "来电内容")}
    assert "晚于当前时间" in next(e["message"] for e in errors if e["row"] == 3)
    assert "第 3 行" in caught.value.message and "未导入" in caught.value.message
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("data,name,words", [
    (b"", "empty.xlsx", "空"),
    (b"PK\x03\x04 not really a workbook", "broken.xlsx", "XLSX"),
    ("工单编号,受理时间\n".encode(), "header_only.csv", "地址"),
    (",".join(HEADER).encode() + b"\n", "no_rows.csv", "空"),
    (b"\x00\x01\x02", "orders.txt", ".xlsx"),
])
def test_unreadable_files_are_refused_in_chinese(data, name, words):
    with override("zh-hans"), pytest.raises(Invalid) as caught:
        complaint_import_check(user=planner(), data=data, name=name)
    assert words in caught.value.message and name in caught.value.message


def test_hotline_orders_are_imported_by_the_district_not_by_a_street_office():
    office = User.objects.filter(profile__role=Role.STREET_OFFICE).order_by("username").first()
    with pytest.raises(Forbidden):
        complaint_import_check(user=office, data=XLSX.read_bytes(), name=XLSX.name)


def test_the_command_dry_runs_commits_and_is_idempotent():
    out = io.StringIO()
    call_command("import_complaints", str(XLSX), "--dry-run", "--user", "planner", stdout=out)
    assert "Nothing written" in out.getvalue() and not Complaint.objects.exists()
    call_command("import_complaints", str(XLSX), "--user", "planner", stdout=out)
    assert Complaint.objects.count() == 40
    out = io.StringIO()
    call_command("import_complaints", str(GBK_CSV), "--user", "planner", stdout=out)
    assert "0 added" in out.getvalue() and "40 already there" in out.getvalue()
    assert Complaint.objects.count() == 40


def test_the_command_refuses_a_file_with_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([order("B1", when="not a date")]))
    with pytest.raises(CommandError):
        call_command("import_complaints", str(bad), "--user", "planner", stdout=io.StringIO())
    assert not Complaint.objects.exists()


def test_a_workbook_built_here_with_dates_as_cells_is_read():
    data = orders_xlsx([order("X1", address="菜市场对面那个院")])
    report = complaint_import_check(user=planner(), data=data, name="x.xlsx")
    assert report["orders"][0]["received_at"].startswith("2026-11-03T09:15")
    assert report["counts"]["to_confirm"] == 1


FIELDS = ("channel", "received_at", "caller_words", "address_text", "hotline_category", "caller_name", "caller_phone",
          "category_id", "district_id", "street_id", "community_id", "estate_id", "building_id", "match_confidence",
          "location", "provider_kind", "enterprise_id", "department", "level", "status", "sign_due", "reply_due",
          "close_due", "created_by_id")


def test_the_bulk_intake_writes_what_one_by_one_intake_writes():
    """The import's complaint_create_many gives each order the rows complaint_create gives it: area, routing to the
    provider on the day or a department, deadlines, location, the received event."""
    from layers.models import Building, ComplaintCategory, ServiceContract
    from layers.services.complaints import complaint_create, complaint_create_many

    user = planner()
    served = ServiceContract.objects.filter(provider_kind="enterprise", end_date__isnull=True,
                                            estate__community__parent__parent=user.profile.district)
    building = Building.objects.filter(estate__in=served.values("estate")).order_by("pk").first()
    bare = Building.objects.exclude(estate=building.estate).filter(
        estate__community__parent__parent=user.profile.district).order_by("pk").first().estate
    categories = ComplaintCategory.objects.filter(district=user.profile.district)
    received = timezone.now() - datetime.timedelta(days=3)
    orders = [
        dict(channel="hotline_12345", received_at=received, caller_words=" 下水管道漏水 ", address_text="某路1号5号楼",
             category_id=categories.get(code="pm_repair").pk, estate_id=building.estate_id, building_id=building.pk,
             hotline_category="维修", caller_name="王先生", caller_phone="13800000000", match_confidence=0.9),
        dict(channel="hotline_12319", received_at=received, caller_words="暖气不热", estate_id=bare.pk,
             category_id=categories.get(code="dept_heating").pk, match_confidence=0.8),
        dict(channel="hotline_12345", received_at=received, caller_words="楼道灯不亮", estate_id=bare.pk),
        dict(channel="hotline_12345", received_at=received, caller_words="菜市场对面垃圾", address_text="菜市场对面",
             match_confidence=0.1),
    ]
    ids = complaint_create_many(user=user, orders=[{**o, "order_no": f"B-{k}"} for k, o in enumerate(orders)])
    singles = [complaint_create(user=user, **o, order_no=f"S-{k}") for k, o in enumerate(orders)]
    bulk = [Complaint.objects.get(pk=pk) for pk in ids]
    assert [c.order_no for c in bulk] == ["B-0", "B-1", "B-2", "B-3"]
    assert bulk[0].enterprise_id is not None and bulk[1].department and bulk[3].estate_id is None
    for made, single in zip(bulk, singles):
        single.refresh_from_db()
        assert {f: getattr(made, f) for f in FIELDS} == {f: getattr(single, f) for f in FIELDS}
        event, = ComplaintEvent.objects.filter(complaint=made).values("kind", "to_status", "level", "user", "note")
        assert event == ComplaintEvent.objects.filter(complaint=single).values(
            "kind", "to_status", "level", "user", "note").get()
