"""Texts that still came out in two languages at once, or in one for everyone: an item
raised for a result's action, a recompute job's refusal, the rows it names. Each is
stored in Chinese (the seeds' language) and shown in the reader's language."""

from __future__ import annotations

import uuid

import pytest
from authz_scene import build_scene, login, result_id
from sqlalchemy import select, update
from test_web_pages import seeded, token_of  # noqa: F401

from zhibu.db import db
from zhibu.models import RectificationItem, ScoreSheet
from zhibu.tenancy import system_scope, use_scope

PLAN_ZH = "星级评定结果为两星及以下,制定整改方案"
PLAN_EN = "Rated two stars or fewer: draw up a rectification plan"


@pytest.fixture
def scene(app):
    return build_scene(app)


def test_an_item_raised_for_an_action_is_stored_in_chinese_and_shown_in_the_readers(
    app, client, scene
):
    tenant = scene.id("A")
    client.get("/lang/en?next=/")  # the caller chose English: the item is stored in Chinese
    made = client.post(
        f"/api/v1/tenants/{tenant}/rectification/from-result",
        json={
            "action": "rectification_plan",
            "deadline": "2030-06-30",
            "result_id": str(result_id(app, scene, "A-Z01")),
        },
        headers=scene.world.headers["admin_a"],
    )
    assert made.status_code == 201, made.json
    assert made.json["issue"] == f"A-Z01:{PLAN_ZH}"
    login(client, "admin_a")
    english = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01: {PLAN_EN}" in english and PLAN_ZH not in english
    client.get("/lang/zh?next=/")
    chinese = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01:{PLAN_ZH}" in chinese and "rectification plan" not in chinese
    # an item stored before, as "中文 / English", is read the same way
    with app.app_context(), use_scope(system_scope()):
        db.session.execute(
            update(RectificationItem)
            .where(RectificationItem.id == uuid.UUID(made.json["id"]))
            .values(issue=f"A-Z01: {PLAN_ZH} / rectification plan")
        )
        db.session.commit()
    chinese = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01:{PLAN_ZH}" in chinese and "rectification plan" not in chinese
    client.get("/lang/en?next=/")
    assert f"A-Z01: {PLAN_EN}" in client.get(f"/t/{tenant}/ledger").text


def test_a_refused_recompute_job_keeps_both_languages_and_names_the_sheet(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    """The engine's refusal in a job: kept with its English apart, shown on the job page in
    the reader's language, each row named by its sheet's title (never ``monthly`` …)."""
    tenant = world.id("A")
    with app.app_context(), use_scope(system_scope()):
        sheet = db.session.scalars(
            select(ScoreSheet).where(
                ScoreSheet.tenant_id == world.ids["A"],
                ScoreSheet.cycle_id == uuid.UUID(str(seeded["A"])),
                ScoreSheet.score.is_not(None),
            )
        ).first()
        source, code = sheet.source, _code_of(sheet)
        title = _title_of(sheet.cycle_id, source)
        sheet.score = 999
        db.session.commit()
    login(client, "admin_a")
    cycle_page = client.get(f"/t/{tenant}/cycles/{seeded['A']}")
    started = client.post(
        f"/t/{tenant}/cycles/{seeded['A']}/recompute", data={"csrf_token": token_of(cycle_page)}
    )
    job = client.get(started.location.split("?")[0] + ".json").json
    assert (job["status"], job["outcome"]) == ("finished", "rejected")
    (problem,) = job["problems"]
    assert problem.startswith(f"{code}(") and title in problem and "得分 999" in problem
    assert source not in problem  # the sheet's title, not its key
    page = client.get(started.location).text
    assert "未计算:录入不符合评定方案" in page and "有 1 处录入不符合评定方案" in page
    assert problem in page and "InputRefused" not in page
    client.get("/lang/en?next=/")
    english = client.get(started.location.split("?")[0] + ".json").json["problems"]
    assert english[0].startswith(f"{code} (") and "score 999 is outside" in english[0]
    page = client.get(started.location).text
    assert "Not computed: inputs do not fit the scheme" in page and "不符合" not in page
    # the API keeps both: Chinese for a token, English apart
    api = client.get(
        f"/api/v1/tenants/{tenant}/jobs/{job['id']}", headers={**world.headers["admin_a"]}
    ).json
    assert api["result"]["refused"] == 1
    assert api["result"]["problems"][0]["text"] == problem
    assert "score 999" in api["result"]["problems"][0]["en"]


def _code_of(sheet) -> str:
    from zhibu.models import Member, OrgUnit

    if sheet.subject_kind == "member":
        return db.session.get(Member, (sheet.tenant_id, sheet.subject_id)).archive_code
    return db.session.get(OrgUnit, (sheet.tenant_id, sheet.subject_id)).code


def _title_of(cycle_id, source: str) -> str:
    from zhibu.evaluations import compute
    from zhibu.models import Cycle

    cycle = db.session.scalar(select(Cycle).where(Cycle.id == cycle_id))
    definition, _settings, _version = compute.definition_for(cycle)
    return next(s.title for t in definition.tracks for s in t.sources if s.key == source)


def test_settings_that_do_not_add_up_are_refused_in_the_admins_language(client, world):
    """The scheme's own check of its settings ("add up to 100") reaches an admin through
    the API in their language, naming the settings by their titles."""
    from akesu_college.scheme import MEMBER_ASPECTS

    code, title, points = MEMBER_ASPECTS[0]
    url = f"/api/v1/tenants/{world.id('A')}/schemes/akesu_college/versions"
    body = {"overrides": {f"member_points.{code}": points + 5}, "note": ""}
    refused = client.post(url, json=body, headers=world.headers["admin_a"])
    assert refused.status_code == 400
    message = refused.json["message"]
    assert message.startswith("这几项设置彼此不一致:各方面分值合计须为 100 分,现为 105 分。请检查:")
    assert f"党员星级:{title}(分)" in message and "add up" not in message
    assert list(refused.json["errors"]) == ["member_points"]
    client.get("/lang/en?next=/")
    english = client.post(url, json=body, headers=world.headers["admin_a"]).json["message"]
    assert english.startswith(
        "These settings do not agree with each other: "
        "the aspects must add up to 100 points, not 105. Check: "
    )


def test_a_date_the_ledger_form_cannot_read_is_named_by_its_label(client, scene):
    login(client, "admin_a")
    base = f"/t/{scene.id('A')}/ledger"
    token = token_of(client.get(base))
    item = {
        "csrf_token": token,
        "issue": "台账缺页",
        "deadline": "下周",
        "org_id": scene.id("A-Z01"),
    }
    refused = client.post(f"{base}/new", data=item)
    assert refused.status_code == 400
    assert "期限:“下周”不是日期" in refused.text and "deadline:" not in refused.text
