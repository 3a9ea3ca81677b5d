"""Roster import and export: preview with every bad row, all-or-nothing commit, idempotent
re-import, the audit summary, confinement of branch secretaries, and a lossless round trip
(also into an empty copy of the tree); through the API and the ``zhibu members`` command.

Workbooks are built here with openpyxl or ``roster.write_roster``; none is committed.
"""

import hashlib
from contextlib import contextmanager
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import event, func, select

from zhibu.db import db
from zhibu.members.idcard import check_digit
from zhibu.members.importer import IMPORT_REASON
from zhibu.members.roster import COLUMNS, read_roster, write_roster
from zhibu.models import AuditEntry, Member, MemberTransfer, RosterImport
from zhibu.tenancy import system_scope, use_scope

HEADERS = [column.title for column in COLUMNS]
WOMAN_1949 = "11010519491231002X"
MAN_1990 = "65290119900615123" + check_digit("65290119900615123")
Z01, Z02 = "机电系第一党支部", "机电系第二党支部"


def sheet(*rows: dict, extra: tuple[str, ...] = ()) -> bytes:
    """A workbook with the canonical headers (plus ``extra``); rows keyed by header."""
    workbook = Workbook()
    headers = [*HEADERS, *extra]
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append([row.get(header) for header in headers])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def members_url(world, tenant="A", rest=""):
    return f"/api/v1/tenants/{world.id(tenant)}/members{rest}"


def upload(client, world, user, data, *, commit=False, tenant="A"):
    path = "/import" if commit else "/import/preview"
    return client.post(
        members_url(world, tenant, path),
        data={"file": (BytesIO(data), "花名册.xlsx")},
        headers=world.headers[user],
        content_type="multipart/form-data",
    )


def count(app, model, tenant_id) -> int:
    with app.app_context(), use_scope(system_scope()):
        query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        return db.session.scalar(query)


def audit_entries(app, tenant_id, action="import"):
    with app.app_context(), use_scope(system_scope()):
        query = select(AuditEntry).where(
            AuditEntry.tenant_id == tenant_id,
            AuditEntry.action == action,
            AuditEntry.entity == "members",
        )
        return [(entry.username, entry.after) for entry in db.session.scalars(query)]


def member_rows(app, tenant_id):
    with app.app_context(), use_scope(system_scope()):
        query = select(Member).where(Member.tenant_id == tenant_id).order_by(Member.archive_code)
        return {m.archive_code: m for m in db.session.scalars(query)}


def before_of(app, tenant_id, member_id):
    with app.app_context(), use_scope(system_scope()):
        query = select(AuditEntry.before).where(
            AuditEntry.tenant_id == tenant_id,
            AuditEntry.action == "update",
            AuditEntry.entity_id == str(member_id),
        )
        return db.session.scalar(query)


def history_of(app, tenant_id):
    with app.app_context(), use_scope(system_scope()):
        query = select(RosterImport).where(RosterImport.tenant_id == tenant_id)
        return list(db.session.scalars(query.order_by(RosterImport.at)))


