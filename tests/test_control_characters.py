"""Issue 17: a control character is refused on the way in (422 naming the field, for the
API and the pages alike) and never breaks an export on the way out (rows written before
the check: the roster, the audit log, the reports and the initial-password workbooks).
On both backends."""

from __future__ import annotations

import io

import pytest
from authz_scene import build_scene, login
from openpyxl import load_workbook
from sqlalchemy import select, update
from world import PASSWORD

from zhibu import controls
from zhibu.db import db
from zhibu.models import AuditEntry, Member, OrgUnit, ScoreItem
from zhibu.reports.registry import CORE_REPORTS as CORE
from zhibu.tenancy import system_scope, use_scope


def texts(data: bytes) -> list[str]:
    """Every text cell of every sheet of a workbook (it must open)."""
    book = load_workbook(io.BytesIO(data))
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]


# -- the pure part ----------------------------------------------------------------------


def test_find_names_each_field_holding_a_control_character():
    body = {
        "name": "张\x01三",
        "reason": "第一行\n第二行\t缩进",  # multi-line text: tab and newline are text
        "note": "响\x07铃",
        "deductions": [{"item": "A1", "reason": "好"}, {"item": "A\n2"}],
        "ok": ["正常", 3, None],
        "bad\x00key": 1,
    }
    assert list(controls.find(body)) == ["name", "note", "deductions.1.item", "bad\x00key"]
    assert list(controls.find({"name": "张三\n"})) == ["name"]  # a name is one line
    assert list(controls.find("纯文本")) == []


def test_a_cell_drops_what_xml_cannot_hold_and_keeps_the_rest():
    assert controls.cell("张\x01三\x00") == "张三"
    assert controls.cell("第一行\n第二行\t缩进\r") == "第一行\n第二行\t缩进\r"
    assert controls.cell(3.5) == 3.5 and controls.cell(None) is None


# -- refused on the way in --------------------------------------------------------------


def test_nul_in_a_query_string_answers_422_naming_the_parameter(client, world):
    headers = world.headers["admin_a"]
    base = f"/api/v1/tenants/{world.id('A')}"
    for url in (f"{base}/members?q=%00", f"{base}/orgs?q=a%01b", f"{base}/audit?entity=%1f"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 422, (url, answer.status_code)
        [(field, messages)] = answer.json["errors"]["query"].items()
        assert field in url and "控制字符" in messages[0]


def test_a_name_or_a_reason_with_a_control_character_is_refused_and_nothing_is_written(
    app, client, world
):
    headers = world.headers["admin_a"]
    base = f"/api/v1/tenants/{world.id('A')}"
    body = {"code": "A-Z77", "name": "新\x00支部", "kind": "branch", "parent_id": world.id("A-ZZ1")}
    answer = client.post(f"{base}/orgs", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json["errors"] == {"json": {"name": [answer.json["message"]]}}
    member = world.id("A-M1")
    answer = client.patch(f"{base}/members/{member}", json={"name": "张\x1b三"}, headers=headers)
    assert answer.status_code == 422 and "name" in answer.json["errors"]["json"]
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(OrgUnit).where(OrgUnit.code == "A-Z77")) is None
        assert (
            db.session.scalar(select(Member.name).where(Member.id == world.ids["A-M1"])) == "张三"
        )


def test_a_page_form_with_a_control_character_gets_a_chinese_error_naming_the_field(app, world):
    client = app.test_client()
    assert login(client, "admin_a", PASSWORD).status_code == 302
    page = client.get(f"/t/{world.id('A')}/orgs")
    from authz_scene import token_of

    form = {"csrf_token": token_of(page), "name": "新\x01支部", "code": "A-Z78"}
    orgs = f"http://localhost/t/{world.id('A')}/orgs"
    answer = client.post(orgs, data=form, headers={"Referer": orgs})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "“名称”一栏含有不可见的控制字符" in text
    assert f'<a href="{orgs}">返回修改</a>' in text  # back to the form
    answer = client.get(f"/t/{world.id('A')}/members?q=%00")
    assert answer.status_code == 422 and "“搜索”一栏" in answer.get_data(as_text=True)
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(OrgUnit).where(OrgUnit.code == "A-Z78")) is None


# -- never breaking an export -----------------------------------------------------------


def test_stored_control_characters_never_break_an_export(app, client):
    """Names, reasons and audit entries written with control characters before the check
    (here: straight into the database) export: the workbooks open, the characters gone."""
    scene = build_scene(app)
    world = scene.world
    with app.app_context(), use_scope(system_scope()):
        db.session.execute(
            update(Member).where(Member.id == world.ids["A-M1"]).values(name="张\x01三")
        )
        db.session.execute(
            update(OrgUnit)
            .where(OrgUnit.id == world.ids["A-Z01"])
            .values(name="机电系\x02第一党支部")
        )
        db.session.execute(update(ScoreItem).values(reason="台账\x03缺页"))
        db.session.add(
            AuditEntry(
                tenant_id=world.ids["A"],
                username="管理员\x04",
                action="update",
                entity="member\x05",
                entity_id="x\x06",
                before={"name": "张三"},
                after={"name": "张\x01三"},
            )
        )
        db.session.commit()
    headers = world.headers["admin_a"]
    base = f"/api/v1/tenants/{scene.id('A')}"

    roster = client.get(f"{base}/members/export", headers=headers)
    assert roster.status_code == 200
    assert "张三" in texts(roster.data)
    pages = app.test_client()
    login(pages, "admin_a", PASSWORD)
    page_roster = pages.get(f"/t/{scene.id('A')}/members/export.xlsx")
    assert page_roster.status_code == 200 and "张三" in texts(page_roster.data)

    audit = client.get(f"{base}/audit/export", headers=headers)
    assert audit.status_code == 200
    assert "管理员" in texts(audit.data)

    written, made = [], []
    for builder in CORE:  # those the scheme does not replace with its own
        url = f"{base}/cycles/{scene.id('cycle')}/reports/{builder.key}.xlsx"
        answer = client.get(url, headers=headers)
        assert answer.status_code in (200, 404), (builder.key, answer.status_code)
        if answer.status_code == 200:
            made.append(builder.key)
            written += texts(answer.data)
    assert {"core.ranking", "core.score_sheet", "core.notice"} <= set(made)
    assert any("机电系第一党支部" in text for text in written)
    assert any("台账缺页" in text for text in written)
    assert not [text for text in written if controls.NOT_IN_XML.search(text)]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1f", "\x7f"])
def test_every_control_character_in_a_query_is_refused(client, world, character):
    url = f"/api/v1/tenants/{world.id('A')}/members"
    answer = client.get(url, query_string={"q": f"张{character}"}, headers=world.headers["admin_a"])
    assert answer.status_code == 422
