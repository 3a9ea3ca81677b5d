"""Score entry pages beyond the paper sheet, on both backends: the branch's month on one
sheet with the real dujiangyan_quantified scheme (the plugin's month service: who was in
the branch that month, all rows or none, each bad row named), and the totals of the sources
without a rubric (民主测评, 上级评价) per subject."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select
from test_dujiangyan_months import city  # noqa: F401  (the fixture)
from test_web_pages import PASSWORD, login, seeded, token_of  # noqa: F401
from world import unit_under

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import Cycle, ScoreItem, ScoreSheet, User
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def djy(app, city):  # noqa: F811
    """The plugin tests' city (V1: 张一 M01, 王二 M02, 李三 M03 joined 2021-04-10, 赵四 M04 left
    2021-08-15, 钱五 M05 moved to C1 on 2021-06-15; C1: 孙六) with passwords to log in."""
    with app.app_context(), use_scope(system_scope()):
        for name in ("djy-admin", "djy-secretary", "cd-overseer"):
            user = db.session.scalar(select(User).where(User.username == name))
            user.password_hash = hash_password(PASSWORD)
        db.session.commit()
    return city


def month_url(town, unit="V1", period="2021-03") -> str:
    return (
        f"/t/{town.tenant_id}/cycles/{town.ids['cycle']}/month/{town.ids[unit]}/monthly"
        f"?period={period}"
    )


def stored_months(app, town) -> dict:
    """(archive code, month) → (score, [(indicator, points, reason)]) of every month."""
    codes = {v: k for k, v in town.ids.items()}
    found = {}
    with app.app_context(), use_scope(system_scope()):
        for sheet in db.session.scalars(
            select(ScoreSheet).where(ScoreSheet.tenant_id == town.tenant_id)
        ):
            items = db.session.scalars(
                select(ScoreItem).where(
                    ScoreItem.tenant_id == town.tenant_id, ScoreItem.sheet_id == sheet.id
                )
            )
            found[codes[sheet.subject_id], sheet.period] = (
                sheet.score,
                sorted((i.indicator, i.points, i.reason) for i in items),
            )
    return found


def line_of(page_text: str, town, code: str) -> str:
    """The form's line number (``s-N``) of a member's first row."""
    return re.search(rf'name="s-(\d+)" value="{town.ids[code]}"', page_text).group(1)


def test_the_sheet_list_leads_an_administrator_to_each_branchs_month(client, djy):
    """The 评分表 list has the month sheets too: one row per unit with members of its own
    (the committee above them has none), filtered like the rest; a secretary sees their
    own branch only."""
    login(client, "djy-admin")
    base = f"/t/{djy.tenant_id}/sheets?cycle={djy.ids['cycle']}"
    table = re.search(r'<table id="month-units">.*?</table>', client.get(base).text, re.S)
    links = re.findall(r'/month/([0-9a-f-]+)/monthly"', table.group(0))
    assert links == [str(djy.ids[code]) for code in ("C1", "O1", "V1")]  # by code
    assert client.get(month_url(djy, "O1")).status_code == 200  # each link opens
    named = client.get(f"{base}&name=青城").text
    assert re.findall(r"/month/([0-9a-f-]+)/monthly", named) == [str(djy.ids["V1"])]
    client.post("/logout")
    login(client, "djy-secretary")
    own = client.get(base).text
    assert re.findall(r"/month/([0-9a-f-]+)/monthly", own) == [str(djy.ids["V1"])]


def test_the_month_lists_who_was_in_the_branch_that_month(client, djy):
    login(client, "djy-secretary")
    home = client.get(f"/t/{djy.tenant_id}/", follow_redirects=True)
    assert "每月记实考评" in home.text and f"/month/{djy.ids['V1']}/monthly" in home.text
    march = client.get(month_url(djy))
    assert march.status_code == 200
    for name in ("张一", "王二", "赵四", "钱五"):
        assert name in march.text, name
    assert "李三" not in march.text  # joined in April
    assert "孙六" not in march.text  # another branch
    assert "P01 坚定理想信念" in march.text and "F13" in march.text  # the 50 lines
    june = client.get(month_url(djy, period="2021-06"))
    assert "李三" in june.text and "钱五" not in june.text  # moved to C1 in June
    september = client.get(month_url(djy, period="2021-09"))
    assert "赵四" not in september.text  # left in August


def test_a_secretary_saves_the_month_and_bad_rows_save_nothing(app, client, djy):
    login(client, "djy-secretary")
    page = client.get(month_url(djy))
    token = token_of(page)
    one = line_of(page.text, djy, "M01")
    form = {
        "csrf_token": token,
        f"s-{one}": str(djy.ids["M01"]),
        f"item-{one}": "P05",
        f"pts-{one}": "2",
        f"why-{one}": "未参加支部集中学习",
        f"score-{djy.ids['M02']}": "95",
    }
    saved = client.post(month_url(djy), data=form)
    assert saved.status_code == 302, saved.text
    months = stored_months(app, djy)
    assert months == {
        ("M01", "2021-03"): (None, [("P05", 2.0, "未参加支部集中学习")]),
        ("M02", "2021-03"): (95.0, []),
    }  # 赵四 and 钱五 entered nothing: not recorded this month
    again = client.get(month_url(djy))
    assert 'value="未参加支部集中学习"' in again.text and 'value="95"' in again.text
    with app.app_context():  # 张一's month as counted from the one deduction, beside the box
        from dujiangyan_quantified import months as djy_months

        with use_scope(system_scope()):
            cycle = db.session.get(Cycle, (djy.tenant_id, djy.ids["cycle"]))
            rubric = djy_months.member_rubric(cycle)
    counted = 100 * (rubric.max_points - 2) / rubric.max_points
    assert f"按扣分计 {counted:g} 分" in again.text and again.text.count("按扣分计") == 1
    assert '<span class="again">张一 <small>(再加一项扣分)' in again.text  # on a phone

    bad = form | {f"why-{one}": "", f"score-{djy.ids['M02']}": "120"}
    refused = client.post(month_url(djy), data=bad)
    assert refused.status_code == 422
    problems = re.search(r'class="errors".*?</div>', refused.text, re.S).group(0)
    assert "张一:P05 扣分须注明原因" in problems
    assert "王二:月度得分应在 0–100 之间" in problems
    assert 'value="120"' in refused.text  # what was typed is kept
    assert stored_months(app, djy) == months  # nothing saved

    not_a_number = form | {f"pts-{one}": "两分"}
    refused = client.post(month_url(djy), data=not_a_number)
    assert refused.status_code == 422 and "张一:扣分“两分”不是数字" in refused.text
    assert stored_months(app, djy) == months


def test_a_member_not_in_the_branch_that_month_is_refused(app, client, djy):
    login(client, "djy-secretary")
    token = token_of(client.get(month_url(djy)))
    form = {"csrf_token": token, f"score-{djy.ids['M03']}": "90"}  # 李三 joined in April
    refused = client.post(month_url(djy), data=form)
    assert refused.status_code == 422
    assert "李三(M03)2021-03 不在青城村党支部" in refused.text
    assert stored_months(app, djy) == {}
    accepted = client.post(month_url(djy, period="2021-04"), data=form)
    assert accepted.status_code == 302
    assert stored_months(app, djy) == {("M03", "2021-04"): (90.0, [])}


def test_another_branch_and_other_roles_are_refused(app, client, djy):
    login(client, "djy-secretary")
    token = token_of(client.get(month_url(djy)))
    assert client.get(month_url(djy, "C1")).status_code == 403
    form = {"csrf_token": token, f"score-{djy.ids['M06']}": "80"}
    assert client.post(month_url(djy, "C1"), data=form).status_code == 403
    assert client.post(month_url(djy), data=form | {"csrf_token": ""}).status_code == 400
    assert stored_months(app, djy) == {}
    client.post("/logout", data={"csrf_token": token})
    login(client, "djy-admin")
    assert "孙六" in client.get(month_url(djy, "C1")).text  # the admin reaches every branch
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})
    login(client, "cd-overseer")
    assert client.get(month_url(djy)).status_code == 403  # overseers do not score


def totals_url(world, cycle, track="branch", source="democratic") -> str:
    return f"/t/{world.id('A')}/cycles/{cycle}/totals/{track}/{source}"


def stored_totals(app, world, source="democratic") -> dict:
    codes = {v: k for k, v in world.ids.items()}
    with app.app_context(), use_scope(system_scope()):
        return {
            codes[s.subject_id]: s.score
            for s in db.session.scalars(
                select(ScoreSheet).where(
                    ScoreSheet.tenant_id == world.ids["A"],
                    ScoreSheet.source == source,
                    ScoreSheet.rater == "",
                    ScoreSheet.period == "",
                )
            )
            if s.subject_id in codes and codes[s.subject_id].startswith("A-")
        }


def test_totals_are_entered_per_subject(app, client, world, seeded):  # noqa: F811
    cycle = seeded["A"]
    login(client, "assessor_a")
    index = client.get(f"/t/{world.id('A')}/sheets")
    assert "汇总得分录入" in index.text and totals_url(world, cycle) in index.text
    assert totals_url(world, cycle, "branch", "superior") in index.text
    assert totals_url(world, cycle, "member", "democratic") in index.text
    page = client.get(totals_url(world, cycle))
    assert page.status_code == 200
    assert "机电系第一党支部" in page.text and "机电系第二党支部" in page.text
    assert "乙公司" not in page.text and "张三" not in page.text  # branches only
    assert f'name="score-{world.id("A-Z01")}" value="95"' in page.text  # stored
    before = stored_totals(app, world)
    token = token_of(page)
    form = {"csrf_token": token, f"score-{world.id('A-Z02')}": "82.5"}
    saved = client.post(totals_url(world, cycle), data=form)
    assert saved.status_code == 302
    assert stored_totals(app, world) == before | {"A-Z02": 82.5}

    both = {"csrf_token": token, f"score-{world.id('A-Z01')}": "150"}  # out of range
    both[f"score-{world.id('A-Z02')}"] = "60"  # fine, but nothing is saved
    refused = client.post(totals_url(world, cycle), data=both)
    assert refused.status_code == 400 and "A-Z01" in refused.text and "150" in refused.text
    typo = {"csrf_token": token, f"score-{world.id('A-Z02')}": "八十"}
    typo = client.post(totals_url(world, cycle), data=typo)
    assert typo.status_code == 400 and "机电系第二党支部" in typo.text
    assert stored_totals(app, world) == before | {"A-Z02": 82.5}

    members = client.get(totals_url(world, cycle, "member"))
    assert "张三" in members.text and "李四" in members.text and "王五" not in members.text
    assert client.get(totals_url(world, cycle, "branch", "assessment_team")).status_code == 404


def test_totals_are_not_for_secretaries_members_or_overseers(client, world, seeded):  # noqa: F811
    login(client, "secretary_a")
    assert client.get(totals_url(world, seeded["A"])).status_code == 403
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})
    login(client, "member_a")
    assert client.get(totals_url(world, seeded["A"])).status_code == 403
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})
    login(client, "overseer_c")
    token = token_of(client.get("/"))
    url = totals_url(world, seeded["A"])
    assert client.post(url, data={"csrf_token": token}).status_code == 403


@pytest.fixture
def tiny_cycle(app, world):
    """Tenant A runs the tests' tiny scheme: members get a plain monthly score."""
    from tiny_scheme import TINY

    from zhibu.app import plugin_registry
    from zhibu.evaluations import cycles
    from zhibu.models import Tenant, TenantScheme

    plugin_registry(app).schemes["tiny"] = TINY
    with app.app_context(), use_scope(system_scope()):
        db.session.add(TenantScheme(tenant_id=world.ids["A"], scheme_key="tiny"))
        db.session.commit()
        return cycles.open_cycle(db.session.get(Tenant, world.ids["A"]), "tiny", "2021").id


