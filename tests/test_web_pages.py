"""Every role's pages, on both backends: the right data, nothing of another tenant, 404
for a tenant the user cannot see, 403 for what the role cannot do, CSRF on forms."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from zhibu.accounts.access import system_access
from zhibu.db import db
from zhibu.evaluations import compute, cycles, ledger, sheets
from zhibu.models import EvaluationResult, Member, OrgUnit, Tenant
from zhibu.tenancy import system_scope, use_scope
from zhibu.tenancy.service import enable_scheme

PASSWORD = "correct horse battery"  # tests/world.py
OVERDUE_ISSUE = "三会一课记录不全,限期补齐"


def _branch_sheets(world, code, democratic, superior, deducted) -> list[sheets.SheetInput]:
    org = world.ids[code]
    items = {f"A{n}": pts for n, pts in enumerate((15, 15, 15, 15, 10, 10, 10, 10), start=1)}
    return [
        sheets.SheetInput("org", org, "democratic", score=democratic),
        sheets.SheetInput("org", org, "superior", score=superior),
        sheets.SheetInput(
            "org",
            org,
            "assessment_team",
            rater="组长",
            items=items,
            deductions=[{"item": "A1", "points": deducted, "reason": "支部台账缺页"}],
        ),
    ]


def _member_sheets(world, code, democratic) -> list[sheets.SheetInput]:
    member = world.ids[code]
    items = {f"B{n}": 20 for n in range(1, 6)}
    return [
        sheets.SheetInput("member", member, "democratic", score=democratic),
        sheets.SheetInput("member", member, "committee", rater="支委会", items=items),
    ]


def seed_results(world) -> dict[str, uuid.UUID]:
    """A 2021 cycle of akesu_college in tenants A and B, scored and computed, with an
    overdue rectification item each. A-Z01 totals 95 (five stars), A-Z02 75."""
    with use_scope(system_scope()):
        a = db.session.get(Tenant, world.ids["A"])
        b = db.session.get(Tenant, world.ids["B"])
        enable_scheme(b, "akesu_college")
        db.session.commit()
        history = cycles.open_cycle(a, "akesu_college", "2020")
        compute.store_history(
            history, [{"subject": ("member", world.ids["A-M1"]), "stars": 3, "total": 74.5}]
        )
        found = {}
        for tenant, branches, members in (
            (a, [("A-Z01", 95, 95, 5), ("A-Z02", 75, 75, 1.5)], [("A-M1", 96), ("A-M2", 70)]),
            (b, [("B-Z01", 88, 88, 3)], [("B-M1", 90)]),
        ):
            cycle = cycles.open_cycle(tenant, "akesu_college", "2021")
            inputs = [s for args in branches for s in _branch_sheets(world, *args)]
            inputs += [s for args in members for s in _member_sheets(world, *args)]
            sheets.save_many(cycle, inputs)
            cycles.advance(cycle, "assessment")
            compute.recompute(cycle)
            ledger.raise_item(
                system_access(tenant.id),
                org_id=world.ids[branches[0][0]],
                issue=OVERDUE_ISSUE + tenant.code,
                deadline=date(2021, 3, 1),
            )
            found[tenant.code] = cycle.id
    return found


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def token_of(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


@pytest.fixture
def seeded(app, world):
    with app.app_context():
        return seed_results(world)


def result_id(app, world, tenant: str, code: str) -> uuid.UUID:

    with app.app_context(), use_scope(system_scope()):
        cycle_id = compute.current_set(
            cycles.get_cycle(world.ids[tenant], seeded_cycle(app, world, tenant))
        ).id
        return db.session.scalar(
            select(EvaluationResult.id).where(
                EvaluationResult.result_set_id == cycle_id,
                EvaluationResult.subject_code == code,
            )
        )


def seeded_cycle(app, world, tenant: str) -> uuid.UUID:
    from sqlalchemy import select

    from zhibu.models import Cycle

    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(
            select(Cycle.id).where(Cycle.tenant_id == world.ids[tenant], Cycle.period == "2021")
        )


B_NAMES = ("乙公司", "王五")


def assert_nothing_of_b(text: str) -> None:
    for name in B_NAMES:
        assert name not in text, name


def test_admin_dashboard_shows_the_cycle(client, world, seeded):
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/", follow_redirects=True)
    assert page.status_code == 200
    assert "工作台" in page.text and "2021" in page.text
    assert "考核评分" in page.text  # the phase
    assert "2021-12-20" in page.text  # its deadline
    assert "<svg" in page.text and "五星" in page.text  # the star chart
    assert "样板党支部占比" in page.text  # the scheme's target
    entry = re.search(r'class="big">(\d+) / (\d+)<', page.text).groups()
    # 2 branches and 2 members entered, of as many rated (A-Z09 is retired: listed, not rated)
    assert entry == ("4", "4")
    assert_nothing_of_b(page.text)


def test_the_cycle_page_says_who_is_listed_and_not_rated_and_a_deadline_not_set(
    app, client, world, seeded
):
    """The cycle page's count of subjects says how many of them are listed, not rated (so
    it and the 工作台's 评分录入 can be told apart); a phase without a deadline says 未设置
    and where to set it, not "—"."""
    login(client, "admin_a")
    cycle_page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}").text
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], seeded["A"])
        current = compute.current_set(cycle)
        listed = db.session.scalar(
            select(func.count())
            .select_from(EvaluationResult)
            .where(EvaluationResult.result_set_id == current.id, EvaluationResult.rated.is_(False))
        )
        cycle.deadlines = {}
        db.session.commit()
    assert listed == 1  # A-Z09, retired
    assert f"其中 {listed} 个列出而不参评" in cycle_page
    dashboard = client.get(f"/t/{world.id('A')}/dashboard").text
    assert "截止日期:未设置" in dashboard and f"/cycles/{seeded['A']}#deadlines" in dashboard


def test_the_dashboards_chart_counts_the_vetoed_as_its_table_does(app):
    """The chart's 共 N is the table's 参评 (rated and vetoed): vetoed results are a bar of
    their own, and every share is of all who took part."""
    from zhibu.web.common import star_chart

    track = {"stars": {"5": 3, "3": 1}, "grades": {}, "vetoed": 2, "rated": 4}
    with app.test_request_context():
        svg = str(star_chart({"tracks": {"branch": track}}, {"branch": "党支部"}, "星级分布"))
    assert "党支部(共 6)" in svg
    assert "党支部 一票否决: 2 (33.3%)" in svg and "党支部 五星: 3 (50.0%)" in svg
    calm = {"stars": {"5": 3, "3": 1}, "grades": {}, "vetoed": 0, "rated": 4}
    with app.test_request_context():
        svg = str(star_chart({"tracks": {"branch": calm}}, {"branch": "党支部"}, "星级分布"))
    assert "一票否决" not in svg and "党支部(共 4)" in svg


def test_the_dashboards_chart_counts_each_track_on_its_own_levels(app):
    """A track rated by grades only (党员量化考评) and one rated by stars with 不合格 below
    them (两新组织) share the chart: each track's 共 N is its 参评, nothing is dropped,
    and the grades come best first after the stars."""
    from zhibu.web.common import levels_title, star_chart

    summary = {
        "tracks": {
            "member": {
                "stars": {},
                "grades": {"unqualified": 3, "excellent": 40, "qualified": 200},
                "vetoed": 0,
            },
            "new": {"stars": {"3": 2}, "grades": {"unqualified": 1}, "vetoed": 0},
        }
    }
    titles = {"member": "党员", "new": "两新组织"}
    with app.test_request_context():
        heading = levels_title(summary)
        svg = str(star_chart(summary, titles, heading))
    assert heading == "星级和等次分布"
    assert "党员(共 243)" in svg and "两新组织(共 3)" in svg
    assert "两新组织 不合格: 1 (33.3%)" in svg and "党员 优秀: 40 (16.5%)" in svg
    order = [svg.index(f">{name}<") for name in ("三星", "优秀", "合格", "不合格")]
    assert order == sorted(order)
    # no 0 drawn where a level is not the track's own: the members' track has no stars,
    # 两新组织 no 优秀 or 合格 (its own levels are stars, and 不合格 below them)
    assert "党员 五星" not in svg and "两新组织 优秀" not in svg
    assert "两新组织 五星: 0 (0.0%)" in svg
    with app.test_request_context():  # a scheme of five to three stars draws those
        declared = str(star_chart(summary, titles, heading, stars={5, 4, 3}))
    assert ">四星<" in declared and ">二星<" not in declared and ">一星<" not in declared
    grades_only = {"tracks": {"member": summary["tracks"]["member"]}}
    with app.test_request_context():
        assert levels_title(grades_only) == "等次分布"
        assert "五星" not in str(star_chart(grades_only, titles, "等次分布"))


def test_periods_are_named_as_people_write_them(app):
    from zhibu.web.common import period_name

    with app.test_request_context():
        found = [period_name(p) for p in ("2021", "2021H2", "2021Q3", "2021-05", "x")]
    assert found == ["2021年", "2021年下半年", "2021年第三季度", "2021年5月", "x"]
    from flask import session

    with app.test_request_context():
        session["lang"] = "en"
        assert period_name("2021Q3") == "Q3 2021"


def test_results_drill_down_to_the_explanation(app, client, world, seeded):
    login(client, "admin_a")
    cycle = seeded["A"]
    listing = client.get(f"/t/{world.id('A')}/cycles/{cycle}/results")
    assert "机电系第一党支部" in listing.text and "张三" in listing.text
    assert_nothing_of_b(listing.text)
    rid = result_id(app, world, "A", "A-Z01")
    assert f"/results/{rid}#source-assessment_team" in listing.text
    detail = client.get(f"/t/{world.id('A')}/cycles/{cycle}/results/{rid}")
    assert detail.status_code == 200
    assert "支部台账缺页" in detail.text and "五星" in detail.text
    assert 'id="source-assessment_team"' in detail.text
    other = result_id(app, world, "B", "B-Z01")
    assert client.get(f"/t/{world.id('A')}/cycles/{cycle}/results/{other}").status_code == 404


def test_the_results_list_has_a_rank_column_only_where_results_are_ranked(
    app, client, world, seeded
):
    """名次 is shown when a result on the page has a rank (a scheme that ranks); a scheme
    that does not rank shows no empty column."""
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/results"
    listing = client.get(url)
    with app.app_context(), use_scope(system_scope()):
        ranks = db.session.scalars(
            select(EvaluationResult.rank).where(EvaluationResult.cycle_id == seeded["A"])
        ).all()
    assert ("<th>名次</th>" in listing.text) == any(ranks)
    with app.app_context(), use_scope(system_scope()):
        for one in db.session.scalars(
            select(EvaluationResult).where(EvaluationResult.cycle_id == seeded["A"])
        ):
            one.rank = None if one.rank else 1
        db.session.commit()
    again = client.get(url)
    assert ("<th>名次</th>" in again.text) != any(ranks)


def test_a_tenant_the_user_cannot_see_is_404_and_a_role_403(client, world, seeded):
    login(client, "admin_a")
    assert client.get(f"/t/{world.id('B')}/dashboard").status_code == 404
    assert client.get(f"/t/{world.id('B')}/cycles/{seeded['B']}/results").status_code == 404
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})
    login(client, "member_a")
    assert client.get(f"/t/{world.id('A')}/dashboard").status_code == 403
    assert client.get(f"/t/{world.id('A')}/members").status_code == 403


def test_forms_need_the_csrf_token(client, world, seeded):
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/advance"
    assert client.post(url).status_code == 400
    page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}")
    moved = client.post(url, data={"csrf_token": token_of(page)}, follow_redirects=True)
    assert moved.status_code == 200 and "审核评定" in moved.text


def _sheet_url(world, cycle, code="A-Z01", source="assessment_team") -> str:
    return f"/t/{world.id('A')}/cycles/{cycle}/sheets/org/{world.id(code)}/{source}"


def test_assessor_sheet_is_the_paper_sheet_and_checks_what_is_saved(client, world, seeded):
    login(client, "assessor_a")
    home = client.get(f"/t/{world.id('A')}/", follow_redirects=True)
    assert "评分表" in home.text and "机电系第一党支部" in home.text
    url = _sheet_url(world, seeded["A"])
    page = client.get(url)
    for heading in ("序号", "考核指标", "考核内容", "扣分", "扣分原因", "得分"):
        assert f">{heading}</th>" in page.text
    assert "党的组织全覆盖" in page.text
    headers = {"X-CSRFToken": token_of(page), "Accept": "application/json"}
    refused = client.post(url, data={"d-A1": "3"}, headers=headers)
    assert refused.status_code == 400 and "未注明扣分原因" in refused.json["message"]
    too_much = client.post(url, data={"d-A1": "16", "r-A1": "x"}, headers=headers)
    assert too_much.status_code == 400 and "超过该项满分" in too_much.json["message"]
    saved = client.post(url, data={"d-A1": "15", "r-A1": "未建立台账"}, headers=headers)
    assert saved.status_code == 200 and saved.json["saved"]
    again = client.get(url)
    assert 'value="15"' in again.text and 'value="未建立台账"' in again.text


def test_a_deduction_without_reason_is_refused_in_the_users_language(client, world, seeded):
    """The engine's refusal reaches the page and its JSON in Chinese, and in English once
    the user chose English: never the other language, nothing saved."""
    login(client, "assessor_a")
    url = _sheet_url(world, seeded["A"])
    headers = {"X-CSRFToken": token_of(client.get(url)), "Accept": "application/json"}
    form = {"d-A1": "3", "r-A1": "  "}
    code = "A-Z01"
    refused = client.post(url, data=form, headers=headers)
    assert refused.status_code == 400
    assert refused.json["message"] == f"{code}:扣分项 A1 未注明扣分原因"
    assert refused.json["errors"]["sheet"] == [f"{code}:扣分项 A1 未注明扣分原因"]
    page = client.post(url, data=form, headers={"X-CSRFToken": headers["X-CSRFToken"]})
    assert page.status_code == 400 and f"未保存:{code}:扣分项 A1 未注明扣分原因" in page.text
    assert "no reason" not in page.text
    client.get("/lang/en")
    refused = client.post(url, data=form, headers=headers)
    assert refused.status_code == 400
    assert refused.json["message"] == f"{code}: the deduction from A1 has no reason"
    assert refused.json["errors"]["sheet"] == [f"{code}: the deduction from A1 has no reason"]
    page = client.post(url, data=form, headers={"X-CSRFToken": headers["X-CSRFToken"]})
    assert page.status_code == 400 and "the deduction from A1 has no reason" in page.text
    assert "未注明扣分原因" not in page.text
    client.get("/lang/zh")
    assert 'value="3"' not in client.get(url).text  # nothing saved


def test_recompute_runs_as_a_job_and_the_stars_change(app, client, world, seeded):
    login(client, "assessor_a")
    url = _sheet_url(world, seeded["A"])
    headers = {"X-CSRFToken": token_of(client.get(url)), "Accept": "application/json"}
    deductions = {
        "d-A1": "15",
        "r-A1": "缺",
        "d-A2": "15",
        "r-A2": "缺",
        "d-A3": "15",
        "r-A3": "缺",
    }
    assert client.post(url, data=deductions, headers=headers).status_code == 200
    client.post("/logout", data={"csrf_token": headers["X-CSRFToken"]})
    login(client, "admin_a")
    cycle_page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}")
    started = client.post(
        f"/t/{world.id('A')}/cycles/{seeded['A']}/recompute",
        data={"csrf_token": token_of(cycle_page)},
    )
    assert started.status_code == 302 and "/jobs/" in started.location
    job_page = client.get(started.location)
    assert "已完成" in job_page.text and "<progress" in job_page.text
    job_id = re.search(r"/jobs/([0-9a-f-]{36})", started.location).group(1)
    state = client.get(f"/t/{world.id('A')}/jobs/{job_id}.json").json
    assert state["status"] == "finished" and state["done"] == state["total"] > 0
    rid = result_id(app, world, "A", "A-Z01")
    detail = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}/results/{rid}")
    assert '<p class="big level">四星</p>' in detail.text
    assert '<p class="big level">五星' not in detail.text  # (the summary names five stars)
    assert "再得 5 分可评五星" in detail.text
    other = client.get(f"/t/{world.id('B')}/jobs/{job_id}.json")
    assert other.status_code == 404


def test_overseer_sees_overseen_tenants_side_by_side_read_only(client, world, seeded):
    login(client, "overseer_c")
    page = client.get(f"/t/{world.id('C')}/", follow_redirects=True)
    assert page.status_code == 200 and "监督总览" in page.text
    assert "甲学院党委" in page.text and "<svg" in page.text
    assert "失分最多的指标" in page.text
    weakest = client.get(f"/t/{world.id('C')}/oversight/weakness")  # issue 23: its own page
    assert "党的组织全覆盖" in weakest.text and "张三" not in weakest.text
    assert_nothing_of_b(page.text)
    assert "13912345678" not in page.text
    drill = client.get(f"/t/{world.id('A')}/dashboard")
    assert drill.status_code == 200 and "只读" in drill.text
    assert client.get(f"/t/{world.id('A')}/members").status_code == 403
    token = token_of(drill)
    recompute = f"/t/{world.id('A')}/cycles/{seeded['A']}/recompute"
    assert client.post(recompute, data={"csrf_token": token}).status_code == 403
    assert client.get(f"/t/{world.id('B')}/dashboard").status_code == 404


def publish(app, world, cycle_id, phase: str = "publicity") -> None:
    """Move tenant A's cycle on to 结果公示 (or ``phase``), as the admin would."""
    with app.app_context(), use_scope(system_scope()):
        cycles.advance(cycles.get_cycle(world.ids["A"], cycle_id), phase)


