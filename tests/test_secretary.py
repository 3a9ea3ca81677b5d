"""Issue 22: the branch secretary's workspace (本支部 for every cycle, the branch's members
and the sources the branch enters for them), the ten-second summary on result pages, in
the API and on the printed 反馈单, and a member's 我的考评.

The scene (tests/authz_scene.py): tenant A's akesu 2021 cycle published; A-Z01 (secretary_a's
branch) at 49 points, one star, with a deduction "支部台账缺页"; its member 张三 (A-M1,
member_a) at 80 × 60 % + 100 × 40 % = 88, four stars; 李四 (A-M2) is in A-Z02."""

from __future__ import annotations

import uuid

import pytest
from authz_scene import build_scene, login
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations import compute, cycles
from zhibu.models import Cycle, EvaluationResult, Tenant
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def scene(app):
    return build_scene(app)


def _open_2022(app, scene) -> str:
    """The college opens its 2022 cycle: the current one is no longer 2021."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, scene.world.ids["A"])
        return str(cycles.open_cycle(tenant, "akesu_college", "2022").id)


def _result_id(app, scene, code: str) -> str:
    with app.app_context(), use_scope(system_scope()):
        return str(
            db.session.scalar(
                select(EvaluationResult.id).where(
                    EvaluationResult.subject_id == scene.world.ids[code],
                    EvaluationResult.cycle_id == scene.ids["cycle"],
                )
            )
        )


def test_the_branch_page_shows_results_summary_and_members_of_the_branch_only(app, client, scene):
    login(client, "secretary_a")
    page = client.get(f"/t/{scene.id('A')}/branch?cycle={scene.id('cycle')}")
    assert page.status_code == 200
    text = page.text
    assert "再得 11 分可评二星" in text  # 49 points, the two-star line at 60
    assert "支部台账缺页" in text  # the deduction reason among the points lost
    assert "制定整改方案,限期整改" in text  # the rule that applied, in words
    assert "张三" in text and "李四" not in text  # only the branch's own members
    assert "None" not in text
    feedback = f"/results/{_result_id(app, scene, 'A-Z01')}/feedback"
    assert feedback in text


def test_every_cycle_of_the_branch_is_reachable_and_an_open_one_shows_progress(app, client, scene):
    cycle_2022 = _open_2022(app, scene)
    login(client, "secretary_a")
    page = client.get(f"/t/{scene.id('A')}/branch")
    assert "考评进度" in page.text  # 2022 is open: its progress, not results
    assert "民主测评" in page.text and "机电系第一党支部" in page.text  # a missing source
    assert f'value="{scene.id("cycle")}"' in page.text  # 2021 can be chosen
    assert f"/branch?cycle={scene.id('cycle')}" in page.text  # and reached from the history
    chosen = client.get(f"/t/{scene.id('A')}/branch?cycle={scene.id('cycle')}")
    assert "再得 11 分可评二星" in chosen.text
    # the members' column offers the source the branch enters for them in the open cycle
    assert f"/cycles/{cycle_2022}/sheets/member/{scene.id('A-M1')}/committee" in page.text


def test_the_secretary_enters_the_committee_source_for_own_members_only(app, client, scene):
    cycle_2022 = _open_2022(app, scene)
    base = f"/api/v1/tenants/{scene.id('A')}/cycles/{cycle_2022}/sheets"
    headers = scene.world.headers["secretary_a"]
    items = {f"B{n}": 18 for n in range(1, 6)}

    def sheet(member, source="committee"):
        body = {"subject_kind": "member", "subject_id": scene.id(member), "source": source}
        return client.post(base, json=body | {"items": items}, headers=headers)

    own = sheet("A-M1")
    assert own.status_code == 201, own.json
    assert sheet("A-M2").status_code == 403  # another branch's member
    democratic = client.post(
        base,
        json={"subject_kind": "member", "subject_id": scene.id("A-M1"), "source": "democratic"}
        | {"score": 90},
        headers=headers,
    )
    assert democratic.status_code == 403  # not a source the branch enters
    # the same phase rules as the rest of the cycle: a final cycle takes no more entries
    with app.app_context(), use_scope(system_scope()):
        cycle = db.session.get(Cycle, (scene.world.ids["A"], uuid.UUID(cycle_2022)))
        compute.recompute(cycle)  # results as entered: stale ones are never made final
        cycles.advance(cycle, "final")
        db.session.commit()
    assert sheet("A-M1").status_code == 409


def test_the_api_gives_the_summary_structured(app, client, scene):
    url = f"/api/v1/tenants/{scene.id('A')}/cycles/{scene.id('cycle')}/results"
    rows = client.get(url, headers=scene.world.headers["secretary_a"]).json
    by_code = {r["subject_code"]: r for r in rows}
    assert "A-M2" not in by_code and "A-Z02" not in by_code  # not the secretary's
    branch = by_code["A-Z01"]["summary"]
    assert branch["gap_to_next"]["points"] == 11 and branch["gap_to_next"]["stars"] == 2
    assert branch["margin_below"] is None  # one star is the floor: no line below
    first = branch["lost_points"][0]
    assert first["indicator"] == "A1" and first["reasons"] == ["支部台账缺页"]
    assert first["lost"] == round((first["max_points"] - first["points"]) * 0.5, 2)
    assert [s["lost"] for s in branch["lost_points"]] == sorted(
        (s["lost"] for s in branch["lost_points"]), reverse=True
    )
    assert len(branch["lost_points"]) == 5
    assert {"key": "rectification_plan", "kind": "flag", "name": "制定整改方案,限期整改"} in (
        branch["rules_applied"]
    )
    member = by_code["A-M1"]["summary"]
    assert (member["gap_to_next"]["points"], member["gap_to_next"]["level"]) == (2, "五星")
    assert (member["margin_below"]["points"], member["margin_below"]["level"]) == (8, "四星")
    assert member["margin_below"]["text"] == "比四星线高 8 分"


def test_result_pages_start_with_the_summary_and_fold_the_trace(app, client, scene):
    login(client, "secretary_a")
    base = f"/t/{scene.id('A')}/cycles/{scene.id('cycle')}/results"
    member = client.get(f"{base}/{_result_id(app, scene, 'A-M1')}")
    assert member.status_code == 200  # a member of the secretary's own branch
    text = member.text
    assert text.index("再得 2 分可评五星") < text.index("得分说明")
    assert "比四星线高 8 分" in text
    assert "未扣分的满分项(5 项)" in text  # the untouched full-score items, collapsed
    assert client.get(f"{base}/{_result_id(app, scene, 'A-M2')}").status_code == 404
    branch = client.get(f"{base}/{_result_id(app, scene, 'A-Z01')}/feedback")
    assert branch.status_code == 200
    assert "考评反馈单" in branch.text and "支部台账缺页" in branch.text
    assert "@media print" in branch.text and "http" not in branch.text.split("<body>")[0]
    other = client.get(f"{base}/{_result_id(app, scene, 'A-Z02')}/feedback")
    assert other.status_code == 404


def test_my_stars_shows_levels_summary_chart_and_cycles_in_progress(app, client, scene):
    _open_2022(app, scene)
    login(client, "member_a")
    page = client.get(f"/t/{scene.id('A')}/me")
    assert page.status_code == 200
    text = page.text
    assert "None" not in text
    assert "四星" in text and "再得 2 分可评五星" in text
    assert "进行中" in text  # 2022, not yet published
    assert text.index("2022") < text.index("2021")


def _secretary_of(app, scene, username: str, unit: str) -> None:
    """A new user, 支部书记 of tenant A's ``unit``."""
    from world import _user

    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, scene.world.ids["A"])
        _user(scene.world, username, tenant, "branch_secretary", org_id=scene.world.ids[unit])
        db.session.commit()