def test_a_generic_monthly_source_takes_one_score_per_member(app, client, world, tiny_cycle):
    login(client, "secretary_a")
    url = f"/t/{world.id('A')}/cycles/{tiny_cycle}/month/{world.id('A-Z01')}/monthly"
    page = client.get(f"{url}?period=2021-05")
    assert page.status_code == 200 and "张三" in page.text and "李四" not in page.text
    token, field = token_of(page), f"score-{world.id('A-M1')}"
    refused = client.post(url, data={"csrf_token": token, "period": "2021-05", field: "150"})
    assert refused.status_code == 422 and "A-M1" in refused.text and "150" in refused.text
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(ScoreSheet).where(ScoreSheet.source == "monthly")) is None
    saved = client.post(url, data={"csrf_token": token, "period": "2021-05", field: "88"})
    assert saved.status_code == 302
    with app.app_context(), use_scope(system_scope()):
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.source == "monthly"))
        assert (sheet.subject_id, sheet.period, sheet.score) == (world.ids["A-M1"], "2021-05", 88)
    other = f"/t/{world.id('A')}/cycles/{tiny_cycle}/month/{world.id('A-Z02')}/monthly"
    assert client.get(other).status_code == 403
    elsewhere = {"csrf_token": token, "period": "2021-05", f"score-{world.id('A-M2')}": "70"}
    assert client.post(url, data=elsewhere).status_code == 403  # 李四 is not in A-Z01