def test_secretary_sees_the_branch_and_only_the_branch(app, client, world, seeded):
    login(client, "secretary_a")
    page = client.get(f"/t/{world.id('A')}/", follow_redirects=True)
    assert "本支部" in page.text and "机电系第一党支部" in page.text
    assert OVERDUE_ISSUE + "A" in page.text and "已逾期" in page.text
    assert "自查自评" in page.text  # the self-assessment sheet
    assert "机电系第二党支部" not in page.text
    mine = result_id(app, world, "A", "A-Z01")
    theirs = result_id(app, world, "A", "A-Z02")
    base = f"/t/{world.id('A')}/cycles/{seeded['A']}/results"
    # 考核评分: the results are not published yet
    assert "五星" not in page.text and "结果公示后可见" in page.text
    assert "考评进度" in page.text  # what is entered and what is missing instead
    assert client.get(f"{base}/{mine}").status_code == 404
    publish(app, world, seeded["A"])
    page = client.get(f"/t/{world.id('A')}/branch")
    assert "五星" in page.text and "结果公示后可见" not in page.text  # A-Z01's result
    assert client.get(f"{base}/{mine}").status_code == 200
    assert client.get(f"{base}/{theirs}").status_code == 404
    assert client.get(_sheet_url(world, seeded["A"], source="self")).status_code == 200
    assert client.get(_sheet_url(world, seeded["A"], "A-Z02", "self")).status_code == 403
    assert client.get(_sheet_url(world, seeded["A"])).status_code == 403  # the assessors'


