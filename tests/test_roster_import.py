"""The roster import as an office uses it (issue 21): who a row is, the preview row by
row and a commit that applies exactly it (or nothing, if the registry changed since),
members missing from the file, transfers, the history and its error report, the
template, the ID-card switch; uploads bound to their tenant and user, the size limit and
bad files (issue 17); two imports of one file at once (PostgreSQL).

Workbooks are made here with openpyxl (``roster.write_roster`` or by hand)."""

import io
import threading
import uuid
from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from test_member_import import count, create_org, member_rows, members_url
from test_web_pages import login, token_of

from zhibu.db import db
from zhibu.members import importer
from zhibu.members.roster import write_roster
from zhibu.models import AuditEntry, Member, MemberTransfer, RosterImport
from zhibu.tenancy import system_scope, use_scope

Z01, Z02 = "机电系第一党支部", "机电系第二党支部"


def sheet(headers: list[str], *rows: list) -> bytes:
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(client, world, data, user="admin_a", tenant="A", **options):
    response = client.post(
        members_url(world, tenant, "/import/preview"),
        data={"file": (BytesIO(data), "花名册.xlsx"), **options},
        headers=world.headers[user],
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    return response.json


def decide(client, world, upload_id, decisions, user="admin_a", **options):
    response = client.post(
        members_url(world, rest=f"/import/previews/{upload_id}"),
        json={"decisions": decisions, **options},
        headers=world.headers[user],
    )
    assert response.status_code == 200, response.json
    return response.json


def commit(client, world, upload_id, user="admin_a", tenant="A"):
    return client.post(
        members_url(world, tenant, f"/import/previews/{upload_id}/commit"),
        headers=world.headers[user],
    )


def add_member(client, world, **values):
    response = client.post(members_url(world), headers=world.headers["admin_a"], json=values)
    assert response.status_code == 201, response.json
    return response.json


def by_row(report) -> dict[int, dict]:
    return {row["row"]: row for row in report["rows"]}


# --- who a row is ------------------------------------------------------------------------


def test_a_birth_month_finds_the_member_born_that_month_and_keeps_the_day(client, world, app):
    """The issue's 王建军: 出生年月 written "1983.02" is the member born 1983-02-15."""
    made = add_member(
        client, world, org_id=world.id("A-Z01"), name="王建军", birth_date="1983-02-15"
    )
    data = sheet(
        ["姓名", "出生年月", "所在支部", "联系电话"], ["王建军", "1983.02", Z01, "13700000001"]
    )
    report = preview(client, world, data)
    assert (report["to_create"], report["to_update"]) == (0, 1)
    row = by_row(report)[2]
    assert (row["member_id"], row["matched_by"]) == (made["id"], "person")
    assert row["changes"] == [
        {"field": "phone", "label": "联系电话", "old": None, "new": "13700000001"}
    ]
    assert commit(client, world, report["upload_id"]).status_code == 200
    stored = member_rows(app, world.ids["A"])[made["archive_code"]]
    assert (stored.birth_date, stored.phone) == (date(1983, 2, 15), "13700000001")


def test_two_rows_of_one_person_are_reported_naming_both_rows(client, world, app):
    data = sheet(
        ["姓名", "出生年月", "所在支部"],
        ["王建军", "1983.02", Z01],
        ["李四", "1985.03", Z02],
        ["王 建军", "1983年2月", Z01],
    )
    report = preview(client, world, data)
    assert [(e["row"], e["column"], e["header"]) for e in report["errors"]] == [(4, "A", "姓名")]
    assert "与第2行是同一人(姓名、出生日期相同)" in report["errors"][0]["message"]
    assert report["to_create"] == 1 and report["ok"] is False


def test_an_ambiguous_row_waits_for_the_users_choice(client, world, app):
    """Two 王芳 born the same day in two branches, the row in a third: 待确认, never a
    guess; the user's choice is what the commit applies."""
    first = add_member(
        client, world, org_id=world.id("A-Z01"), name="王芳", birth_date="1990-01-01"
    )
    second = add_member(
        client, world, org_id=world.id("A-Z02"), name="王芳", birth_date="1990-01-01"
    )
    group = create_org(client, world, "A-G1", "第一党小组", world.id("A-Z01"))
    data = sheet(
        ["姓名", "出生日期", "所在支部", "学历"],
        ["王芳", "1990-01-01", "第一党小组", "研究生"],
        ["张三", None, Z01, None],  # a name-only match: the user's choice too
    )
    report = preview(client, world, data, transfer_on="2024-03-01")
    rows = by_row(report)
    assert (report["pending"], rows[2]["kind"], rows[3]["kind"]) == (2, "pending", "pending")
    assert {c["member_id"] for c in rows[2]["candidates"]} == {first["id"], second["id"]}
    assert not any(c["suggested"] for c in rows[2]["candidates"])
    assert [c["archive_code"] for c in rows[3]["candidates"] if c["suggested"]] == ["A-M1"]
    refused = commit(client, world, report["upload_id"])
    assert refused.status_code == 422 and "待确认" in refused.json["errors"][0]["message"]
    assert count(app, Member, world.ids["A"]) == 4

    decided = decide(
        client,
        world,
        report["upload_id"],
        {"2": second["id"], "3": "new"},
        transfer_on="2024-03-01",
    )
    rows = by_row(decided)
    assert (rows[2]["kind"], rows[2]["decision"], rows[3]["kind"]) == (
        "update",
        second["id"],
        "create",
    )
    assert rows[2]["transfer"] == {"from": Z02, "to": "第一党小组", "on": "2024-03-01"}
    assert rows[2]["changes"] == [
        {"field": "education", "label": "学历", "old": None, "new": "研究生"}
    ]
    done = commit(client, world, report["upload_id"])
    assert done.status_code == 200 and done.json["committed"] is True
    stored = {m.id: m for m in member_rows(app, world.ids["A"]).values()}
    moved = stored[uuid.UUID(second["id"])]
    assert (str(moved.org_id), moved.education) == (group["id"], "研究生")
    assert count(app, Member, world.ids["A"]) == 5  # the second 张三 is new


# --- the preview and the commit ----------------------------------------------------------


def test_the_commit_applies_the_preview_with_an_audit_entry_per_member(client, world, app):
    data = write_roster(
        [{"name": "张三", "branch": Z02, "archive_code": "A-M1", "phone": "13600000000"}]
    )
    report = preview(client, world, data, transfer_on="2024-05-01")
    row = by_row(report)[2]
    assert row["changes"] == [
        {"field": "phone", "label": "联系电话", "old": "13912345678", "new": "13600000000"}
    ]
    assert row["transfer"] == {"from": Z01, "to": Z02, "on": "2024-05-01"}
    assert commit(client, world, report["upload_id"]).status_code == 200
    with app.app_context(), use_scope(system_scope()):
        transfer = db.session.scalars(select(MemberTransfer)).one()
        assert (transfer.from_org_id, transfer.to_org_id) == (
            world.ids["A-Z01"],
            world.ids["A-Z02"],
        )
        assert (transfer.transferred_on, transfer.user_id) == (
            date(2024, 5, 1),
            world.ids["admin_a"],
        )
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "update", AuditEntry.entity_id == str(world.ids["A-M1"])
            )
        ).one()
        assert entry.before == {"phone": "13912345678", "org_id": str(world.ids["A-Z01"])}
        assert entry.after == {"phone": "13600000000", "org_id": str(world.ids["A-Z02"])}
        assert entry.username == "admin_a"


