"""enterprise_5std, both parts: every scenario under tests/scenarios/enterprise_5std meets its
expectations, on SQLite and PostgreSQL; the demo company; refusals that name what is wrong."""

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhibu.accounts.access import system_access
from zhibu.errors import ServiceError
from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import ScenarioError, load_scenario, unmet

SCENARIOS = sorted((Path(__file__).parent / "scenarios" / "enterprise_5std").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(app, path):
    scenario = load_scenario(path)
    assert scenario.entries("expect"), f"{path.name} checks nothing"
    assert unmet(scenario, run_scenario(scenario, app)) == []


def test_targets_follow_the_seeds_years():
    from enterprise_5std import SCHEME
    from zhibu.engine import Result, measure

    results = [
        Result(f"Z{i}", "branch", "organization", stars=s) for i, s in enumerate((5, 5, 4, 3))
    ]
    five, three = measure(SCHEME.targets, "2015", results)
    assert (five.target, five.actual, five.met) == (0.7, 0.5, False)
    assert (three.target, three.actual, three.met) == (0.0, 0.25, False)
    assert measure(SCHEME.targets, "2013", results)[0].met is True


def test_a_checklist_deduction_without_evidence_is_refused_naming_its_line(app, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "scheme: enterprise_5std\n"
        'period: "2021"\n'
        "orgs:\n"
        "  - {code: Z1, name: 一支部, kind: branch}\n"
        "scores:\n"
        "  - {subject: Z1, source: assessment, deductions: [{item: P3, points: 2}]}\n"
        "  - {subject: Z1, source: assessment, rater: B, items: {T9: 1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as refused:
        run_scenario(load_scenario(path), app)
    text = "\n".join(refused.value.problems)
    assert "line 6 (Z1)" in text and "扣分项 P3 未注明扣分原因" in text
    assert "line 7 (Z1)" in text and "评分细则中没有条目 T9" in text


def _company(app):
    """A fresh tenant with the demo company built in it, as ``zhibu demo`` does."""
    from enterprise_5std.demo import build
    from zhibu.accounts.access import access_for
    from zhibu.db import db
    from zhibu.models import RoleAssignment, Tenant, TenantScheme, User
    from zhibu.plugins import DemoContext

    tenant = Tenant(code="E5-TEST", name="示范集团公司党委", kind="company")
    db.session.add(tenant)
    db.session.flush()
    db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="enterprise_5std"))
    admin = User(username="e5-admin", password_hash="!")
    db.session.add(admin)
    db.session.flush()
    db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=admin.id, role="tenant_admin"))
    db.session.commit()
    return tenant, build(DemoContext(tenant, access_for(admin, tenant.id)))


def test_the_demo_company_shows_every_standard(app):
    from zhibu.db import db
    from zhibu.evaluations import compute
    from zhibu.models import ActivityRecord, Cycle
    from zhibu.tenancy import system_scope, use_scope

    with app.app_context(), use_scope(system_scope()):
        tenant, line = _company(app)
        assert line.startswith("示范集团公司党委: 12 个党支部, 11 个党小组")
        cycle = db.session.scalar(
            select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.period == "2021")
        )
        results = {r.subject_code: r for r in compute.results_of(cycle)}
        records = db.session.scalar(
            select(func.count())
            .select_from(ActivityRecord)
            .where(ActivityRecord.tenant_id == tenant.id)
        )
        explained = {
            code: "\n".join(x["text"] for x in compute.explanation_of(r))
            for code, r in results.items()
        }
    branches = [r for r in results.values() if r.kind == "branch"]
    assert len(branches) == 12 and all(r.stars in (3, 4, 5) for r in branches)
    assert f"{records} 条组织生活、培训与党费记录" in line
    for code in (r.subject_code for r in branches):
        checks = [x for x in explained[code].splitlines() if x.startswith("组织考核: ")]
        assert len([x for x in checks if "/" in x and "(计入" in x]) == 15, code
    assert "O3 组织建设·按期换届 0/5 (计入 1 条:2015-06-18 换届选举)" in explained["Z02"]
    assert "任职时党龄不足3年" in explained["Z03"] and "任职时党龄不足3年" in explained["Z09"]
    assert "支委 4 人:应为3至7人单数" in explained["Z08"]
    assert results["Z06-G1"].flags == ["group_below_standard"]
    lapsed = sorted(c for c, r in results.items() if "lapsed_six_months" in r.flags)
    assert lapsed == ["QY-0408", "QY-0510", "QY-0906"]
    assert "2021-05至2021-12连续8个月未交党费" in explained["QY-0906"]
    assert "QY-0408" in explained["Z04"] and "M2 党员管理" in explained["Z04"]
    assert "downgrade_floor" not in results["Z06"].flags and results["Z06"].stars == 3


def test_a_checked_members_summary_says_what_the_check_found(app):
    """Members are checked, not rated: the summary says whether the check found anything
    (and the rule that did), never a bare "—"."""
    from zhibu.db import db
    from zhibu.evaluations import compute, explain
    from zhibu.models import Cycle
    from zhibu.tenancy import system_scope, use_scope

    with app.app_context(), use_scope(system_scope()):
        tenant, _line = _company(app)
        cycle = db.session.scalar(
            select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.period == "2021")
        )
        members = [r for r in compute.results_of(cycle) if r.subject_kind == "member"]
        explainer = explain.Explainer(cycle)
        summaries = {r.subject_code: (r, explainer.summary(r)) for r in members}
    lapsed = summaries["QY-0906"][1]
    assert lapsed["level"].startswith("核查发现问题") and lapsed["rules_applied"]
    assert not lapsed["set_by_rules"]
    clean = [s for r, s in summaries.values() if not (r.flags or r.actions or r.titles)]
    assert clean and all(s["level"] == "核查未发现问题" for s in clean)