def test_member_sees_no_stars_before_publication(client, world, seeded):
    login(client, "member_a")
    page = client.get(f"/t/{world.id('A')}/", follow_redirects=True)
    assert "我的考评" in page.text and "张三" in page.text
    # 2021 is still in 考核评分: only the final 2020 result shows
    assert "2020" in page.text and "三星" in page.text and "74.5" in page.text
    assert "四星" not in page.text and "民主测评" not in page.text
    assert "2021" in page.text and "进行中" in page.text  # in progress, nothing of it yet
    assert "None" not in page.text
    assert "本结果为历史导入,没有逐项得分记录" in page.text  # 2020 was loaded as history


@pytest.mark.parametrize("phase", ["publicity", "final"])
def test_member_sees_own_stars_over_the_years_once_published(app, client, world, seeded, phase):
    publish(app, world, seeded["A"], phase)
    login(client, "member_a")
    page = client.get(f"/t/{world.id('A')}/", follow_redirects=True)
    assert "我的考评" in page.text and "张三" in page.text
    assert "2021" in page.text and "民主测评" in page.text
    assert "四星" in page.text and "超出名额" in page.text  # the 30 % quota, explained
    assert "2020" in page.text and "三星" in page.text and "74.5" in page.text
    assert "李四" not in page.text
    assert_nothing_of_b(page.text)