def test_a_secretary_over_several_branches_sees_their_results_not_a_missing_one(app, client, scene):
    """A secretary of a 党总支 (a unit the scheme does not rate) sees the results and 反馈单
    of the branches under it, and no "尚未计算结果" for his own unit."""
    _secretary_of(app, scene, "general_a", "A-ZZ1")
    login(client, "general_a")
    page = client.get(f"/t/{scene.id('A')}/branch?cycle={scene.id('cycle')}")
    assert page.status_code == 200
    text = page.text
    assert "尚未计算结果" not in text and "还没有公示的结果" not in text
    for code in ("A-Z01", "A-Z02"):
        assert f"/results/{_result_id(app, scene, code)}/feedback" in text
    assert "机电系第二党支部" in text and "李四" in text


def test_a_retired_branch_is_not_asked_for_scores(app, client, scene):
    """The secretary of a retired branch (离退休: listed, not rated) is offered no sheet
    for the branch and sees it in no progress row: nothing is missing there."""
    _open_2022(app, scene)
    _secretary_of(app, scene, "retired_a", "A-Z09")
    login(client, "retired_a")
    page = client.get(f"/t/{scene.id('A')}/branch")
    assert page.status_code == 200 and "离退休党支部" in page.text
    assert f"/sheets/org/{scene.id('A-Z09')}/" not in page.text
    assert "/totals/" not in page.text and "未录入" not in page.text
    login(client, "secretary_a")  # a rated branch is still asked
    assert f"/sheets/org/{scene.id('A-Z01')}/" in client.get(f"/t/{scene.id('A')}/branch").text


def test_a_secretary_of_a_unit_leading_others_has_本单位_not_本支部(app, world):
    """A 党总支's secretary (or a township's 组织委员) leads the branches under the unit: the
    page and its link are 本单位; a branch's secretary, with 党小组 under it or not, keeps
    本支部."""
    from test_web_pages import login as log_in
    from world import _HASH

    from zhibu.models import RoleAssignment, User

    with app.app_context(), use_scope(system_scope()):
        user = User(id=uuid.uuid4(), username="zongzhi_a", password_hash=_HASH)
        db.session.add(user)
        db.session.flush()
        db.session.add(
            RoleAssignment(
                tenant_id=world.ids["A"],
                user_id=user.id,
                role="branch_secretary",
                org_id=world.ids["A-ZZ1"],
            )
        )
        db.session.commit()
    leader = app.test_client()
    log_in(leader, "zongzhi_a")
    page = leader.get(f"/t/{world.id('A')}/branch").text
    assert "<h1>本单位" in page and ">本单位</a>" in page and "本支部" not in page
    assert "本单位党员" in page
    branch = app.test_client()
    log_in(branch, "secretary_a")
    page = branch.get(f"/t/{world.id('A')}/branch").text
    assert "<h1>本支部" in page and ">本支部</a>" in page and "本单位" not in page