def test_a_commit_after_the_registry_changed_is_refused_and_previewed_again(client, world, app):
    data = write_roster(
        [{"name": "张三", "branch": Z01, "archive_code": "A-M1", "phone": "13600000000"}]
    )
    report = preview(client, world, data)
    edited = client.patch(
        members_url(world, rest=f"/{world.id('A-M1')}"),
        json={"education": "本科"},
        headers=world.headers["admin_a"],
    )
    assert edited.status_code == 200
    refused = commit(client, world, report["upload_id"])
    assert refused.status_code == 409 and "名册在预览之后有变动" in refused.json["message"]
    assert refused.json["report"]["fingerprint"] != report["fingerprint"]
    assert member_rows(app, world.ids["A"])["A-M1"].phone == "13912345678"  # nothing written
    done = commit(client, world, report["upload_id"])  # the preview made again is the one now
    assert done.status_code == 200
    assert member_rows(app, world.ids["A"])["A-M1"].phone == "13600000000"


def test_members_missing_from_the_file_are_listed_and_may_be_marked_transferred_out(
    client, world, app
):
    add_member(client, world, org_id=world.id("A-Z01"), name="赵六")
    data = write_roster([{"name": "张三", "branch": Z01, "archive_code": "A-M1"}])
    report = preview(client, world, data)
    assert [m["name"] for m in report["absent"]] == ["赵六"]  # 李四's branch is not in the file
    assert report["to_leave"] == 0
    leaving = preview(client, world, data, absent="leave", left_on="2024-06-30")
    assert leaving["to_leave"] == 1
    assert commit(client, world, leaving["upload_id"]).status_code == 200
    rows = {m.name: m for m in member_rows(app, world.ids["A"]).values()}
    assert (rows["赵六"].active, rows["赵六"].left_on) == (False, date(2024, 6, 30))
    assert rows["李四"].active and count(app, Member, world.ids["A"]) == 3  # nobody deleted