def test_ledger_highlights_overdue_items(client, world, seeded):
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/ledger")
    assert OVERDUE_ISSUE + "A" in page.text and 'class="overdue"' in page.text
    assert OVERDUE_ISSUE + "B" not in page.text


def test_english_is_one_switch_away(client, world, seeded):
    login(client, "admin_a")
    client.get("/lang/en?next=/")
    page = client.get(f"/t/{world.id('A')}/dashboard")
    assert "Dashboard" in page.text and "Log out" in page.text
    assert "工作台" not in page.text
    client.get("/lang/zh")
    assert "工作台" in client.get(f"/t/{world.id('A')}/dashboard").text


def test_roster_import_previews_bad_rows_then_commits(client, world, seeded):
    from zhibu.members.roster import write_roster

    login(client, "admin_a")
    url = f"/t/{world.id('A')}/members/import"
    token = token_of(client.get(url))
    bad = write_roster([{"name": "赵六", "branch": "不存在的党支部"}])
    sent = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(bad), "r.xlsx")})
    preview = client.get(sent.location)
    assert preview.status_code == 200 and 'class="kind-error"' in preview.text
    assert "不存在的党支部" in preview.text and "确认导入" not in preview.text
    good = write_roster([{"name": "赵六", "branch": "机电系第二党支部"}])
    sent = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(good), "好.xlsx")})
    preview = client.get(sent.location)
    assert "确认导入" in preview.text and "新增 1" in preview.text
    done = client.post(f"{sent.location}/commit", data={"csrf_token": token})
    page = client.get(done.location)
    assert "已导入:新增 1 人" in page.text and "好.xlsx" in page.text  # and in the history
    roster = client.get(f"/t/{world.id('A')}/members")
    assert "赵六" in roster.text and "王五" not in roster.text
    export = client.get(f"/t/{world.id('A')}/members/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def page_routes(app) -> list[tuple[str, str]]:
    """(rule, method) of every page under a tenant, from the URL map."""
    return [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/t/<uuid:tenant_id>")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def fill_page(rule: str, values: dict) -> str:
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
        lambda m: str(values.get(m.group(2), "00000000-0000-4000-8000-000000000000")),
        rule,
    )


def test_every_page_refuses_another_tenant_and_overseers_never_write(app, client, world, seeded):
    from test_isolation import tenant_a_state

    values = {
        "tenant_id": world.id("A"),
        "cycle_id": seeded["A"],
        "result_id": result_id(app, world, "A", "A-Z01"),
        "subject_id": world.id("A-Z01"),
        "org_id": world.id("A-Z01"),
        "kind": "org",
        "source": "assessment_team",
    }
    routes = page_routes(app)
    assert len(routes) >= 25 and {m for _, m in routes} == {"GET", "POST"}
    before = tenant_a_state(app, world)
    login(client, "admin_b")
    token = token_of(client.get("/"))
    for rule, method in routes:
        response = client.open(fill_page(rule, values), method=method, data={"csrf_token": token})
        assert response.status_code == 404, (rule, method, response.status_code)
        assert "甲学院" not in response.text and "张三" not in response.text
    client.post("/logout", data={"csrf_token": token})
    login(client, "overseer_c")
    token = token_of(client.get("/"))
    reads = 0
    for rule, method in routes:
        response = client.open(fill_page(rule, values), method=method, data={"csrf_token": token})
        if method == "POST":
            assert response.status_code == 403, (rule, response.status_code)
        else:
            assert response.status_code in {200, 302, 403, 404}, (rule, response.status_code)
            reads += response.status_code == 200
            assert "13912345678" not in response.text  # no member's personal data
    assert reads >= 6
    assert tenant_a_state(app, world) == before


def test_an_imported_historical_result_says_what_it_is(app, client, world, seeded):
    """The 2020 cycle's result was imported (a level and a total): its page says it is the
    final result of a finished cycle, its 类别 is named, and neither page invents per-item
    lines; the 反馈单 has a way back (not printed)."""
    with app.app_context(), use_scope(system_scope()):
        cycle_id, result_id = db.session.execute(
            select(EvaluationResult.cycle_id, EvaluationResult.id).where(
                EvaluationResult.subject_id == world.ids["A-M1"],
                EvaluationResult.cycle_id.not_in([seeded["A"]]),
            )
        ).one()
    login(client, "member_a")
    base = f"/t/{world.id('A')}/cycles/{cycle_id}/results/{result_id}"
    page = client.get(base)
    assert page.status_code == 200
    assert "本结果尚未发布" not in page.text and "历史导入的确定结果" in page.text
    assert "没有逐项得分记录" in page.text and "首次计算" not in page.text
    assert "<p>—</p>" not in page.text and "党员" in page.text  # the member track's title
    sheet = client.get(f"{base}/feedback")
    assert "各项指标均未失分" not in sheet.text and "没有逐项得分记录" in sheet.text
    assert f'class="noprint"><a href="{base}"' in sheet.text


def test_a_history_results_list_names_each_results_track_by_its_kind(app, client, world):
    """Levels loaded as history name no track: the results list's 类别 is the track of the
    subject's kind (a branch's, a member's), as the result's own page says."""
    with app.app_context(), use_scope(system_scope()):
        a = db.session.get(Tenant, world.ids["A"])
        history = cycles.open_cycle(a, "akesu_college", "2019")
        compute.store_history(
            history,
            [
                {"subject": ("member", world.ids["A-M1"]), "stars": 3, "total": 74.5},
                {"subject": ("org", world.ids["A-Z01"]), "stars": 4, "total": 88.0},
            ],
        )
        definition, _settings, _version = compute.definition_for(history)
        unit = db.session.get(OrgUnit, (world.ids["A"], world.ids["A-Z01"]))
        member = db.session.get(Member, (world.ids["A"], world.ids["A-M1"]))
        expected = {
            unit.name: definition.track_of_kind(unit.kind).title,
            member.name: definition.track_of_kind("member").title,
        }
        db.session.commit()
        cycle_id = history.id
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}/results").text
    rows = re.findall(r"<tr data-code=.*?</tr>", page, re.S)
    for name, title in expected.items():
        (row,) = [r for r in rows if f">{name}</a>" in r]
        assert f'data-label="类别">{title}</td>' in row, (name, row)
    assert len(set(expected.values())) == 2


