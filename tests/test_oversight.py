"""Issue 23: the county's and the city's 监督总览.

County C oversees tenant A (tests/world.py) and tenants made in bulk with a 2020 and a 2021
cycle of known results (zhibu.testing.overseen); city D oversees C. The overview picks
each tenant's latest period with results, or the one chosen; its measures are checked
against the results counted here independently; it sorts on the server; the number of
statements it takes does not grow with the number of tenants; a city drills to a county's
tenants, read-only; the exports and the township ranking notice print what the page shows.
On both backends.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from world import _HASH, PASSWORD

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import (
    EvaluationResult,
    OrgUnit,
    OversightLink,
    ResultSet,
    RoleAssignment,
    Tenant,
    TenantScheme,
    User,
)
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing.overseen import level, make_overseen


def login(client, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302


@pytest.fixture
def county(app, world):
    """C with three tenants of known results besides A; its overseer logged in."""
    with app.app_context(), use_scope(system_scope()):
        made = make_overseen(db.session.get(Tenant, world.ids["C"]), 3, branches=3, members=5)
    client = app.test_client()
    login(client, "overseer_c")
    return world, made, client


def rows_of(page) -> list[str]:
    return re.findall(r'<tr data-tenant="([^"]+)"', page.text)


def test_the_overview_picks_each_tenants_latest_period_with_results(county):
    world, _made, client = county
    page = client.get(f"/t/{world.ids['C']}/oversight")
    assert page.status_code == 200
    assert rows_of(page) == ["A", "T0000", "T0001", "T0002"]
    # the made tenants' latest is 2021, with 2020 behind it in the selector; A has none
    assert re.search(r"<option value=\"2021\"\s*>2021年</option>", page.text)
    assert re.search(r"<option value=\"2020\"\s*>2020年</option>", page.text)
    assert page.text.count(">2021</a>") == 3
    assert page.text.count("本期没有考评周期") == 1
    # 8 subjects each: 3 branches (5, 4, 3 stars) and 5 members (2, 1, 3, 4, 3)
    # none of them the tenth, so every source is there: 8/8
    assert page.text.count("8/8") == 3
    older = client.get(f"/t/{world.ids['C']}/oversight?period=2020")
    assert older.text.count(">2020</a>") == 3
    bad = client.get(f"/t/{world.ids['C']}/oversight?period=20x1")
    assert bad.status_code == 422 and "2021Q3" in bad.text


def test_the_measures_are_the_results_counted(app, county):
    """Shares at the top and lowest level, weak, targets and items, for a made tenant,
    against the same results counted one by one here."""
    _world, made, _client = county
    with app.app_context(), use_scope(system_scope()):
        from zhibu.reports import overview

        first = overview.overview(made.tenant_ids, "2021")
        assert first.rows[0].measures.weak == 0
        rows = db.session.scalars(
            select(EvaluationResult)
            .where(EvaluationResult.cycle_id == first.rows[0].cycle.id)
            .order_by(EvaluationResult.subject_code)
        ).all()
        rows[3].flags = ["weak_lax"]  # 软弱涣散 (two stars)
        rows[4].grade = "unqualified"  # 不合格 (one star: the lowest too)
        db.session.commit()
        found = overview.overview(made.tenant_ids, "2021")
        rows = db.session.scalars(
            select(EvaluationResult)
            .join(ResultSet, ResultSet.id == EvaluationResult.result_set_id)
            .where(EvaluationResult.tenant_id == made.tenant_ids[0], ResultSet.current)
            .where(EvaluationResult.cycle_id == found.rows[0].cycle.id)
        ).all()
    m = found.rows[0].measures
    assert m.subjects == len(rows) == 8
    assert m.top == sum(r.stars == 5 for r in rows) == 1
    assert m.lowest == sum(r.stars == 1 for r in rows) == 1
    assert m.complete == sum("missing_source" not in r.flags for r in rows)
    assert m.weak == 2
    branches = [r for r in rows if r.track == "branch"]
    model = sum("model_branch" in r.titles for r in branches)
    (target,) = m.targets
    assert target["title"] == "样板党支部占比" and target["target"] == 0.7
    assert target["actual"] == pytest.approx(model / len(branches)) and not target["met"]
    assert (found.rows[0].open, found.rows[0].overdue, found.rows[0].signed_off) == (2, 1, 1)
    assert [year for year, _m in found.rows[0].trend] == ["2020", "2021"]
    assert [level(i) for i in range(8)].count(5) == 1


def test_progress_counts_whom_the_cycle_rates(app, county):
    """评分进度 is of the subjects the cycle rates, as the 工作台's 参评 counts them: a
    result still without a level because a source is missing (评分不全) is one of them and
    not complete; a vetoed one is rated and complete; a retired one is not rated."""
    world, made, client = county
    with app.app_context(), use_scope(system_scope()):
        from zhibu.reports import overview

        cycle_id = overview.overview(made.tenant_ids, "2021").rows[0].cycle.id
        rows = db.session.scalars(
            select(EvaluationResult)
            .where(EvaluationResult.cycle_id == cycle_id)
            .order_by(EvaluationResult.subject_code)
        ).all()
        rows[5].stars, rows[5].flags = None, ["missing_source"]
        rows[6].stars, rows[6].flags = None, ["vetoed"]
        rows[7].stars, rows[7].rated, rows[7].flags = None, False, ["retired"]
        db.session.commit()
        m = overview.overview(made.tenant_ids, "2021").rows[0].measures
    assert (m.complete, m.subjects) == (6, 7)
    assert m.progress == pytest.approx(6 / 7)
    page = client.get(f"/t/{world.ids['C']}/oversight?period=2021")
    assert page.text.count("6/7") == 1 and page.text.count("8/8") == 2
    # the small multiples of unpublished cycles say so rather than link to nothing
    assert "#unpublished" not in page.text and page.text.count("结果尚未公示") == 3


def test_the_table_sorts_on_the_server(app, county):
    world, made, client = county
    with app.app_context(), use_scope(system_scope()):
        # T0001's 2021 results: every subject at five stars
        set_id = db.session.scalar(
            select(ResultSet.id)
            .join(cycles.Cycle, cycles.Cycle.id == ResultSet.cycle_id)
            .where(ResultSet.tenant_id == made.tenant_ids[1], cycles.Cycle.period == "2021")
        )
        for r in db.session.scalars(
            select(EvaluationResult).where(EvaluationResult.result_set_id == set_id)
        ):
            r.stars = 5
        db.session.commit()
    base = f"/t/{world.ids['C']}/oversight"
    top_first = rows_of(client.get(f"{base}?sort=top&desc=1"))
    assert top_first[0] == "T0001"
    assert top_first[-1] == "A"  # no figure: last either way
    assert rows_of(client.get(f"{base}?sort=top"))[-2:] == ["T0001", "A"]
    assert rows_of(client.get(f"{base}?sort=nonsense")) == ["A", "T0000", "T0001", "T0002"]
    assert 'aria-sort="descending"' in client.get(f"{base}?sort=top&desc=1").text


@contextmanager
def counting(app):
    found = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        if "set_config" not in statement:  # the scope's one round trip is counted elsewhere
            found.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_statements_do_not_grow_with_the_tenants(app, county):
    world, _made, client = county
    url = f"/t/{world.ids['C']}/oversight"
    client.get(url)  # warm
    with counting(app) as few:
        assert client.get(url).status_code == 200
    with app.app_context(), use_scope(system_scope()):
        make_overseen(db.session.get(Tenant, world.ids["C"]), 6, prefix="U")
    client.get(url)
    with counting(app) as many:
        page = client.get(url)
    assert len(rows_of(page)) == 10
    assert len(many) == len(few) < 40, (len(few), len(many))
    # the movement against 2020 of every tenant with both years, in the same statements
    assert page.text.count("对比 2020") == 2 * 9  # its cell and its chart


@pytest.fixture
def city(app, county):
    """City D over county C; its overseer ``overseer_d``."""
    world, made, _client = county
    with app.app_context(), use_scope(system_scope()):
        d = Tenant(id=uuid.uuid4(), code="D", name="丁市委组织部", kind="city")
        db.session.add(d)
        db.session.flush()
        db.session.add(OversightLink(overseer_id=d.id, overseen_id=world.ids["C"]))
        user = User(username="overseer_d", password_hash=_HASH)
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleAssignment(tenant_id=d.id, user_id=user.id, role="overseer"))
        db.session.commit()
        d_id = d.id
    client = app.test_client()
    login(client, "overseer_d")
    return world, made, client, d_id


def test_a_city_sees_its_counties_and_drills_to_their_tenants_read_only(city):
    world, _made, client, d = city
    page = client.get(f"/t/{d}/oversight")
    assert rows_of(page) == ["C"] and "所辖 4 个单位" in page.text
    drill = client.get(f"/t/{d}/oversight?via={world.ids['C']}")
    assert rows_of(drill) == ["A", "T0000", "T0001", "T0002"]
    assert "丙县委组织部" in drill.text
    # B is no county of D's: refused
    assert client.get(f"/t/{d}/oversight?via={world.ids['B']}").status_code == 404
    assert client.get(f"/t/{d}/oversight?via=nonsense").status_code == 422
    # the county's tenant, read-only, without personal data
    results = client.get(f"/t/{world.ids['A']}/dashboard")
    assert results.status_code == 200 and "张三" not in results.text
    members = client.get(f"/api/v1/tenants/{world.ids['A']}/members/{world.ids['A-M1']}")
    assert members.status_code in (401, 403, 404)
    token = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', results.text).group(1)
    refused = client.post(
        f"/t/{world.ids['A']}/ledger/new",
        data={"csrf_token": token, "org_id": world.ids["A-Z01"], "issue": "市里看看"},
    )
    assert refused.status_code == 403
    # B, overseen by nobody of D's, stays hidden
    assert client.get(f"/t/{world.ids['B']}/dashboard").status_code == 404


def test_the_way_back_leads_to_the_overview_last_looked_at(city):
    """Inside a county's tenant, a city's 返回监督总览 leads back to the county it drilled
    into, in the year it looked at; a drill it may not make is not remembered."""
    world, _made, client, d = city
    back = f"/t/{d}/oversight?period=2021&amp;via={world.ids['C']}"
    assert client.get(f"/t/{d}/oversight?period=2021&via={world.ids['C']}").status_code == 200
    for page in ("dashboard", "ledger"):
        inside = client.get(f"/t/{world.ids['A']}/{page}").text
        assert f'href="{back}">返回监督总览' in inside
    assert client.get(f"/t/{d}/oversight?via={world.ids['B']}").status_code == 404
    assert f'href="{back}">返回监督总览' in client.get(f"/t/{world.ids['A']}/dashboard").text
    client.get(f"/t/{d}/oversight")
    assert f'href="/t/{d}/oversight">返回监督总览' in client.get(f"/t/{world.ids['A']}/ledger").text


def test_a_period_loaded_as_history_is_counted_like_a_computed_one(app, county):
    """A year's levels loaded as history (no sheets, no explanation) count in 评分进度 and
    the shares as computed results do: 2019 of a made tenant, its branches at known stars."""
    _world, made, _client = county
    with app.app_context(), use_scope(system_scope()):
        from zhibu.evaluations import compute
        from zhibu.reports import overview

        tenant = db.session.get(Tenant, made.tenant_ids[0])
        units = db.session.scalars(
            select(OrgUnit).where(OrgUnit.tenant_id == tenant.id).order_by(OrgUnit.code)
        ).all()
        stars = [5, 3, 1][: len(units)]
        history = cycles.open_cycle(tenant, "akesu_college", "2019")
        compute.store_history(
            history,
            [{"subject": ("org", u.id), "stars": s} for u, s in zip(units, stars, strict=False)],
        )
        stored = db.session.scalars(
            select(EvaluationResult).where(EvaluationResult.cycle_id == history.id)
        ).all()
        row = overview.overview([tenant.id], "2019").rows[0]
    assert {r.track for r in stored} == {"branch"} and all(r.subject_code for r in stored)
    m = row.measures
    assert (m.subjects, m.complete) == (len(stars), len(stars))
    assert (m.top, m.lowest) == (stars.count(5), stars.count(1))


def test_the_ledger_counts_open_the_items_they_count_and_the_way_back(app, county):
    """整改未销号, 逾期 and 已销号 of a row open the tenant's ledger showing those items and
    no others; inside the tenant the overseer's bar leads back to their 监督总览."""
    world, made, client = county
    page = client.get(f"/t/{world.ids['C']}/oversight?period=2021")
    with app.app_context(), use_scope(system_scope()):
        from zhibu.reports import overview

        (row,) = [r for r in overview.overview(made.tenant_ids, "2021").rows][:1]
    tenant = row.tenant.id
    for show, expected in (("open", row.open), ("overdue", row.overdue)):
        expected_link = f"/t/{tenant}/ledger?show={show}"
        assert expected_link in page.text
        ledger = client.get(expected_link)
        assert ledger.text.count('<td data-label="组织">') == expected > 0
    signed = client.get(f"/t/{tenant}/ledger?show=signed_off")
    assert f"/t/{tenant}/ledger?show=signed_off" in page.text
    assert signed.text.count('<td data-label="组织">') == row.signed_off == 1
    assert "已销号" in signed.text and "整改中" not in signed.text
    every = client.get(f"/t/{tenant}/ledger").text.count('<td data-label="组织">')
    assert every == row.open + row.signed_off
    inside = client.get(f"/t/{tenant}/dashboard").text  # back to the year looked at
    assert f'href="/t/{world.ids["C"]}/oversight?period=2021">返回监督总览' in inside