def test_an_import_transfer_is_dated_after_the_previous_one(client, world, app):
    moved = client.post(
        members_url(world, rest=f"/{world.id('A-M1')}/transfer"),
        json={"to_org_id": world.id("A-Z02"), "on": "2024-04-01"},
        headers=world.headers["admin_a"],
    )
    assert moved.status_code == 201
    data = write_roster([{"name": "张三", "branch": Z01, "archive_code": "A-M1"}])
    early = preview(client, world, data, transfer_on="2024-03-01")
    assert by_row(early)[2]["kind"] == "error"
    assert "早于该党员上次转接的日期 2024-04-01" in early["errors"][0]["message"]
    later = preview(client, world, data, transfer_on="2024-04-02")
    assert commit(client, world, later["upload_id"]).status_code == 200
    history = client.get(
        members_url(world, rest=f"/{world.id('A-M1')}/transfers"), headers=world.headers["admin_a"]
    ).json
    assert [(t["to_org_name"], t["transferred_on"]) for t in history] == [
        (Z02, "2024-04-01"),
        (Z01, "2024-04-02"),
    ]


# --- uploads, limits, bad files ----------------------------------------------------------


def test_an_upload_is_found_only_by_its_tenant_and_user(client, world, app):
    data = write_roster([{"name": "新人", "branch": Z01}])
    report = preview(client, world, data)
    upload_id = report["upload_id"]
    for user, tenant in (("admin_b", "B"), ("secretary_a", "A"), ("root", "A")):
        stolen = commit(client, world, upload_id, user=user, tenant=tenant)
        assert stolen.status_code == 404, (user, stolen.json)
        assert "只有上传者本人可用" in stolen.json["message"]
    assert count(app, Member, world.ids["B"]) == 1 and count(app, Member, world.ids["A"]) == 2
    assert commit(client, world, upload_id).status_code == 200
    assert count(app, Member, world.ids["A"]) == 3


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(client, world, app):
    app.config["MAX_CONTENT_LENGTH"] = 4000
    data = write_roster([{"name": f"党员{i}", "branch": Z01} for i in range(200)])
    response = client.post(
        members_url(world, rest="/import/preview"),
        data={"file": (BytesIO(data), "大.xlsx")},
        headers=world.headers["admin_a"],
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "上传的文件超过上限 0.0 MB,未读取" in response.json["message"]
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/members/import"
    token = token_of(client.get(url))
    page = client.post(
        url, data={"csrf_token": token, "file": (io.BytesIO(data + bytes(70_000)), "大.xlsx")}
    )
    assert page.status_code == 413 and "上传的文件超过上限 0.1 MB" in page.text
    assert count(app, Member, world.ids["A"]) == 2


def far_cell() -> bytes:
    book = Workbook()
    book.active["A1"], book.active["B1"] = "姓名", "所在支部"
    book.active["XFD1048576"] = "x"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d,\n", "不是 Excel 工作簿"),
        (far_cell(), "超过上限 2,000,000 个"),
        (sheet(["会议", "时间"], ["支部大会", "2024-01-01"]), "前10行中找不到表头"),
    ],
    ids=["csv", "billions-of-cells", "no-header"],
)
def test_a_bad_file_is_one_clear_error_and_nothing_is_written(client, world, app, data, words):
    entries = audit_count(app, world.ids["A"])
    report = preview(client, world, data)
    assert report["ok"] is False and [e["row"] for e in report["errors"]] == [0]
    assert words in report["errors"][0]["message"]
    response = client.post(
        members_url(world, rest="/import"),
        data={"file": (BytesIO(data), "坏.xlsx")},
        headers=world.headers["admin_a"],
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and words in response.json["errors"][0]["message"]
    assert count(app, Member, world.ids["A"]) == 2
    assert audit_count(app, world.ids["A"]) == entries


def audit_count(app, tenant_id) -> int:
    with app.app_context(), use_scope(system_scope()):
        query = select(func.count()).select_from(AuditEntry)
        return db.session.scalar(query.where(AuditEntry.tenant_id == tenant_id))


# --- history, error report, template, ID cards -------------------------------------------


def test_the_history_keeps_refused_imports_with_their_error_report(client, world, app):
    bad = write_roster(
        [{"name": "赵钱", "branch": "不存在的支部"}, {"name": "孙李", "branch": Z01}]
    )
    refused = client.post(
        members_url(world, rest="/import"),
        data={"file": (BytesIO(bad), "有错.xlsx")},
        headers=world.headers["secretary_a"],
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    history = client.get(
        members_url(world, rest="/import/history"), headers=world.headers["admin_a"]
    ).json
    [entry] = history
    assert (entry["status"], entry["filename"], entry["username"]) == (
        "rejected",
        "有错.xlsx",
        "secretary_a",
    )
    assert (entry["rows"], entry["created"], entry["errors"], entry["error_report"]) == (
        2,
        1,
        1,
        True,
    )
    assert (
        client.get(
            members_url(world, rest="/import/history"), headers=world.headers["admin_b"]
        ).status_code
        == 404
    )
    report = client.get(
        members_url(world, rest=f"/import/history/{entry['id']}/errors.xlsx"),
        headers=world.headers["secretary_a"],
    )
    assert report.status_code == 200
    sheet_ = load_workbook(BytesIO(report.data)).active
    header = [c.value for c in sheet_[1]]
    assert header[:3] == ["原行号", "姓名", "性别"] and header[-1] == "问题说明"
    assert [c.value for c in sheet_[2]][:2] == [2, "赵钱"]
    bad_cell = sheet_.cell(2, header.index("所在支部") + 1)
    assert bad_cell.value == "不存在的支部" and bad_cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert (
        "找不到组织" in bad_cell.comment.text
        and "G列(所在支部)" in sheet_.cell(2, len(header)).value
    )


def test_the_template_and_the_id_card_switch(client, world, app):
    template = client.get(
        members_url(world, rest="/import/template"), headers=world.headers["secretary_a"]
    )
    assert template.status_code == 200
    assert load_workbook(BytesIO(template.data)).sheetnames == ["党员花名册", "填写说明"]
    login(client, "secretary_a")
    url = f"/t/{world.id('A')}/members/import"
    page = client.get(url)
    assert "下载模板" in page.text and "启用身份证号" not in page.text
    token = token_of(page)
    assert (
        client.post(f"{url}/id-cards", data={"csrf_token": token, "enabled": "on"}).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})
    login(client, "admin_a")
    token = token_of(client.get(url))
    switched = client.post(f"{url}/id-cards", data={"csrf_token": token, "enabled": "on"})
    assert "已启用身份证号" in client.get(switched.location).text
    card = "11010519491231002X"
    data = sheet(["姓名", "所在支部", "身份证号码"], ["周吴", Z01, card.lower()])
    assert preview(client, world, data)["ignored"] == []  # read now the tenant keeps them


# --- two at once -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_imports_of_one_file_at_once_create_each_member_once(app, client, world):
    """The registry's lock: the second import waits, then finds every row 无变化 (a
    one-shot import) or refuses its outdated preview; never a member twice."""
    data = write_roster([{"name": f"并发{i}", "branch": Z01} for i in range(40)])
    first, second = preview(client, world, data), preview(client, world, data)
    tenant_id, admin = world.ids["A"], world.ids["admin_a"]
    barrier, outcomes, failures = threading.Barrier(4), [], []

    def run(kind: str, shown: dict | None) -> None:
        from zhibu.accounts.access import access_for
        from zhibu.jobs.uploads import take
        from zhibu.models import Tenant, User

        try:
            with app.app_context(), use_scope(system_scope(username="admin_a", user_id=admin)):
                tenant = db.session.get(Tenant, tenant_id)
                access = access_for(db.session.get(User, admin), tenant_id)
                if shown is not None:
                    upload = take(shown["upload_id"], tenant_id=tenant_id, user_id=admin)
                db.session.commit()
                barrier.wait(10)
                try:
                    if shown is None:
                        done = importer.commit(tenant, access, data)
                    else:
                        done = importer.commit_prepared(tenant, access, data, shown, upload.plan)
                    outcomes.append((kind, done.to_create))
                except importer.PreviewOutdated as outdated:
                    outcomes.append((kind, f"outdated, {outdated.report.unchanged} unchanged"))
                db.session.remove()
        except Exception as exc:  # reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=("once", None)),
        threading.Thread(target=run, args=("once", None)),
        threading.Thread(target=run, args=("preview", first)),
        threading.Thread(target=run, args=("preview", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    created = [n for _, n in outcomes if n == 40]
    assert len(created) == 1, outcomes  # one of the four wrote the members, once
    others = [n for _, n in outcomes if n != 40]
    assert len(others) == 3 and set(others) <= {0, "outdated, 40 unchanged"}, outcomes
    with app.app_context(), use_scope(system_scope()):
        names = db.session.scalars(
            select(Member.name).where(Member.tenant_id == tenant_id, Member.name.like("并发%"))
        ).all()
        imports = db.session.scalar(select(func.count()).select_from(RosterImport))
        db.session.remove()
    assert len(names) == len(set(names)) == 40
    assert imports == sum(1 for _, n in outcomes if isinstance(n, int))