def test_add_records_checks_every_row_and_writes_nothing_on_a_refusal(app):
    from zhibu.db import db
    from zhibu.evaluations import facts
    from zhibu.models import ActivityRecord, Tenant
    from zhibu.orgs import service as orgs
    from zhibu.tenancy import system_scope, use_scope

    with app.app_context(), use_scope(system_scope()):
        tenant = Tenant(code="E5-FACTS", name="公司", kind="company")
        db.session.add(tenant)
        db.session.commit()
        unit = orgs.create_org(tenant.id, code="Z1", name="一支部", kind="branch")
        good = {"org_id": unit.id, "kind": "theme_party_day", "held_on": date(2021, 1, 5)}
        rows = [
            good,
            {**good, "kind": "dues"},
            {**good, "kind": "picnic"},
            {**good, "org_id": uuid.uuid4()},
            {**good, "held_on": "2021-01-05"},
            {**good, "colour": "red"},
        ]
        with pytest.raises(ServiceError) as refused:
            facts.add_records(system_access(tenant.id), rows)
        problems = refused.value.errors["records"]
        assert [p.split(":")[0] for p in problems] == [f"第 {n} 条记录" for n in (2, 3, 4, 5, 6)]
        assert "党费记录须填写:党员、月份" in problems[0]
        assert "未知的活动记录类型 'picnic'" in problems[1]
        assert "colour" in problems[4]
        count = select(func.count()).select_from(ActivityRecord)
        assert db.session.scalar(count.where(ActivityRecord.tenant_id == tenant.id)) == 0
        access = system_access(tenant.id)
        assert facts.add_records(access, [good, {**good, "kind": "election"}]) == 2
        assert db.session.scalar(count.where(ActivityRecord.tenant_id == tenant.id)) == 2


def test_the_score_sheet_names_each_automatic_check_not_its_key(app):
    """The 考评计分表 lists the automatic checks beside the rubric: each by its title
    (O1 组织建设·支部设置 …), never by the key the engine knows it by."""
    from zhibu.testing import scenario_report

    path = Path(__file__).parent / "scenarios" / "enterprise_5std" / "checklist.yaml"
    (table,) = scenario_report(path, "core.score_sheet", app)
    named = [row["indicator"] for row in table.rows if row["indicator"]]
    assert any(name.startswith("O1 ") for name in named), named
    assert not [name for name in named if "enterprise_5std." in name or "_" in name]


def test_the_ranking_ranks_the_branches_and_leaves_out_the_unscored_party_groups(app):
    """党小组 are checked, never scored: no 考评排名表 of them (a table of "—"); the
    branches' ranking says how places are given (level first, then total)."""
    import yaml

    from zhibu.evaluations.scenario_file import parse_scenario
    from zhibu.testing import scenario_report

    path = Path(__file__).parent / "scenarios" / "enterprise_5std" / "levels.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["orgs"].append({"code": "G1", "name": "第一党小组", "kind": "party_group", "parent": "Z1"})
    doc.pop("expect")
    tables = scenario_report(parse_scenario(doc), "core.ranking", app)
    assert tables and all("党小组" not in t.title for t in tables)
    assert all(any(row["total"] is not None for row in t.rows) for t in tables)
    assert "名次先按星级(等次)" in tables[0].notes[0]


def test_a_secretary_reads_each_members_check_once_published(app, client):
    """The scheme checks members (组织生活, 党费, 学时) and rates none: the branch page
    says so, and once published lists each member's check — the flags found, or 核查未发现
    问题 — instead of telling the secretary members are not evaluated."""
    from test_web_pages import login

    from zhibu.accounts.passwords import hash_password
    from zhibu.db import db
    from zhibu.evaluations import compute, publication
    from zhibu.models import Cycle, Member, RoleAssignment, User
    from zhibu.tenancy import system_scope, use_scope
    from zhibu.web.common import flag_name

    with app.app_context(), use_scope(system_scope()):
        tenant, _line = _company(app)
        cycle = db.session.scalar(
            select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.period == "2021")
        )
        members = [r for r in compute.results_of(cycle) if r.subject_kind == "member"]
        flagged = next(r for r in members if r.flags)
        unit = db.session.get(Member, (tenant.id, flagged.subject_id)).org_id
        user = User(username="e5-secretary", password_hash=hash_password("correct horse battery"))
        db.session.add(user)
        db.session.flush()
        db.session.add(
            RoleAssignment(
                tenant_id=tenant.id, user_id=user.id, role="branch_secretary", org_id=unit
            )
        )
        db.session.commit()
        publication.publish(cycle, "publicity", based_on=0)
        tenant_id, expected = tenant.id, [flag_name(f) for f in flagged.flags]
    login(client, "e5-secretary")
    page = client.get(f"/t/{tenant_id}/branch").text
    assert "核查结果" in page and "不评价党员个人" not in page
    assert all(name in page for name in expected), expected