def test_the_drill_keeps_a_period_its_tenants_do_not_have_and_says_so(city):
    """A city looking at 2021Q3 (a county's own round) drills into the county: its tenants
    rate by year, so the selector still shows the period applied and the page says none
    of them has it, rather than showing 各单位最近一期 over empty rows."""
    world, _made, client, d = city
    drill = client.get(f"/t/{d}/oversight?via={world.ids['C']}&period=2021Q3").text
    assert '<option value="2021Q3" selected>2021年第三季度</option>' in drill
    assert "所辖单位都没有 2021年第三季度 的考评周期" in drill
    kept = client.get(f"/t/{d}/oversight?via={world.ids['C']}&period=2021").text
    assert '<option value="2021" selected>' in kept and "no-period" not in kept


def text_of(response) -> str:
    body = response.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode() for n in book.namelist())
    return body.decode()


def test_the_overview_exports_as_a_workbook_and_a_printable_notice(county):
    world, _made, client = county
    base = f"/t/{world.ids['C']}/oversight"
    book = client.get(f"{base}/overview.xlsx?period=2021")
    assert book.status_code == 200 and book.data[:2] == b"PK"
    text = text_of(book)
    assert "甲学院党委" in text and "第3学院党委" in text and "张三" not in text
    assert "8/8" in text
    printed = client.get(f"{base}/overview.html")
    assert printed.status_code == 200 and "监督总览" in printed.text and "@page" in printed.text
    assert "本期没有乡镇(街道)的观摩排名" in client.get(f"{base}/townships.html").text
    assert "townships.html" not in client.get(base).text  # no link to an empty notice
    empty = client.get(f"{base}/townships.xlsx")  # typed in: the same notice, as a workbook
    assert empty.status_code == 200 and "只在全县示范观摩中" in text_of(empty)


