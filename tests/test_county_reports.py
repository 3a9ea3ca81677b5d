"""county_observation on the demo county: the ranking and 整改通知单 reports, and a township's
staff seeing only their own township's rectification items."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.models import Cycle, Tenant, User
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def app(demo_app):
    """The demo, built once per run and copied for each test."""
    return demo_app


@pytest.fixture
def county(app):
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == "DEMO-COUNTY"))
        cycle = db.session.scalar(select(Cycle).where(Cycle.tenant_id == tenant.id))
        base, cycle_id = f"/api/v1/tenants/{tenant.id}", cycle.id
        tokens = {
            name: issue_token(db.session.scalar(select(User).where(User.username == name)))[0]
            for name in ("admin", "t02_zzw")
        }
    return base, cycle_id, {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def log_in_as(app, client, username: str) -> None:
    """Log ``client`` in as a demo user (the demo draws its passwords: given one here)."""
    from test_web_pages import PASSWORD, login

    from zhibu.accounts.passwords import hash_password

    with app.app_context(), use_scope(system_scope()):
        user = db.session.scalar(select(User).where(User.username == username))
        user.password_hash, user.must_change_password = hash_password(PASSWORD), False
        db.session.commit()
    login(client, username)


def test_ranking_report_per_township(client, county):
    base, cycle_id, auth = county
    response = client.get(
        f"{base}/cycles/{cycle_id}/reports/county_observation.ranking.xlsx", headers=auth["admin"]
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["T01", "T02", "T03", "T04"]
    sheet = book["T02"]
    assert sheet["A2"].value.startswith("填报单位:南山乡党委")
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert [r[4] for r in rows] == sorted(r[4] for r in rows)  # ranks in order
    assert {r[5] for r in rows} <= {"先进", "达标", "落后"}


def test_notice_lists_each_deduction_with_its_reason(client, county):
    base, cycle_id, auth = county
    page = client.get(
        f"{base}/cycles/{cycle_id}/reports/county_observation.notice.html", headers=auth["admin"]
    )
    assert page.status_code == 200
    assert "整改通知单" in page.text and "整改措施" in page.text and "扣分原因" in page.text
    assert "回头看" in page.text


def test_township_staff_see_only_their_townships_items(client, county):
    base, _, auth = county
    everything = client.get(f"{base}/rectification?page_size=100", headers=auth["admin"]).json
    own = client.get(f"{base}/rectification?page_size=100", headers=auth["t02_zzw"]).json
    assert 0 < len(own) < len(everything)
    units = {
        o["id"]: o["code"]
        for o in client.get(f"{base}/orgs?page_size=100", headers=auth["admin"]).json
    }
    assert all(units[i["org_id"]].startswith("T02") for i in own)
    elsewhere = next(i for i in everything if not units[i["org_id"]].startswith("T02"))
    refused = client.post(
        f"{base}/rectification",
        headers=auth["t02_zzw"],
        json={"org_id": elsewhere["org_id"], "issue": "越界", "deadline": "2030-01-01"},
    )
    assert refused.status_code == 403


def test_township_staff_follow_up_and_sign_off_only_at_home(client, county):
    base, _, auth = county
    items = client.get(f"{base}/rectification?page_size=100", headers=auth["admin"]).json
    units = {
        o["id"]: o["code"]
        for o in client.get(f"{base}/orgs?page_size=100", headers=auth["admin"]).json
    }
    home = next(i for i in items if units[i["org_id"]].startswith("T02") and i["status"] == "open")
    away = next(i for i in items if not units[i["org_id"]].startswith("T02"))
    check = {"checked_on": "2021-11-01", "finding": "回头看:已整改", "satisfactory": True}
    assert (
        client.post(
            f"{base}/rectification/{away['id']}/follow-ups", json=check, headers=auth["t02_zzw"]
        ).status_code
        == 404  # another township's item: not theirs to see
    )
    assert (
        client.post(
            f"{base}/rectification/{home['id']}/follow-ups", json=check, headers=auth["t02_zzw"]
        ).status_code
        == 201
    )
    url = f"{base}/rectification/{home['id']}/sign-off"
    bare = client.post(url, headers=auth["t02_zzw"])  # raised from a deduction: 逐项验收
    assert bare.status_code == 422 and "核查说明" in bare.json["message"]
    done = client.post(url, json={"note": "查看了补齐的台账"}, headers=auth["t02_zzw"])
    assert done.status_code == 200 and done.json["status"] == "signed_off"


def test_township_staff_score_only_their_townships_organizations(client, county):
    base, cycle_id, auth = county
    units = client.get(f"{base}/orgs?page_size=100", headers=auth["admin"]).json
    away = next(o for o in units if o["code"].startswith("T01-"))
    home = next(o for o in units if o["code"].startswith("T02-") and o["kind"] == "village")
    sheet = {
        "subject_kind": "org",
        "source": "observer",
        "deductions": [{"item": "A1", "points": 1, "reason": "标识不统一"}],
    }
    url = f"{base}/cycles/{cycle_id}/sheets"
    # the demo's round is in 审核评定: its inputs are reopened (who may score, not when)
    reopen = {"reason": "乡镇补录"}
    reopened = client.post(
        f"{base}/cycles/{cycle_id}/inputs/reopen", json=reopen, headers=auth["admin"]
    )
    assert reopened.status_code == 200, reopened.json
    assert (
        client.post(
            url, json={**sheet, "subject_id": away["id"]}, headers=auth["t02_zzw"]
        ).status_code
        == 403
    )
    saved = client.post(url, json={**sheet, "subject_id": home["id"]}, headers=auth["t02_zzw"])
    assert saved.status_code == 201 and saved.json["deductions"][0]["id"]
    assert saved.json["rater"] == "t02_zzw"  # their own sheet (Scheme.branch_sources)
    other = {**sheet, "subject_id": home["id"], "rater": "乡组织委员"}
    named = client.post(url, json=other, headers=auth["t02_zzw"])
    assert named.status_code == 422 and "rater" in named.json["errors"]


def test_the_county_assessor_takes_the_on_site_sheets_offline(app, client, county):
    """现场观摩打分 is scored by township staff and county assessors alike, each their own
    sheet: it is in the assessor's 我的评分表 (the bundle kept on the phone), not only on
    the 评分表 list."""
    base, cycle_id, _auth = county
    log_in_as(app, client, "county_assessor")
    tenant = base.rsplit("/", 1)[1]
    bundle = client.get(f"/t/{tenant}/offline/bundle.json?cycle={cycle_id}").json
    assert {s["source"] for s in bundle["sheets"]} == {"observer"}
    assert len(bundle["sheets"]) >= 20  # every village and organization of the county


def test_a_township_secretary_sees_the_sheets_it_enters_for_its_villages(app, client, county):
    """A township's 组织委员 scores its villages' 现场观摩打分: the 本单位 page counts those
    sheets in 考评进度 and links them, as 评分表 offers them — not 没有需要录入的评分."""
    base, _cycle_id, _auth = county
    log_in_as(app, client, "t01_zzw")
    page = client.get(f"/t/{base.rsplit('/', 1)[1]}/branch").text
    assert "没有需要录入的评分" not in page
    progress = page.split("考评进度", 1)[1].split("历年结果", 1)[0]
    assert "现场观摩打分" in progress
    assert page.count("source=observer") + page.count("/observer") >= 7
    items = page.rsplit("<h2>整改事项</h2>", 1)[1]  # each item names its unit: 7 under one
    assert re.search(r"<td data-label=\"组织\">[^<]+党支部<", items), items[:500]


def test_the_reopen_list_offers_what_the_round_scores(app, client, county):
    """重新开放录入 offers the villages and organizations the round scores, not the county
    committee or the townships' 党委, which it never scores."""
    base, cycle_id, _auth = county
    log_in_as(app, client, "county_admin")
    page = client.get(f"/t/{base.rsplit('/', 1)[1]}/cycles/{cycle_id}").text
    offered = re.findall(r"<option value=\"[0-9a-f-]+\"[^>]*>([^<]+)</option>", page)
    assert "东关村党支部" in offered and len(offered) >= 20
    assert not [name for name in offered if name.endswith("委员会") or name.endswith("乡党委")]