@contextmanager
def statements(app):
    """Every SQL statement the app runs inside the block."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(connection, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def create_org(client, world, code, name, parent, tenant="A", user="admin_a"):
    response = client.post(
        f"/api/v1/tenants/{world.id(tenant)}/orgs",
        json={"code": code, "name": name, "kind": "party_group", "parent_id": parent},
        headers=world.headers[user],
    )
    assert response.status_code == 201, response.json
    return response.json


def enable_id_cards(client, world, tenant="A", user="admin_a"):
    response = client.patch(
        f"/api/v1/tenants/{world.id(tenant)}",
        json={"id_card_enabled": True},
        headers=world.headers[user],
    )
    assert response.status_code == 200


# --- preview -----------------------------------------------------------------------------


def bad_file(client, world) -> bytes:
    """Ten rows (Excel rows 2-11); rows 3, 4, 6, 9, 10 and 11 have one problem each.
    Row 5's ID card is not read (the tenant keeps none); row 7 is 张三 of 第一党支部 (the
    other 张三 born that day is in 第二党支部)."""
    create_org(client, world, "A-G1", "第一党小组", world.id("A-Z01"))
    create_org(client, world, "A-G2", "第一党小组", world.id("A-Z02"))
    twin = client.post(
        members_url(world),
        headers=world.headers["admin_a"],
        json={"org_id": world.id("A-Z02"), "name": "张三", "birth_date": "1985-03-01"},
    )
    assert twin.json["archive_code"] == "A-000001"
    return sheet(
        {"姓名": "王小明", "所在支部": Z01, "备注": "新发展"},
        {"姓名": "赵钱", "所在支部": "不存在的支部"},
        {"姓名": "孙李", "所在支部": Z01, "出生日期": "1985-13-45"},
        {"姓名": "周吴", "所在支部": Z01, "身份证号": WOMAN_1949},
        {"姓名": "郑王", "所在支部": "第一党小组"},
        {"姓名": "张三", "所在支部": Z01, "出生日期": "1985-03-01"},
        {"姓名": "李四", "所在支部": Z02, "档案编码": "A-M2"},
        {"姓名": "褚卫", "所在支部": Z02, "档案编码": "A-M2"},
        {"姓名": "张三", "所在支部": Z01, "档案编码": "A-M1"},
        {"姓名": "李四", "所在支部": Z02, "出生日期": date(1985, 3, 1)},
        extra=("备注",),
    )


EXPECTED_ERRORS = [
    (3, "G", "所在支部", "不存在的支部"),
    (4, "D", "出生日期", "1985-13-45"),
    (6, "G", "所在支部", "A-G1、A-G2"),
    (9, "K", "档案编码", "与第8行是同一人"),
    (10, "A", "姓名", "与第7行对应同一名党员(档案编码 A-M1)"),
    (11, "A", "姓名", "与第8行对应同一名党员(档案编码 A-M2)"),
]


def test_preview_lists_every_bad_row_with_its_column_and_writes_nothing(client, world, app):
    data = bad_file(client, world)
    before = count(app, Member, world.ids["A"])
    response = upload(client, world, "admin_a", data)
    assert response.status_code == 200
    report = response.json
    found = [(e["row"], e["column"], e["header"], e["message"]) for e in report["errors"]]
    assert [f[:3] for f in found] == [e[:3] for e in EXPECTED_ERRORS]
    for (*_, message), (*_, expected) in zip(found, EXPECTED_ERRORS, strict=True):
        assert expected in message
    assert (report["total"], report["to_create"], report["unchanged"]) == (10, 2, 2)
    assert report["ignored_headers"] == ["备注", "身份证号"] and report["ok"] is False
    reasons = {c["header"]: c["reason"] for c in report["ignored"]}
    assert "未启用身份证号" in reasons["身份证号"] and reasons["备注"] == "备注,不导入"
    assert count(app, Member, world.ids["A"]) == before
    assert audit_entries(app, world.ids["A"]) == []


def test_a_file_with_any_bad_row_is_refused_whole(client, world, app):
    data = bad_file(client, world)
    before = count(app, Member, world.ids["A"])
    response = upload(client, world, "admin_a", data, commit=True)
    assert response.status_code == 422
    assert "未导入任何数据" in response.json["message"]
    assert [e["row"] for e in response.json["errors"]] == [e[0] for e in EXPECTED_ERRORS]
    assert response.json["report"]["to_create"] == 2
    assert count(app, Member, world.ids["A"]) == before
    assert audit_entries(app, world.ids["A"]) == []


def test_a_file_that_is_not_a_workbook_is_one_error(client, world):
    response = upload(client, world, "admin_a", b"name,branch\n", commit=True)
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json["errors"]] == [(0, "")]
    missing = client.post(
        members_url(world, rest="/import"),
        data={},
        headers=world.headers["admin_a"],
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and "file" in missing.json["errors"]["files"]


# --- commit ------------------------------------------------------------------------------

LI_SI = {
    "name": "李四",
    "branch": Z02,
    "archive_code": "A-M2",
    "gender": "男",
    "birth_date": date(1985, 3, 1),
    "joined_on": date(2010, 7, 1),
    "phone": "13912345678",
    "status": "full",
    "category": "serving",
}
NEW_ONE = {
    "name": "王小明",
    "branch": Z01,
    "gender": "男",
    "ethnicity": "回族",
    "birth_date": date(1990, 5, 4),
    "joined_on": date(2012, 6, 30),
    "full_member_on": date(2013, 6, 30),
    "position": "组织委员",
    "education": "本科",
    "phone": "0997-1234567",
    "status": "probationary",
    "category": "retired",
}
NEW_TWO = {"name": "刘小红", "branch": "A-Z02", "archive_code": "HR-0042"}


def test_commit_writes_in_bulk_and_reimport_changes_nothing(client, world, app):
    data = write_roster(
        [
            {"name": "张三", "branch": Z01, "archive_code": "A-M1", "phone": "13800000000"},
            NEW_ONE,
            NEW_TWO,
            LI_SI,
        ]
    )
    row_entries = len(audit_entries(app, world.ids["A"], action="create"))
    first = upload(client, world, "admin_a", data, commit=True)
    assert first.status_code == 200, first.json
    assert {k: first.json[k] for k in ("to_create", "to_update", "unchanged", "committed")} == {
        "to_create": 2,
        "to_update": 1,
        "unchanged": 1,
        "committed": True,
    }
    rows = member_rows(app, world.ids["A"])
    assert sorted(rows) == ["A-000001", "A-M1", "A-M2", "HR-0042"]
    made = rows["A-000001"]
    assert {f: getattr(made, f) for f in NEW_ONE if f != "branch"} == {
        f: v for f, v in NEW_ONE.items() if f != "branch"
    }
    assert made.org_id == world.ids["A-Z01"] and rows["HR-0042"].org_id == world.ids["A-Z02"]
    assert rows["A-M1"].phone == "13800000000" and rows["A-M1"].birth_date == date(1985, 3, 1)
    sha = hashlib.sha256(data).hexdigest()
    [(who, summary)] = audit_entries(app, world.ids["A"])
    assert who == "admin_a" and summary["sha256"] == sha and summary["history_id"]
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "transferred")} == {
        "created": 2,
        "updated": 1,
        "unchanged": 1,
        "transferred": 0,
    }
    # one entry per changed member, with what changed (written in bulk, not one per row)
    made = audit_entries(app, world.ids["A"], action="create")
    assert len(made) == row_entries + 2
    [(who, after)] = audit_entries(app, world.ids["A"], action="update")
    assert after == {"phone": "13800000000"}
    assert before_of(app, world.ids["A"], world.ids["A-M1"]) == {"phone": "13912345678"}

    stamps = {code: m.updated_at for code, m in rows.items()}
    with statements(app) as seen:
        again = upload(client, world, "admin_a", data, commit=True)
    assert again.status_code == 200
    assert (again.json["total"], again.json["unchanged"]) == (4, 4)
    assert (again.json["to_create"], again.json["to_update"]) == (0, 0)
    assert not [
        s for s in seen if s.lstrip().upper().startswith(("UPDATE MEMBERS", "INSERT INTO MEMBERS"))
    ]
    assert {c: m.updated_at for c, m in member_rows(app, world.ids["A"]).items()} == stamps
    # the attempt is in the history; no audit entry, no member written
    assert len(audit_entries(app, world.ids["A"])) == 1
    assert len(audit_entries(app, world.ids["A"], action="update")) == 1
    assert [h.status for h in history_of(app, world.ids["A"])] == ["committed", "committed"]


def test_an_empty_cell_keeps_the_stored_value(client, world, app):
    data = write_roster([{"name": "张三", "branch": Z01, "archive_code": "A-M1"}])
    report = upload(client, world, "admin_a", data, commit=True).json
    assert report["unchanged"] == 1
    assert member_rows(app, world.ids["A"])["A-M1"].phone == "13912345678"


def test_a_new_branch_in_the_file_is_a_transfer(client, world, app):
    data = write_roster([{"name": "张三", "branch": Z02, "archive_code": "A-M1"}])
    report = upload(client, world, "admin_a", data, commit=True).json
    assert (report["to_update"], report["to_transfer"]) == (1, 1)
    history = client.get(
        members_url(world, rest=f"/{world.id('A-M1')}/transfers"), headers=world.headers["admin_a"]
    ).json
    assert [(t["from_org_name"], t["to_org_name"], t["reason"]) for t in history] == [
        (Z01, Z02, IMPORT_REASON)
    ]
    assert history[0]["transferred_on"] == date.today().isoformat()
    assert count(app, MemberTransfer, world.ids["A"]) == 1


def test_id_cards_match_members_and_may_not_be_shared(client, world, app):
    enable_id_cards(client, world)
    created = upload(
        client,
        world,
        "admin_a",
        write_roster([{"name": "孙八", "branch": Z01, "id_card": MAN_1990}]),
        commit=True,
    ).json
    assert created["to_create"] == 1
    member = member_rows(app, world.ids["A"])["A-000001"]
    assert (member.birth_date, member.gender) == (date(1990, 6, 15), "男")  # from the card
    assert MAN_1990 not in member.id_card_cipher
    by_card = upload(
        client,
        world,
        "admin_a",
        write_roster(
            [{"name": "孙八", "branch": Z01, "id_card": MAN_1990, "phone": "13700000000"}]
        ),
    ).json
    assert (by_card["to_create"], by_card["to_update"]) == (0, 1)
    taken = upload(
        client,
        world,
        "admin_a",
        write_roster(
            [{"name": "孙八", "branch": Z01, "id_card": MAN_1990, "archive_code": "NEW-1"}]
        ),
    ).json
    assert [(e["row"], e["column"]) for e in taken["errors"]] == [(2, "K")]
    assert "A-000001" in taken["errors"][0]["message"]


# --- who may import ----------------------------------------------------------------------


def test_a_branch_secretary_imports_only_into_their_subtree(client, world):
    data = write_roster(
        [
            {"name": "新人", "branch": Z01},
            {"name": "外人", "branch": Z02},
            {"name": "李四", "branch": Z01, "archive_code": "A-M2"},
        ]
    )
    report = upload(client, world, "secretary_a", data).json
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "G"), (4, "G")]
    assert "不在您管辖的范围内" in report["errors"][0]["message"]
    assert Z02 in report["errors"][1]["message"]
    assert report["to_create"] == 1
    for user in ("member_a", "assessor_a", "overseer_c"):
        assert upload(client, world, user, data).status_code == 403


def test_an_import_never_reaches_another_tenant(client, world, app):
    data = write_roster([{"name": "冒名", "branch": "乙公司第一党支部", "archive_code": "A-M1"}])
    report = upload(client, world, "admin_b", data, commit=True, tenant="B").json
    assert (report["to_create"], report["to_update"]) == (1, 0)
    assert member_rows(app, world.ids["A"])["A-M1"].name == "张三"
    assert member_rows(app, world.ids["B"])["A-M1"].name == "冒名"
    assert upload(client, world, "admin_b", data, tenant="A").status_code == 404


# --- export → import ---------------------------------------------------------------------


def varied_registry(client, world) -> None:
    """Members with every field, ID cards, and units a name alone cannot identify."""
    enable_id_cards(client, world)
    create_org(client, world, "A-G1", "第一党小组", world.id("A-Z01"))
    create_org(client, world, "A-G2", "第一党小组", world.id("A-Z02"))
    create_org(client, world, "A-G3", "A-Z01", world.id("A-Z02"))  # a name that is a code
    data = write_roster(
        [
            NEW_ONE,
            {**NEW_TWO, "branch": "A-G1", "id_card": WOMAN_1949},
            {"name": "吴九", "branch": "A-G2", "id_card": MAN_1990, "category": "mobile"},
            {"name": "郑十", "branch": "A-G3", "status": "probationary"},
        ]
    )
    assert upload(client, world, "admin_a", data, commit=True).status_code == 200


def export(client, world, user="admin_a", tenant="A") -> bytes:
    response = client.get(members_url(world, tenant, "/export"), headers=world.headers[user])
    assert response.status_code == 200
    return response.data


def test_an_export_imports_back_without_a_change(client, world, app):
    varied_registry(client, world)
    data = export(client, world)
    rows = {r.values["archive_code"]: r.values for r in read_roster(data).rows}
    assert rows["HR-0042"]["branch"] == "A-G1" and rows["HR-0042"]["id_card"] == WOMAN_1949
    assert rows["A-M1"]["branch"] == Z01
    for user in ("admin_a", "secretary_a"):
        report = upload(client, world, user, export(client, world, user), commit=True).json
        assert report["errors"] == [] and report["total"] == report["unchanged"] > 0
        assert (report["to_create"], report["to_update"]) == (0, 0)


def test_an_export_recreates_the_members_in_an_empty_copy_of_the_tree(client, world, app):
    varied_registry(client, world)
    data = export(client, world)
    root = world.headers["root"]
    copy = client.post(
        "/api/v1/tenants",
        headers=root,
        json={"code": "D", "name": "丁学院党委", "id_card_enabled": True},
    ).json
    world.ids["D"] = copy["id"]
    units = client.get(
        f"/api/v1/tenants/{world.id('A')}/orgs?page_size=100", headers=world.headers["admin_a"]
    ).json
    new_ids = {None: None}
    for unit in sorted(units, key=lambda u: u["depth"]):
        made = client.post(
            f"/api/v1/tenants/{copy['id']}/orgs",
            headers=root,
            json={
                "code": unit["code"],
                "name": unit["name"],
                "kind": unit["kind"],
                "parent_id": new_ids[unit["parent_id"]],
                "retired": unit["retired"],
            },
        )
        new_ids[unit["id"]] = made.json["id"]
    report = upload(client, world, "root", data, commit=True, tenant="D").json
    assert report["errors"] == [] and report["to_create"] == report["total"] == 6

    def values(workbook):
        return sorted(
            (r.values for r in read_roster(workbook).rows), key=lambda v: v["archive_code"]
        )

    assert values(export(client, world, "root", "D")) == values(data)


# --- the command line --------------------------------------------------------------------


def test_the_members_command_previews_imports_and_exports(runner, world, app, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(write_roster([NEW_ONE]))
    preview = runner.invoke(args=["members", "import", str(good), "--tenant", "A"])
    assert preview.exit_code == 0, preview.output
    assert "新增 1," in preview.output and "仅预览" in preview.output
    assert count(app, Member, world.ids["A"]) == 2
    done = runner.invoke(args=["members", "import", str(good), "--tenant", "A", "--commit"])
    assert done.exit_code == 0 and "已导入" in done.output
    assert count(app, Member, world.ids["A"]) == 3
    assert [who for who, _ in audit_entries(app, world.ids["A"])] == ["zhibu members"]
    from test_web_pages import login  # the import page names the command as people say it

    client = app.test_client()
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/members/import").text
    assert "<td>命令行导入</td>" in page and "zhibu members" not in page

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(write_roster([NEW_ONE, {"name": "赵钱", "branch": "不存在的支部"}]))
    refused = runner.invoke(args=["members", "import", str(bad), "--tenant", "A", "--commit"])
    assert refused.exit_code == 1
    assert "第3行 G列(所在支部): 找不到组织" in refused.output
    assert count(app, Member, world.ids["A"]) == 3

    out = tmp_path / "out.xlsx"
    exported = runner.invoke(args=["members", "export", "--tenant", "A", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert sorted(r.values["name"] for r in read_roster(out.read_bytes()).rows) == [
        "张三",
        "李四",
        "王小明",
    ]
    unknown = runner.invoke(args=["members", "export", "--tenant", "Z", "-o", str(out)])
    assert unknown.exit_code == 2 and "没有编码为 Z 的单位" in unknown.output