def add_townships(app, world, townships) -> None:
    """C's own county_observation round of 2021Q3 with these (code, name, total, grade)
    townships as its current results."""
    with app.app_context(), use_scope(system_scope()):
        c = db.session.get(Tenant, world.ids["C"])
        db.session.add(TenantScheme(tenant_id=c.id, scheme_key="county_observation"))
        db.session.flush()
        cycle = cycles.open_cycle(c, "county_observation", "2021Q3", round="county_demo")
        result_set = ResultSet(
            tenant_id=c.id, cycle_id=cycle.id, version_id=cycle.version_id, input_hash="x"
        )
        result_set.current = True
        db.session.add(result_set)
        db.session.flush()
        for code, name, total, grade in townships:
            unit = OrgUnit(tenant_id=c.id, code=code, name=name, kind="township", path="/", depth=0)
            db.session.add(unit)
            db.session.flush()
            db.session.add(
                EvaluationResult(
                    tenant_id=c.id,
                    result_set_id=result_set.id,
                    cycle_id=cycle.id,
                    subject_kind="org",
                    subject_id=unit.id,
                    subject_code=code,
                    kind="township",
                    track="township",
                    total=total,
                    stars=None,
                    grade=grade,
                )
            )
        db.session.commit()


def test_the_county_ranks_its_townships_and_prints_the_notice(app, county):
    """county_observation: "观摩结束后……对各乡(镇、街道)依次进行排名通报" — the county's own
    townships, best first."""
    world, _made, client = county
    add_townships(
        app,
        world,
        (("T1", "东城镇", 81.5, None), ("T2", "西山乡", 92.0, None), ("T3", "南街道", 77, None)),
    )
    base = f"/t/{world.ids['C']}/oversight"
    page = client.get(base)
    ranked = re.findall(r"<td>(\w+[乡镇道])</td>", page.text)
    assert ranked == ["西山乡", "东城镇", "南街道"]
    notice = client.get(f"{base}/townships.html")
    assert notice.status_code == 200 and "依次进行排名通报" in notice.text
    assert notice.text.index("西山乡") < notice.text.index("东城镇") < notice.text.index("南街道")
    assert client.get(f"{base}/townships.xlsx").data[:2] == b"PK"