def test_sheets_of_a_closed_phase_are_listed_closed_and_open_read_only(app, client, world, seeded):
    """In 考核评分 the assessor's list offers 打分; once the cycle is in 审核评定 every sheet
    is listed 已截止 with a 查看 link, and the sheet says it is read-only (no autosave);
    the secretary's 本支部 marks the closed sources too."""
    login(client, "assessor_a")
    listing = f"/t/{world.id('A')}/sheets?cycle={seeded['A']}"
    page = client.get(listing)
    assert f'href="{_sheet_url(world, seeded["A"])}">打分</a>' in page.text
    mine = client.post(
        _sheet_url(world, seeded["A"]),
        data={"d-A2": "2", "r-A2": "学习记录不全"},
        headers={"X-CSRFToken": token_of(page), "Accept": "application/json"},
    )
    assert mine.status_code == 200
    listed = client.get(listing).text  # the filled one says so; the others still 打分
    assert f'已填</span> · <a href="{_sheet_url(world, seeded["A"])}">修改</a>' in listed
    assert f'href="{_sheet_url(world, seeded["A"], code="A-Z02")}">打分</a>' in listed
    publish(app, world, seeded["A"], "review")
    page = client.get(listing)
    assert ">打分</a>" not in page.text and "已截止" in page.text
    assert "民主测评(已截止,查看)" in page.text  # the totals' links too
    assert f'href="{_sheet_url(world, seeded["A"])}">查看</a>' in page.text
    # the sheets the assessor never filled say so, with nothing to open
    assert "您未填写" in page.text and "查看他人评分" not in page.text
    assert f'href="{_sheet_url(world, seeded["A"], code="A-Z02")}"' not in page.text
    sheet = client.get(_sheet_url(world, seeded["A"]))
    assert "自动保存" not in sheet.text and "本表只读" in sheet.text
    assert ">保存</button>" not in sheet.text and 'value="学习记录不全"' in sheet.text
    assert "请管理员在周期页面重新开放录入" in sheet.text
    # the other rater's sheet of the branch is named, not opened, for an assessor
    assert "本表的其他评分人(1 份)" in sheet.text and "?rater=" not in sheet.text
    assert client.get(_sheet_url(world, seeded["A"]) + "?rater=组长").status_code == 403
    # a sheet the assessor never filled is not shown as a blank sheet totalling 100
    blank = client.get(_sheet_url(world, seeded["A"], code="A-Z02"))
    assert "您没有填写这份评分表,本阶段已截止。如需补录" in blank.text
    assert 'id="sheet-total"' not in blank.text
    login(client, "secretary_a")
    branch = client.get(f"/t/{world.id('A')}/branch?cycle={seeded['A']}")
    assert "已截止" in branch.text and "已截止,查看" in branch.text


