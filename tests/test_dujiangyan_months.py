"""dujiangyan_quantified's heavy path: a unit's month on one sheet through the plugin's API
(all rows or none, each bad row named with its field), the month workbook (template,
preview by row and column, all-or-nothing commit), who is on a month's sheet (joining,
leaving, transfers), who may do what, and the archive-code QR labels."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date

import pytest
import segno
from openpyxl import load_workbook
from sqlalchemy import func, select

from zhibu.accounts.access import access_for
from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.evaluations import compute, cycles, sheets
from zhibu.members.service import transfer_member
from zhibu.models import (
    EvaluationResult,
    Member,
    OversightLink,
    RoleAssignment,
    ScoreSheet,
    Tenant,
    TenantScheme,
    User,
)
from zhibu.orgs import service as orgs
from zhibu.tenancy import system_scope, use_scope

SCHEME = "dujiangyan_quantified"


@dataclass
class City:
    tenant_id: uuid.UUID
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, unit: str, tail: str = "", month: str = "2021-03") -> str:
        return (
            f"/api/v1/tenants/{self.tenant_id}/dujiangyan/branches/{self.ids[unit]}"
            f"/months/{month}{tail}"
        )


def _user(name: str, tenant: Tenant, role: str, **scope) -> tuple[User, dict]:
    user = User(id=uuid.uuid4(), username=name, password_hash="!")
    db.session.add(user)
    db.session.flush()
    db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=user.id, role=role, **scope))
    db.session.commit()
    token, _ = issue_token(user, "tests")
    return user, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def city(app) -> City:
    """A city with a village branch (V1: five members), a community branch (C1), an organ
    branch (O1), a transfer from V1 to C1 in June, a member joining in April and one leaving
    in August; users: admin, V1's secretary, an overseer, another tenant's admin."""
    with app.app_context(), use_scope(system_scope(username="tests")):
        tenant = Tenant(id=uuid.uuid4(), code="DJY", name="都江堰市委组织部", kind="city")
        other = Tenant(id=uuid.uuid4(), code="OTHER", name="另一个市", kind="city")
        chengdu = Tenant(id=uuid.uuid4(), code="CD", name="成都市委组织部", kind="city")
        db.session.add_all([tenant, other, chengdu])
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=SCHEME))
        db.session.add(OversightLink(overseer_id=chengdu.id, overseen_id=tenant.id))
        db.session.commit()
        c = City(tenant.id)
        root = orgs.create_org(tenant.id, code="SW", name="都江堰市委", kind="committee")
        for code, name, kind in (
            ("V1", "青城村党支部", "village"),
            ("C1", "幸福社区党支部", "community"),
            ("O1", "市级机关党支部", "organ"),
        ):
            c.ids[code] = orgs.create_org(
                tenant.id, code=code, name=name, kind=kind, parent_id=root.id
            ).id
        c.ids["SW"] = root.id
        people = [
            ("M01", "张一", "V1", date(2001, 7, 1), None),
            ("M02", "王二", "V1", date(2003, 7, 1), None),
            ("M03", "李三", "V1", date(2021, 4, 10), None),  # joined in April
            ("M04", "赵四", "V1", date(2005, 7, 1), date(2021, 8, 15)),  # left in August
            ("M05", "钱五", "V1", date(2008, 7, 1), None),  # moves to C1 in June
            ("M06", "孙六", "C1", date(2010, 7, 1), None),
            ("M07", "周七", "O1", date(2011, 7, 1), None),
        ]
        for code, name, unit, joined, left in people:
            member = Member(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                org_id=c.ids[unit],
                name=name,
                archive_code=code,
                joined_on=joined,
                left_on=left,
                active=left is None,
            )
            db.session.add(member)
            c.ids[code] = member.id
        db.session.commit()
        admin, c.headers["admin"] = _user("djy-admin", tenant, "tenant_admin")
        _, c.headers["secretary"] = _user(
            "djy-secretary", tenant, "branch_secretary", org_id=c.ids["V1"]
        )
        _, c.headers["overseer"] = _user("cd-overseer", chengdu, "overseer")
        _, c.headers["stranger"] = _user("other-admin", other, "tenant_admin")
        transfer_member(
            access_for(admin, tenant.id),
            db.session.get(Member, (tenant.id, c.ids["M05"])),
            c.ids["C1"],
            date(2021, 6, 15),
        )
        c.ids["cycle"] = cycles.open_cycle(tenant, SCHEME, "2021").id
    return c


def _sheet_count(app, city) -> int:
    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(
            select(func.count())
            .select_from(ScoreSheet)
            .where(ScoreSheet.tenant_id == city.tenant_id)
        )


def _codes(client, city, unit: str, month: str) -> list[str]:
    response = client.get(city.url(unit, month=month), headers=city.headers["admin"])
    assert response.status_code == 200, response.json
    return [m["archive_code"] for m in response.json["members"]]


def test_who_is_on_a_months_sheet(client, city):
    assert _codes(client, city, "V1", "2021-03") == ["M01", "M02", "M04", "M05"]
    assert _codes(client, city, "V1", "2021-04") == ["M01", "M02", "M03", "M04", "M05"]
    assert "M05" in _codes(client, city, "V1", "2021-05")
    assert "M05" not in _codes(client, city, "V1", "2021-06"), "moved to C1 on 15 June"
    assert _codes(client, city, "C1", "2021-06") == ["M05", "M06"]
    assert _codes(client, city, "C1", "2021-05") == ["M06"]
    assert "M04" in _codes(client, city, "V1", "2021-08"), "left on 15 August"
    assert "M04" not in _codes(client, city, "V1", "2021-09")
    everyone = _codes(client, city, "SW", "2021-07")
    assert sorted(everyone) == ["M01", "M02", "M03", "M04", "M05", "M06", "M07"]


@pytest.mark.parametrize("many", [sheets.MANY, 1], ids=["by id", "whole list"])
def test_a_branch_month_is_saved_in_one_go_and_counts(app, client, city, many, monkeypatch):
    monkeypatch.setattr(sheets, "MANY", many)  # 1: the path a city's month takes
    rows = [
        {"archive_code": "M01", "score": 96},
        {"archive_code": "M02", "deductions": [{"item": "R02", "points": 2, "reason": "欠交党费"}]},
        {"member_id": str(city.ids["M04"]), "items": {"P07": 0}},
        {"archive_code": "M05", "score": 88.5},
    ]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["secretary"])
    assert response.status_code == 200, response.json
    assert response.json["saved"] == 4
    sheet = client.get(city.url("V1"), headers=city.headers["admin"]).json
    entered = {m["archive_code"]: m["entered"] for m in sheet["members"]}
    assert entered["M01"]["score"] == 96
    assert entered["M02"]["deductions"] == [{"item": "R02", "points": 2, "reason": "欠交党费"}]
    assert entered["M04"]["items"] == {"P07": 0}
    # saving the month again replaces, never duplicates
    again = [{"archive_code": "M01", "score": 90}]
    assert (
        client.put(city.url("V1"), json={"rows": again}, headers=city.headers["admin"]).json[
            "saved"
        ]
        == 1
    )
    assert _sheet_count(app, city) == 4
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(city.tenant_id, city.ids["cycle"])
        compute.recompute(cycle)
        m02 = db.session.scalar(
            select(EvaluationResult).where(EvaluationResult.subject_code == "M02")
        )
        assert m02.source_scores["monthly"] == 98
        assert "missing_source" in m02.flags  # no year-end appraisal yet: not rated


def test_bad_rows_are_named_and_nothing_is_saved(app, client, city):
    rows = [
        {"archive_code": "M01", "score": 96},
        {"archive_code": "M01", "score": 95},
        {"archive_code": "M06", "score": 90},
        {"archive_code": "NOPE", "score": 90},
        {"archive_code": "M02", "score": 120},
        {"archive_code": "M05", "deductions": [{"item": "R02", "points": 2}]},
        {"archive_code": "M04", "items": {"X99": 1, "P01": 3}},
        {"archive_code": "M02"},
    ]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 422
    found = {(e["row"], e["field"]) for e in response.json["errors"]}
    assert found == {
        (2, "archive_code"),
        (3, "archive_code"),
        (4, "archive_code"),
        (5, "score"),
        (6, "deductions.1"),
        (7, "items.X99"),
        (7, "items.P01"),
        (8, "archive_code"),
        (8, "score"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in response.json["errors"]}
    assert "幸福社区党支部" not in messages[(3, "archive_code")]
    assert "不在青城村党支部" in messages[(3, "archive_code")]
    assert "没有档案编码为 NOPE 的党员" in messages[(4, "archive_code")]
    assert _sheet_count(app, city) == 0


def test_a_malformed_body_is_refused_with_the_row(client, city):
    rows = [{"archive_code": "M01", "score": "很好"}]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 422
    assert response.json["errors"][0]["row"] == 1
    assert response.json["errors"][0]["field"] == "score"
    assert response.json["errors"][0]["message"] == "不是有效的数字。"  # marshmallow's, in Chinese


def test_a_member_of_another_month_or_branch_is_refused(client, city):
    july = [{"archive_code": "M05", "score": 90}]
    refused = client.put(
        city.url("V1", month="2021-07"), json={"rows": july}, headers=city.headers["admin"]
    )
    assert refused.status_code == 422
    assert "2021-07" in refused.json["errors"][0]["message"]
    taken = client.put(
        city.url("C1", month="2021-07"), json={"rows": july}, headers=city.headers["admin"]
    )
    assert taken.status_code == 200, taken.json


def test_the_month_needs_its_years_cycle_open(client, city):
    rows = [{"archive_code": "M01", "score": 90}]
    wrong = client.put(
        city.url("V1", month="2021-13"), json={"rows": rows}, headers=city.headers["admin"]
    )
    assert wrong.status_code == 400 and "2021-03" in wrong.json["message"]
    missing = client.put(
        city.url("V1", month="2022-01"), json={"rows": rows}, headers=city.headers["admin"]
    )
    assert missing.status_code == 404 and "2022" in missing.json["message"]


def test_a_final_cycle_refuses_month_entry(app, client, city):
    with app.app_context(), use_scope(system_scope()):
        cycles.advance(cycles.get_cycle(city.tenant_id, city.ids["cycle"]), "final")
    rows = [{"archive_code": "M01", "score": 90}]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 409, response.json
    assert "已确定结果" in response.json["message"]
    book = _template(client, city)  # reading stays open; saving does not, even unchanged
    assert _upload(client, city, book, tail="/workbook").status_code == 409
    assert _sheet_count(app, city) == 0


def test_a_closed_phase_refuses_the_month_and_its_workbook_until_reopened(app, client, city):
    """A branch's months close after 自评 (issue 18): the API's month and the uploaded
    workbook answer 409 naming the phase, nothing written; reopened, they are taken."""
    from zhibu.evaluations import phases

    with app.app_context(), use_scope(system_scope()):
        cycles.advance(cycles.get_cycle(city.tenant_id, city.ids["cycle"]), "assessment")
    rows = [{"archive_code": "M01", "score": 90}]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 409, response.json
    assert "“考核评分”阶段" in response.json["message"] and "重新开放" in response.json["message"]
    book = _template(client, city)
    assert _upload(client, city, book, tail="/workbook").status_code == 409
    assert _sheet_count(app, city) == 0
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(city.tenant_id, city.ids["cycle"])
        phases.reopen(cycle, reason="补录三月", actor="admin")
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 200, response.json
    assert _sheet_count(app, city) > 0


def test_member_id_and_archive_code_must_name_the_same_member(app, client, city):
    rows = [
        {"member_id": str(city.ids["M01"]), "archive_code": "M01", "score": 90},
        {"member_id": str(city.ids["M01"]), "archive_code": "M02", "score": 80},
        {"member_id": str(uuid.uuid4()), "score": 80},
    ]
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 422
    errors = {(e["row"], e["field"]): e["message"] for e in response.json["errors"]}
    assert set(errors) == {(2, "archive_code"), (3, "member_id")}
    assert "M01" in errors[(2, "archive_code")] and "M02" in errors[(2, "archive_code")]
    assert _sheet_count(app, city) == 0


def test_who_may_read_and_write_a_month(client, city):
    rows = {"rows": [{"archive_code": "M06", "score": 90}]}
    secretary = city.headers["secretary"]
    assert client.put(city.url("C1"), json=rows, headers=secretary).status_code == 403
    assert client.get(city.url("C1"), headers=secretary).status_code == 403
    assert client.get(city.url("V1"), headers=secretary).status_code == 200
    overseer = city.headers["overseer"]
    assert client.get(city.url("V1"), headers=overseer).status_code == 403
    assert client.put(city.url("V1"), json=rows, headers=overseer).status_code == 403
    for tail in ("", "/workbook", "/labels"):
        url = (
            city.url("V1", tail) if tail != "/labels" else city.url("V1").split("/months")[0] + tail
        )
        response = client.get(url, headers=city.headers["stranger"])
        assert response.status_code == 404
        assert "M01" not in response.get_data(as_text=True)


# --- the workbook ------------------------------------------------------------------------


def _template(client, city, unit="V1", month="2021-03"):
    response = client.get(city.url(unit, "/workbook", month), headers=city.headers["secretary"])
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(response.data))


def _upload(client, city, book, tail="/workbook/preview", unit="V1", month="2021-03"):
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return client.post(
        city.url(unit, tail, month),
        data={"file": (data, "month.xlsx")},
        content_type="multipart/form-data",
        headers=city.headers["secretary"],
    )


def _columns(ws) -> dict[str, int]:
    return {str(c.value).split()[0]: c.column for c in ws[3] if c.value}


def test_the_template_lists_the_months_members_and_what_is_entered(client, city):
    client.put(
        city.url("V1"),
        json={
            "rows": [
                {"archive_code": "M01", "score": 93},
                {
                    "archive_code": "M02",
                    "deductions": [{"item": "F03", "points": 1.5, "reason": "未参加志愿服务"}],
                },
            ]
        },
        headers=city.headers["admin"],
    )
    ws = _template(client, city).active
    assert ws["B2"].value == "V1" and ws["D2"].value == "2021-03"
    columns = _columns(ws)
    assert len([k for k in columns if k[0] in "PRMF" and k[1:].isdigit()]) == 50
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    assert list(rows) == ["M01", "M02", "M04", "M05"]
    assert ws.cell(rows["M01"], columns["月度得分"]).value == 93
    assert ws.cell(rows["M02"], columns["F03"]).value == 1.5
    assert ws.cell(rows["M02"], columns["扣分原因"]).value == "未参加志愿服务"
    assert ws.cell(rows["M04"], columns["月度得分"]).value is None


def test_a_filled_workbook_previews_then_commits(app, client, city):
    book = _template(client, city)
    ws = book.active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    ws.cell(rows["M01"], columns["月度得分"], 95)
    ws.cell(rows["M02"], columns["R04"], 2)
    ws.cell(rows["M02"], columns["P05"], 1)
    ws.cell(rows["M02"], columns["扣分原因"], "两次缺席组织生活")
    ws.cell(rows["M02"], columns["月度得分"], 97)  # matches 100 − 3: fine
    preview = _upload(client, city, book)
    assert preview.status_code == 200
    assert preview.json["ok"], preview.json["errors"]
    assert (preview.json["to_save"], preview.json["blank"]) == (2, 2)
    assert _sheet_count(app, city) == 0, "a preview writes nothing"
    committed = _upload(client, city, book, tail="/workbook")
    assert committed.status_code == 200 and committed.json["committed"]
    sheet = client.get(city.url("V1"), headers=city.headers["admin"]).json
    entered = {m["archive_code"]: m["entered"] for m in sheet["members"]}
    assert entered["M01"] == {"score": 95, "items": {}, "deductions": []}
    assert sorted((d["item"], d["points"]) for d in entered["M02"]["deductions"]) == [
        ("P05", 1),
        ("R04", 2),
    ]
    assert entered["M04"] is None, "an empty row is not recorded"


def test_a_bad_workbook_names_rows_and_columns_and_saves_nothing(app, client, city):
    book = _template(client, city)
    ws = book.active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    letter = {k: ws.cell(3, v).column_letter for k, v in columns.items()}
    ws.cell(rows["M01"], columns["月度得分"], "优")
    ws.cell(rows["M02"], columns["R04"], 2)  # no reason
    ws.cell(rows["M04"], columns["P01"], 1)
    ws.cell(rows["M04"], columns["扣分原因"], "学习笔记不全")
    ws.cell(rows["M04"], columns["月度得分"], 90)  # 100 − 1 is 99
    ws.cell(rows["M05"], columns["P02"], 5)  # at most 2
    ws.cell(rows["M05"], columns["扣分原因"], "x")
    ws.cell(rows["M05"], columns["姓名"], "别人")
    last = ws.max_row + 1
    ws.cell(last, 2, "M06")  # in C1, not V1
    ws.cell(last, columns["月度得分"], 90)
    ws["D2"] = "2021-04"
    report = _upload(client, city, book).json
    assert not report["ok"]
    found = {(e["row"], e["column"]) for e in report["errors"]}
    assert found == {
        (2, "D"),
        (rows["M01"], letter["月度得分"]),
        (rows["M02"], letter["扣分原因"]),
        (rows["M04"], letter["月度得分"]),
        (rows["M05"], letter["P02"]),
        (rows["M05"], letter["姓名"]),
        (last, letter["档案编码"]),
    }
    refused = _upload(client, city, book, tail="/workbook")
    assert refused.status_code == 422 and refused.json["report"]["errors"]
    assert _sheet_count(app, city) == 0


STORED = [
    {"archive_code": "M01", "score": 93},
    {
        "archive_code": "M02",
        "deductions": [
            {"item": "R02", "points": 2, "reason": "欠交党费"},
            {"item": "P05", "points": 1, "reason": "缺席集中学习"},
            {"item": "F03", "points": 0.5, "reason": "志愿服务迟到"},
            {"item": "F03", "points": 0.5, "reason": "志愿服务早退"},
        ],
    },
    {"archive_code": "M04", "items": {"P07": 0, "R04": 1.5}},
    {
        "archive_code": "M05",
        "items": {"M06": 1},
        "deductions": [{"item": "F01", "points": 1, "reason": '=HYPERLINK("http://x","点")'}],
    },
]


def _stored(app, city) -> dict[str, tuple]:
    """Every stored month sheet of the tenant: its id, score and items, by archive code."""
    with app.app_context(), use_scope(system_scope()):
        found = {}
        for sheet in db.session.scalars(
            select(ScoreSheet).where(ScoreSheet.tenant_id == city.tenant_id)
        ):
            member = db.session.get(Member, (city.tenant_id, sheet.subject_id))
            items = sorted(
                (i.indicator, i.kind, i.points, i.reason) for i in sheets.items_of(sheet)
            )
            found[member.archive_code] = (sheet.id, sheet.period, sheet.score, items)
        return found


def _store(client, city, rows=STORED) -> None:
    response = client.put(city.url("V1"), json={"rows": rows}, headers=city.headers["admin"])
    assert response.status_code == 200, response.json


def test_an_unchanged_workbook_changes_nothing(app, client, city):
    _store(client, city)
    before = _stored(app, city)
    assert len(before) == 4
    ws = _template(client, city).active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    reason = {code: ws.cell(rows[code], columns["扣分原因"]).value for code in rows}
    assert reason["M01"] is None
    assert sorted(reason["M02"].split(";")) == [  # one reason per deduction
        "F03:志愿服务早退",
        "F03:志愿服务迟到",
        "P05:缺席集中学习",
        "R02:欠交党费",
    ]
    assert reason["M04"] is None, "indicator points have no reason: none is made up"
    assert ws.cell(rows["M04"], columns["P07"]).value == 2
    assert ws.cell(rows["M04"], columns["R04"]).value == 0.5
    assert ws.cell(rows["M02"], columns["F03"]).value == 1
    preview = _upload(client, city, ws.parent).json
    assert preview["ok"], preview["errors"]
    assert (preview["to_save"], preview["unchanged"], preview["blank"]) == (0, 4, 0)
    committed = _upload(client, city, ws.parent, tail="/workbook")
    assert committed.status_code == 200 and committed.json["committed"]
    assert _stored(app, city) == before


def test_an_edited_workbook_saves_the_edits_and_keeps_the_rest(app, client, city):
    _store(client, city)
    before = _stored(app, city)
    ws = _template(client, city).active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    ws.cell(rows["M01"], columns["月度得分"], 95)
    ws.cell(rows["M02"], columns["R02"], 1)  # one point less, and a new reason for R02 only
    ws.cell(
        rows["M02"],
        columns["扣分原因"],
        "F03:志愿服务迟到;F03:志愿服务早退;P05:缺席集中学习;R02:迟交党费",
    )
    ws.cell(rows["M04"], columns["F01"], 1)  # a new deduction next to indicator points
    ws.cell(rows["M04"], columns["扣分原因"], "F01:未履职尽责")
    report = _upload(client, city, ws.parent, tail="/workbook").json
    assert report["committed"], report
    assert (report["to_save"], report["unchanged"]) == (3, 1)
    after = _stored(app, city)
    assert after["M05"] == before["M05"], "the row left alone is the same sheet"
    assert after["M01"][2] == 95
    assert after["M02"][3] == [
        ("F03", "deduction", 0.5, "志愿服务早退"),
        ("F03", "deduction", 0.5, "志愿服务迟到"),
        ("P05", "deduction", 1, "缺席集中学习"),
        ("R02", "deduction", 1, "迟交党费"),
    ]
    assert after["M04"][3] == [
        ("F01", "deduction", 1, "未履职尽责"),
        ("P07", "points", 0, ""),
        ("R04", "points", 1.5, ""),
    ]


def test_a_row_wide_reason_applies_to_new_deductions_only(app, client, city):
    _store(client, city)
    ws = _template(client, city).active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    ws.cell(rows["M04"], columns["F02"], 2)
    ws.cell(rows["M04"], columns["扣分原因"], "未参加五亮活动")
    assert _upload(client, city, ws.parent, tail="/workbook").status_code == 200
    assert _stored(app, city)["M04"][3] == [
        ("F02", "deduction", 2, "未参加五亮活动"),
        ("P07", "points", 0, ""),
        ("R04", "points", 1.5, ""),
    ]


def test_reasons_per_indicator_that_do_not_parse_are_named(app, client, city):
    ws = _template(client, city).active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    letter = ws.cell(3, columns["扣分原因"]).column_letter
    for code, reason in (
        ("M01", "R04:缺席组织生活;P05:"),  # P05's reason is empty
        ("M02", "R04:缺席组织生活;F03:没去"),  # F03 is not deducted on the row
        ("M04", "R04:缺席组织生活"),  # P05 has no reason
        ("M05", "X99:什么;R04:缺席组织生活"),  # no indicator X99
    ):
        ws.cell(rows[code], columns["R04"], 2)
        ws.cell(rows[code], columns["P05"], 1)
        ws.cell(rows[code], columns["扣分原因"], reason)
    report = _upload(client, city, ws.parent).json
    errors = {e["row"]: e for e in report["errors"]}
    assert set(errors) == set(rows.values()) and len(report["errors"]) == 4
    assert {e["column"] for e in report["errors"]} == {letter}
    assert "P05" in errors[rows["M01"]]["message"]
    assert "F03" in errors[rows["M02"]]["message"]
    assert "P05" in errors[rows["M04"]]["message"]
    assert "X99" in errors[rows["M05"]]["message"]
    assert _upload(client, city, ws.parent, tail="/workbook").status_code == 422
    assert _sheet_count(app, city) == 0


def test_names_and_reasons_are_written_as_text_not_formulas(app, client, city):
    _store(client, city)
    with app.app_context(), use_scope(system_scope()):
        member = db.session.get(Member, (city.tenant_id, city.ids["M01"]))
        member.name = "=cmd|' /C calc'!A0"
        member = db.session.get(Member, (city.tenant_id, city.ids["M02"]))
        member.name = "@SUM(1+1)"
        db.session.commit()
    _store(
        client,
        city,
        [
            {
                "archive_code": "M04",
                "deductions": [
                    {"item": "R02", "points": 1, "reason": "-2+3"},
                    {"item": "P05", "points": 1, "reason": "+1"},
                ],
            }
        ],
    )
    response = client.get(city.url("V1", "/workbook"), headers=city.headers["secretary"])
    with zipfile.ZipFile(io.BytesIO(response.data)) as xlsx:
        xml = xlsx.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ws = load_workbook(io.BytesIO(response.data)).active
    columns = _columns(ws)
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    cells = {
        "name": ws.cell(rows["M01"], columns["姓名"]),
        "at": ws.cell(rows["M02"], columns["姓名"]),
        "reason": ws.cell(rows["M05"], columns["扣分原因"]),
        "minus": ws.cell(rows["M04"], columns["扣分原因"]),
    }
    assert {k: c.data_type for k, c in cells.items()} == dict.fromkeys(cells, "s")
    assert cells["name"].value == "=cmd|' /C calc'!A0"
    assert cells["at"].value == "@SUM(1+1)"
    assert cells["reason"].value == 'F01:=HYPERLINK("http://x","点")'
    assert cells["minus"].value == "P05:+1;R02:-2+3"
    before = _stored(app, city)
    report = _upload(client, city, ws.parent, tail="/workbook").json
    assert report["committed"] and report["unchanged"] == 4, report
    assert _stored(app, city) == before


def test_a_file_that_is_not_a_workbook_is_refused(client, city):
    response = client.post(
        city.url("V1", "/workbook/preview"),
        data={"file": (io.BytesIO(b"not a workbook"), "month.xlsx")},
        content_type="multipart/form-data",
        headers=city.headers["admin"],
    )
    assert response.status_code == 200 and not response.json["ok"]
    assert ".xlsx" in response.json["errors"][0]["message"]
    missing = client.post(city.url("V1", "/workbook"), headers=city.headers["admin"])
    assert missing.status_code == 400


# --- QR labels ---------------------------------------------------------------------------


def test_labels_carry_each_members_code_as_a_qr_svg(client, city):
    url = f"/api/v1/tenants/{city.tenant_id}/dujiangyan/branches/{city.ids['V1']}/labels"
    response = client.get(url, headers=city.headers["secretary"])
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    on_roll = ["M01", "M02", "M03"]  # M04 left, M05 moved to C1
    drawn = dict(re.findall(r'data-code="([^"]+)">\s*(<svg.*?</svg>)', page, flags=re.S))
    assert list(drawn) == on_roll
    for code in on_roll:  # each label's QR code encodes that member's archive code
        qr = segno.make_qr(code, error="m")
        assert drawn[code] == qr.svg_inline(scale=1, border=2, omitsize=True)
    assert drawn["M01"] != drawn["M02"], "different codes draw differently"
    assert page.count("<svg") == len(on_roll)
    assert "M06" not in page and "M05" not in page
    assert "size: A4" in page
    whole_city = url.replace(str(city.ids["V1"]), str(city.ids["SW"]))
    assert (
        client.get(whole_city, headers=city.headers["admin"]).get_data(as_text=True).count("<svg")
        == 6
    )
    assert client.get(url, headers=city.headers["overseer"]).status_code == 403


def test_label_text_is_escaped(app, client, city):
    with app.app_context(), use_scope(system_scope()):
        member = db.session.get(Member, (city.tenant_id, city.ids["M01"]))
        member.name = "<b>张一</b>"
        db.session.commit()
    url = f"/api/v1/tenants/{city.tenant_id}/dujiangyan/branches/{city.ids['V1']}/labels"
    page = client.get(url, headers=city.headers["admin"]).get_data(as_text=True)
    assert "&lt;b&gt;张一&lt;/b&gt;" in page and "<b>张一" not in page


def test_a_refused_row_speaks_the_users_language(app):
    """The same refusal, asked for in English, is in English only."""
    from flask import session

    from zhibu.i18n import _

    with app.test_request_context():
        session["lang"] = "en"
        text = _("没有档案编码为 %(label)s 的党员", label="NOPE")
    with app.test_request_context():
        chinese = _("没有档案编码为 %(label)s 的党员", label="NOPE")
    assert (text, chinese) == ("No member with archive code NOPE", "没有档案编码为 NOPE 的党员")