def test_a_township_a_rule_failed_ranks_below_the_higher_grades(app, county):
    """Issue 24: 西山乡 has the best total, but a rule left it 落后 (lagging): the notice
    ranks it after the 达标 (standard) townships, whose totals are lower; equal grade
    and total share a place. By total alone 西山乡 would be first."""
    world, _made, client = county
    add_townships(
        app,
        world,
        (
            ("T1", "东城镇", 81.5, "standard"),
            ("T2", "西山乡", 92.0, "lagging"),
            ("T3", "南街道", 77, "standard"),
            ("T4", "北岗镇", 77, "standard"),
        ),
    )
    base = f"/t/{world.ids['C']}/oversight"
    page = client.get(base).text
    assert re.findall(r"<td>(\w+[乡镇道])</td>", page) == ["东城镇", "北岗镇", "南街道", "西山乡"]
    places = re.findall(r'<tr><td class="num">(\d+)</td><td>\w+[乡镇道]</td>', page)
    assert places == ["1", "2", "2", "4"]
    notice = client.get(f"{base}/townships.html").text
    assert notice.index("东城镇") < notice.index("南街道") < notice.index("西山乡")


def test_the_weakest_indicators_are_ten_and_open_their_units(app, walk_scene):
    """The authorization scene's A-Z01 and A-Z02 lost points on A1 (their team sheets)."""
    client, scene = walk_scene
    base = f"/t/{scene.id('C')}/oversight/weakness"
    page = client.get(base)
    assert page.status_code == 200
    keys = re.findall(r"indicator=([\w.%:]+)#units", page.text)
    assert 0 < len(keys) <= 10
    opened = client.get(f"{base}?indicator={keys[0]}")
    assert "失分最多的单位" in opened.text
    assert "机电系第一党支部" in opened.text and "张三" not in opened.text
    chosen = client.get(f"{base}?period=2021")
    assert "<small>2021年</small>" in chosen.text  # the period as people write it