def test_unit_choosers_list_siblings_by_code_whatever_their_ids(app, client, world, seeded):  # noqa: F811
    """新建整改事项 and the totals page offer the units in tree order, siblings by code
    (as the users' pages do), not by path: a path is made of ids, so A-Z04 (id 0…0) would
    come before A-Z03 (id 0…2)."""
    from zhibu.models import OrgUnit

    with app.app_context(), use_scope(system_scope()):
        parent = db.session.get(OrgUnit, (world.ids["A"], world.ids["A-ZZ1"]))
        for code, last in (("A-Z04", 0), ("A-Z03", 2)):  # made in this order, ids ascending
            world.ids[code] = uuid.UUID(int=last)
            unit_under(parent, world.ids["A"], code, f"机电系党支部{code}", org_id=world.ids[code])
        db.session.commit()
    order = ["A-DW", "A-Z09", "A-ZZ1", "A-Z01", "A-Z02", "A-Z03", "A-Z04"]
    units = {world.id(code): code for code in order}

    def offered(text: str) -> list[str]:
        values = re.findall(r'<option value="([0-9a-f-]{36})"', text)
        return [units[v] for v in values if v in units]

    login(client, "admin_a")
    assert offered(client.get(f"/t/{world.id('A')}/ledger/new").text) == order * 2  # two forms
    page = client.get(totals_url(world, seeded["A"])).text
    assert offered(page) == order
    rows = [units[v] for v in re.findall(r'name="score-([0-9a-f-]{36})"', page) if v in units]
    assert rows == ["A-Z01", "A-Z02", "A-Z03", "A-Z04"]  # the table too, less the retired


