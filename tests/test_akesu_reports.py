"""akesu_college's four reports on the demo college, through the API, as .xlsx and HTML."""

import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.models import Cycle, Tenant, User
from zhibu.tenancy import system_scope, use_scope

REPORTS = ("branch_register", "member_register", "member_summary", "publicity")


@pytest.fixture
def app(demo_app):
    """The demo, built once per run and copied for each test."""
    return demo_app


@pytest.fixture
def college(app):
    """The demo college, its 2021 cycle, and the platform administrator's token."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == "AKS-COLLEGE"))
        cycle = db.session.scalar(
            select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.period == "2021")
        )
        token, _ = issue_token(db.session.scalar(select(User).where(User.username == "admin")))
        return (
            f"/api/v1/tenants/{tenant.id}/cycles/{cycle.id}/reports",
            {"Authorization": f"Bearer {token}"},
        )


def test_the_four_reports_are_offered(client, college):
    url, auth = college
    keys = [r["key"] for r in client.get(url, headers=auth).json]
    own = [k for k in keys if k.startswith("akesu_college.")]  # the core's are offered too
    assert own == sorted(f"akesu_college.{k}" for k in REPORTS)


def workbook(client, college, key):
    url, auth = college
    response = client.get(f"{url}/akesu_college.{key}.xlsx", headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def test_branch_register_is_laid_out_for_printing(client, college):
    sheet = workbook(client, college, "branch_register").active
    assert sheet["A1"].value == "阿克苏职业技术学院党支部评星定级情况登记表(2021年度)"
    assert sheet["A2"].value.startswith("填报单位:阿克苏职业技术学院党委组织部")
    assert "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["G3"].value == "综合考评得分" and sheet["G4"].value == "民主测评(30%)"
    assert "G3:J3" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.print_title_rows == "$3:$4" and sheet.freeze_panes == "A5"
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == 29  # 26 branches and 3 retired branches
    assert any(r[12] and "离退休党支部" in r[12] for r in rows)
    footer = [r[0] for r in sheet.iter_rows(min_row=5, values_only=True) if isinstance(r[0], str)]
    assert any(line.startswith("样板党支部占比:2021年目标 70%") for line in footer)


def test_member_summary_has_one_sheet_per_branch(client, college):
    book = workbook(client, college, "member_summary")
    assert len(book.sheetnames) == 26
    notes = [
        r[0]
        for r in book[book.sheetnames[0]].iter_rows(values_only=True)
        if isinstance(r[0], str) and r[0].startswith("参评党员")
    ]
    assert notes and "五星级党员占" in notes[0]


def test_publicity_lists_model_branches_first(client, college):
    sheet = workbook(client, college, "publicity").active
    kinds = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert kinds[0] == "样板党支部" and "五星级党员" in kinds
    assert any(
        isinstance(r[0], str) and r[0].startswith("公示期")
        for r in sheet.iter_rows(values_only=True)
    )


def test_html_is_printable_a4_landscape(client, college):
    url, auth = college
    page = client.get(f"{url}/akesu_college.member_register.html", headers=auth)
    assert page.status_code == 200
    assert "size: A4 landscape" in page.text and "<thead>" in page.text
    assert "党员星级评定情况登记表" in page.text and "http" not in page.text


def test_personal_data_reports_are_not_for_overseers(client, college, app):
    url, _ = college
    from zhibu.models import OversightLink, RoleAssignment

    with app.app_context(), use_scope(system_scope()):
        county = Tenant(code="COUNTY", name="县委组织部", kind="county")
        db.session.add(county)
        db.session.flush()
        college_id = db.session.scalar(select(Tenant.id).where(Tenant.code == "AKS-COLLEGE"))
        db.session.add(OversightLink(overseer_id=county.id, overseen_id=college_id))
        user = User(username="kz", password_hash="!")
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleAssignment(tenant_id=county.id, user_id=user.id, role="overseer"))
        db.session.commit()
        token, _ = issue_token(user)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{url}/akesu_college.member_register.xlsx", headers=auth).status_code == 403
    assert client.get(f"{url}/akesu_college.member_summary.xlsx", headers=auth).status_code == 403
    branches = f"{url}/akesu_college.branch_register.xlsx"
    assert client.get(branches, headers=auth).status_code == 403  # results: once published
    with app.app_context(), use_scope(system_scope()):  # as once published
        cycle_id = uuid.UUID(url.rsplit("/reports", 1)[0].rsplit("/", 1)[-1])
        db.session.scalar(select(Cycle).where(Cycle.id == cycle_id)).phase = "publicity"
        db.session.commit()
    assert client.get(branches, headers=auth).status_code == 200
    assert client.get(f"{url}/akesu_college.member_summary.xlsx", headers=auth).status_code == 403


def test_a_cycle_opened_without_deadlines_gets_the_schemes(client, college):
    url, auth = college
    cycle = client.get(url.rsplit("/reports", 1)[0], headers=auth).json
    assert cycle["deadlines"]["self_assessment"] == "2021-11-30"
    assert cycle["deadlines"]["final"] == "2022-01-31"