@pytest.fixture
def walk_scene(app):
    from authz_scene import build_scene

    scene = build_scene(app)
    client = app.test_client()
    login(client, "overseer_c")
    return client, scene


def test_the_chinese_page_is_chinese_and_the_english_one_english(county):
    world, _made, client = county
    url = f"/t/{world.ids['C']}/oversight"
    page = client.get(url).text
    chinese = re.sub(r"<[^>]+>", " ", page[page.index("<main") : page.index("</main>")])
    assert "所辖单位对比" in chinese and "样板党支部占比" in chinese
    words = set(re.findall(r"\b[a-z]{4,}(?:_[a-z]+)+\b", chinese))  # snake_case keys
    assert words == set()
    client.get("/lang/en?next=/")
    english = client.get(url).text
    assert "Overseen units compared" in english and "Scoring progress" in english
    assert "所辖单位对比" not in english


def set_stars(app, tenant_id, period: str, changes: dict[str, int]) -> None:
    """Sets the stars of the tenant's org results of ``period`` by subject code."""
    with app.app_context(), use_scope(system_scope()):
        cycle_id = db.session.scalar(
            select(cycles.Cycle.id).where(
                cycles.Cycle.tenant_id == tenant_id, cycles.Cycle.period == period
            )
        )
        for r in db.session.scalars(
            select(EvaluationResult).where(
                EvaluationResult.cycle_id == cycle_id, EvaluationResult.subject_kind == "org"
            )
        ):
            r.stars = changes.get(r.subject_code, r.stars)
        db.session.commit()