def test_totals_list_the_rated_units_and_members_by_unit(app, client, world, seeded):  # noqa: F811
    """A retired branch (离退休, listed but not rated) takes no total; the members come
    unit by unit in the units' order of codes (not of their random ids), then by archive
    code."""
    from zhibu.models import Member, OrgUnit

    with app.app_context(), use_scope(system_scope()):
        parent = db.session.get(OrgUnit, (world.ids["A"], world.ids["A-ZZ1"]))
        for code, last in (("A-Z04", 0), ("A-Z03", 2)):  # ids ascending against the codes
            world.ids[code] = uuid.UUID(int=last)
            unit_under(parent, world.ids["A"], code, f"机电系党支部{code}", org_id=world.ids[code])
        db.session.flush()
        for code, unit in (("A-M4", "A-Z04"), ("A-M0", "A-Z03"), ("A-M3", "A-Z03")):
            world.ids[code] = uuid.uuid4()
            db.session.add(
                Member(
                    id=world.ids[code],
                    tenant_id=world.ids["A"],
                    org_id=world.ids[unit],
                    name=f"党员{code}",
                    archive_code=code,
                )
            )
        db.session.commit()
    login(client, "assessor_a")
    branches = client.get(totals_url(world, seeded["A"])).text
    assert "离退休党支部" in branches  # offered as a unit to choose
    assert f'name="score-{world.id("A-Z09")}"' not in branches  # but takes no total
    page = client.get(totals_url(world, seeded["A"], "member")).text
    codes = {world.id(c): c for c in ("A-M1", "A-M2", "A-M0", "A-M3", "A-M4")}
    rows = [codes[v] for v in re.findall(r'name="score-([0-9a-f-]{36})"', page) if v in codes]
    assert rows == ["A-M1", "A-M2", "A-M0", "A-M3", "A-M4"]