def test_the_sheet_list_filters_by_name_and_unit_and_lists_at_most_a_page(
    client, world, seeded, monkeypatch
):
    """评分表 of a whole tenant: filtered by name (or code) and by unit (its part of the
    tree), the filter kept; past the cap, the first subjects and a note to filter."""
    from zhibu.web import sheets as page

    login(client, "admin_a")
    url = f"/t/{world.id('A')}/sheets"
    whole = client.get(url, query_string={"cycle": seeded["A"]}).text
    assert "机电系第一党支部" in whole and "机电系第二党支部" in whole and "张三" in whole
    named = client.get(url, query_string={"cycle": seeded["A"], "name": "第二"}).text
    listed = named.split("姓名、组织名称或编号", 1)[1]  # the tables, not the filter
    assert "机电系第二党支部" in listed and "机电系第一党支部" not in listed
    assert "张三" not in listed and 'value="第二"' in named
    unit = client.get(url, query_string={"cycle": seeded["A"], "unit": world.id("A-Z01")}).text
    listed = unit.split("姓名、组织名称或编号", 1)[1]
    assert "机电系第一党支部" in listed and "机电系第二党支部" not in listed
    assert f'<option value="{world.id("A-Z01")}" selected>' in unit
    nothing = client.get(url, query_string={"cycle": seeded["A"], "name": "无此人"}).text
    assert "没有符合筛选条件的对象。" in nothing
    monkeypatch.setattr(page, "SHOWN", 1)
    capped = client.get(url, query_string={"cycle": seeded["A"]}).text
    assert "只列出前 1 个考评对象" in capped
    bodies = [part.split("</tbody>", 1)[0] for part in capped.split("<tbody>")[1:]]
    assert bodies and all(body.count("<tr><td>") == 1 for body in bodies)