def test_units_promoted_kept_demoted_and_new_against_the_year_before(app, county):
    """T0000's three branches had 5, 4 and 3 stars in 2020 (levels of zhibu.testing.
    overseen); in 2021 the first drops to 3, the third rises to 4, the second stays, and
    a fourth branch is rated for the first time. The overview counts 1 / 1 / 1 / 1 (by
    the scheme's order of levels), the export says so, and the drill-down names the
    branches that moved, without a member's name."""
    world, made, client = county
    tenant = made.tenant_ids[0]
    set_stars(app, tenant, "2021", {"S00000": 3, "S00002": 4})
    # T0001's 2020 results carry no track (history loaded as levels only); one branch
    # drops from 5 to 4 stars in 2021
    set_stars(app, made.tenant_ids[1], "2021", {"S00000": 4})
    with app.app_context(), use_scope(system_scope()):
        for r in db.session.scalars(
            select(EvaluationResult)
            .join(cycles.Cycle, cycles.Cycle.id == EvaluationResult.cycle_id)
            .where(EvaluationResult.tenant_id == made.tenant_ids[1], cycles.Cycle.period == "2020")
        ):
            r.track = None
        db.session.commit()
    with app.app_context(), use_scope(system_scope()):
        result = db.session.scalar(
            select(EvaluationResult)
            .join(cycles.Cycle, cycles.Cycle.id == EvaluationResult.cycle_id)
            .where(EvaluationResult.tenant_id == tenant, cycles.Cycle.period == "2021")
            .where(EvaluationResult.subject_code == "S00000")
        )
        unit = OrgUnit(tenant_id=tenant, code="NEW", name="新成立党支部", kind="branch")
        unit.path, unit.depth = "/", 0
        db.session.add(unit)
        db.session.flush()
        db.session.add(
            EvaluationResult(
                tenant_id=tenant,
                result_set_id=result.result_set_id,
                cycle_id=result.cycle_id,
                subject_kind="org",
                subject_id=unit.id,
                subject_code="S09999",
                kind="branch",
                track="branch",
                rated=True,
                total=70.0,
                stars=2,
            )
        )
        db.session.commit()
        from zhibu.reports import overview

        found = overview.overview(made.tenant_ids, "2021")
    moved = {r.tenant.code: r.movement for r in found.rows}
    m = moved["T0000"]
    assert (m.promoted, m.kept, m.demoted, m.new) == (1, 1, 1, 1)
    assert m.previous.period == "2020"
    other = moved["T0001"]
    assert (other.promoted, other.kept, other.demoted, other.new) == (0, 2, 1, 0)
    same = moved["T0002"]  # the same levels both years
    assert (same.promoted, same.kept, same.demoted, same.new) == (0, 3, 0, 0)
    base = f"/t/{world.ids['C']}/oversight"
    page = client.get(f"{base}?period=2021")
    assert "等次升降" in page.text and "↑1" in page.text and "↓1" in page.text
    assert rows_of(client.get(f"{base}?period=2021&sort=promoted&desc=1"))[0] == "T0000"
    drill = client.get(f"{base}/movement?period=2021&tenant={tenant}")
    assert drill.status_code == 200
    text = drill.text
    heads = [text.index(f'<h2 id="{key}">') for key in ("promoted", "kept", "demoted", "new")]
    assert heads[0] < text.index("第3党支部") < heads[1] < text.index("第2党支部") < heads[2]
    assert heads[2] < text.index("第一党支部") < heads[3] < text.index("新成立党支部")
    assert "持平 <small>共 1 个</small>" in text and "张三" not in text  # as counted: =1
    book = text_of(client.get(f"{base}/overview.xlsx?period=2021"))
    assert "等次升降" in book and "升级" in book
    # 2020 has no year before it; a tenant the county does not oversee is refused
    none = client.get(f"{base}/movement?period=2020&tenant={tenant}")
    assert none.status_code == 200 and "没有可比较的上一期" in none.text
    assert client.get(f"{base}/movement?tenant={world.ids['B']}").status_code == 404
    assert client.get(f"{base}/movement?tenant=x").status_code == 422


def test_overseen_by_is_one_statement_for_any_number_of_tenants(app, county):
    """The tenants an overseer reads through its tenant: one query whether it oversees
    four tenants or ten; a disabled tenant and a tenant not overseen are not among them."""
    from zhibu.accounts.access import access_for
    from zhibu.reports.overview import overseen_by

    world, made, _client = county

    def found() -> tuple[list[str], int]:
        with app.app_context(), use_scope(system_scope()):
            user = db.session.scalar(select(User).where(User.username == "overseer_c"))
            access = access_for(user, world.ids["C"])
            with counting(app) as statements:
                codes = [t.code for t in overseen_by(access)]
        return codes, len(statements)

    few, once = found()
    assert few == ["A", "T0000", "T0001", "T0002"] and once == 1
    with app.app_context(), use_scope(system_scope()):
        make_overseen(db.session.get(Tenant, world.ids["C"]), 6, prefix="U")
        db.session.get(Tenant, made.tenant_ids[0]).active = False
        db.session.commit()
    many, again = found()
    assert len(many) == 9 and "T0000" not in many and "B" not in many and again == 1