def test_a_totals_save_counts_and_writes_what_changed(app, client, world, seeded):  # noqa: F811
    """The page sends every stored score back: only the new and changed ones are saved
    and counted; nothing changed says so; an emptied score is kept, and the page says so."""
    cycle = seeded["A"]
    login(client, "assessor_a")
    page = client.get(totals_url(world, cycle))
    shown = dict(re.findall(r'name="(score-[0-9a-f-]{36})" value="([^"]*)"', page.text))
    one, two = f"score-{world.id('A-Z01')}", f"score-{world.id('A-Z02')}"
    assert shown[one] == "95"
    form = shown | {"csrf_token": token_of(page)}

    def save(changes: dict) -> str:
        saved = client.post(totals_url(world, cycle), data=form | changes)
        assert saved.status_code == 302
        return " ".join(
            re.findall(r'class="flash" role="status">([^<]*)<', client.get(saved.location).text)
        )

    def sheet_ids() -> dict:
        with app.app_context(), use_scope(system_scope()):
            return {
                s.subject_id: s.id
                for s in db.session.scalars(
                    select(ScoreSheet).where(
                        ScoreSheet.tenant_id == world.ids["A"], ScoreSheet.source == "democratic"
                    )
                )
            }

    before = sheet_ids()
    assert save({}) == "得分没有改动,未保存。"
    assert sheet_ids() == before  # nothing written again
    told = save({two: "82.5"})  # new (none stored) or changed: one of the page's rows
    assert told == (
        "已保存 1 个得分(新填 0 个,修改 1 个)。"
        if shown.get(two)
        else "已保存 1 个得分(新填 1 个,修改 0 个)。"
    )
    after = sheet_ids()
    assert after[world.ids["A-Z01"]] == before[world.ids["A-Z01"]]  # not saved again
    form[two] = "82.5"
    assert save({one: "90"}) == "已保存 1 个得分(新填 0 个,修改 1 个)。"
    assert save({one: ""}) == (
        "得分没有改动,未保存。 1 个已保存的得分被清空:留空的不改动,原得分仍保留。"
    )
    assert stored_totals(app, world)["A-Z01"] == 90


def test_a_reopened_branch_takes_its_month_and_no_other_branch_does(app, client, djy):
    """After 自评 the months are closed; the administrator reopens 青城村 (V1) alone: its
    month page is open again and saves (钱五, who moved to C1 in June, still on March's
    sheet), the list says 按月录入 for V1 only, and C1's month stays closed, page and API
    alike; closed again, V1's month refuses too."""
    from zhibu.evaluations import cycles, phases

    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(djy.tenant_id, djy.ids["cycle"])
        cycles.advance(cycle, "assessment")
        phases.reopen(cycle, subject_id=djy.ids["V1"], reason="补录三月", actor="admin")
    login(client, "djy-admin")
    opened = client.get(month_url(djy))
    page = opened.text
    assert "保存整月" in page and "本阶段不再接受" not in page
    token = token_of(opened)
    form = {"csrf_token": token, f"score-{djy.ids['M01']}": "91", f"score-{djy.ids['M05']}": "88"}
    assert client.post(month_url(djy), data=form).status_code in (200, 302, 303)
    assert stored_months(app, djy)[("M05", "2021-03")][0] == 88
    listed = client.get(f"/t/{djy.tenant_id}/sheets?cycle={djy.ids['cycle']}").text
    rows = re.findall(
        r"<tr><td>(.*?)</tr>",
        re.search(r'id="month-units">.*?</table>', listed, re.S).group(0),
        re.S,
    )
    taking = [row for row in rows if "按月录入" in row]
    assert len(taking) == 1 and "V1" in taking[0]
    other = client.get(month_url(djy, "C1", "2021-06")).text
    assert "保存整月" not in other and "本阶段不再接受" in other
    closed = {"csrf_token": token, f"score-{djy.ids['M06']}": "80"}
    assert client.post(month_url(djy, "C1", "2021-06"), data=closed).status_code == 409
    rows_api = [{"archive_code": "M06", "score": 80}]
    api = client.put(
        djy.url("C1", month="2021-06"), json={"rows": rows_api}, headers=djy.headers["admin"]
    )
    assert api.status_code == 409
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(djy.tenant_id, djy.ids["cycle"])
        phases.close(cycle, subject_id=djy.ids["V1"], reason="补录完毕", actor="admin")
    assert client.post(month_url(djy), data=form).status_code == 409


def test_the_branch_page_names_who_has_fewer_months(app, client, djy):
    """录入进度 of a monthly source: everyone with a month in is not 已齐全 when some have
    fewer months than others; they are named with their count."""
    login(client, "djy-secretary")
    for period, codes in (("2021-03", ("M01", "M02")), ("2021-04", ("M01",))):
        page = client.get(month_url(djy, period=period))
        form = {"csrf_token": token_of(page)} | {f"score-{djy.ids[c]}": "90" for c in codes}
        assert client.post(month_url(djy, period=period), data=form).status_code == 302
    progress = client.get(f"/t/{djy.tenant_id}/branch").text
    assert "李三;月份较少的:王二(1 个月)" in progress  # 李三: none yet