def test_the_admin_opens_each_raters_sheet_read_only(app, client, world, seeded):
    """A tenant administrator's 查看 of a branch's sheet lists every rater's sheet with its
    total; each opens read-only as its rater filled it (a rater with no sheet: 404)."""
    publish(app, world, seeded["A"], "review")
    login(client, "admin_a")
    url = _sheet_url(world, seeded["A"])
    own = client.get(url)
    assert "您没有填写这份评分表,本阶段已截止。如需补录" in own.text
    assert "本表的其他评分人(1 份)" in own.text and "合计 95" in own.text
    assert f'href="{url}?rater=%E7%BB%84%E9%95%BF"' in own.text
    theirs = client.get(url + "?rater=组长")
    assert theirs.status_code == 200
    assert "这是 组长 填写的评分表,只读。" in theirs.text
    assert 'value="支部台账缺页"' in theirs.text and ">保存</button>" not in theirs.text
    assert "disabled" in theirs.text
    assert client.get(url + "?rater=nobody").status_code == 404


def test_a_member_sees_their_branch_and_the_units_above_it_on_the_org_tree(client, world):
    login(client, "member_a")
    page = client.get(f"/t/{world.id('A')}/orgs")
    assert page.status_code == 200
    assert "还没有组织" not in page.text
    for name in ("甲学院党委", "机电系党总支", "机电系第一党支部"):
        assert name in page.text
    assert "机电系第二党支部" not in page.text and "离退休党支部" not in page.text
    assert "改名" not in page.text and "添加组织" not in page.text  # read-only


def test_the_tree_filters_by_the_kinds_it_holds_and_adds_any(client, world):
    """The 类型 filter offers the kinds of unit the tenant's tree holds (a college has no
    村 to look for); the form that adds a unit offers every kind."""
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/orgs").text
    search, add = page.split("添加组织", 1) if "添加组织" in page else (page, "")
    assert re.search(r'<option value="branch"[^>]*>', search)
    assert not re.search(r'<option value="village"', search)
    assert re.search(r'<option value="village"', add)
