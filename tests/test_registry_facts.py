"""What the registry says reaches the rules: every member's registry fields and moves, the
whole org tree (units the scheme does not cover too), each indicator's points; all of it
counts in the input hash, and the plugin's version is found through its distribution."""

from __future__ import annotations

import shutil
import uuid

import pytest

from zhibu import engine, plugins
from zhibu.accounts.access import access_for
from zhibu.db import db
from zhibu.engine import Band, Definition, Indicator, Rubric, Scheme, Source, Track
from zhibu.evaluations import compute, inputs
from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import parse_scenario
from zhibu.members.service import get_member, update_member
from zhibu.models import Cycle, Member, RoleAssignment, Tenant, User
from zhibu.tenancy import system_scope, use_scope


def ages(ctx):
    """Test rule: a member over 50 on the cycle's last day is flagged."""
    for result in ctx.rated("member"):
        age = ctx.subjects[result.subject].member.age_on(ctx.cycle.end)
        if age is not None and age > 50:
            result.flag("over_50", f"{age} 岁", rule="test.ages")


def second_standard(ctx):
    """Test rule: a village whose second standard is not met is flagged (item by item)."""
    for result in ctx.rated("unit"):
        if result.items.get("check", {}).get("S2", 1) < 1:
            result.flag("s2_unmet", "第二项未达标", rule="test.items")


def township_share(ctx):
    """Test rule: a township with half its villages met or more gets a title; its villages
    lie under a unit the scheme does not cover."""
    for result in ctx.rated("unit"):
        if ctx.subjects[result.subject].kind != "township":
            continue
        villages = [
            r
            for r in ctx.below(result.subject, "unit")
            if ctx.subjects[r.subject].kind == "village"
        ]
        met = [r for r in villages if r.grade == "met"]
        result.note(f"达标村 {len(met)}/{len(villages)}", rule="test.share")
        if villages and len(met) * 2 >= len(villages):
            result.titles.append("half_met")


def define(settings):
    five = Rubric("five", "五项标准", tuple(Indicator(f"S{i}", f"标准{i}", 1) for i in range(1, 6)))
    unit = Track(
        "unit",
        "组织",
        ("village", "township"),
        (Source("check", "检查", 1.0, rubric="five"),),
        (Band(100, grade="met"),),
        floor=Band(0, grade="not_met"),
    )
    member = Track("member", "党员", ("member",), (), ())
    return Definition((unit, member), (five,), (ages, second_standard, township_share))


FACTS = Scheme(key="facts", title="测试方案", title_en="Facts", seed="test", define=define)

TREE = {
    "scheme": "facts",
    "period": "2021",
    "orgs": [
        {"code": "T", "name": "某镇党委", "kind": "township"},
        {"code": "G", "name": "第一管区", "kind": "general_branch", "parent": "T"},
        {"code": "V1", "name": "甲村", "kind": "village", "parent": "G"},
        {"code": "V2", "name": "乙村", "kind": "village", "parent": "G"},
    ],
    "members": [
        {
            "code": "M1",
            "name": "张三",
            "org": "V1",
            "birth": "1960-05-01",
            "gender": "男",
            "ethnicity": "汉族",
            "education": "大专",
            "position": "书记",
            "category": "serving",
            "status": "full",
            "joined": "1990-07-01",
            "full_since": "1991-07-01",
        },
        {"code": "M2", "name": "李四", "org": "V2", "status": "probationary", "left": "2021-09-30"},
    ],
    "transfers": [{"member": "M1", "to": "V2", "date": "2021-06-15", "reason": "工作调动"}],
    "scores": [
        {"subject": "V1", "source": "check", "items": {f"S{i}": 1 for i in range(1, 6)}},
        {"subject": "V2", "source": "check", "items": {"S1": 1, "S2": 0, "S3": 1}},
        {"subject": "T", "source": "check", "items": {f"S{i}": 1 for i in range(1, 6)}},
    ],
}


@pytest.fixture
def facts_app(app):
    plugins.registry(app).schemes["facts"] = FACTS
    return app


def by_subject(results):
    return {r["subject"]: r for r in results}


def admin_access(tenant_id: uuid.UUID):
    user = User(id=uuid.uuid4(), username=f"admin-{uuid.uuid4().hex[:8]}", password_hash="!")
    db.session.add(user)
    db.session.flush()
    db.session.add(RoleAssignment(tenant_id=tenant_id, user_id=user.id, role="tenant_admin"))
    db.session.commit()
    return access_for(user, tenant_id)


def test_every_registry_field_and_move_reaches_the_engine(facts_app):
    run_scenario(parse_scenario(TREE), facts_app)
    with facts_app.app_context(), use_scope(system_scope()):
        cycle = db.session.query(Cycle).one()
        definition, settings, _ = compute.definition_for(cycle)
        loaded = inputs.load(cycle, definition, settings).cycle
    subjects = {s.code: s for s in loaded.subjects}
    assert subjects["M1"].member == engine.MemberFacts(
        birth="1960-05-01",
        gender="男",
        ethnicity="汉族",
        education="大专",
        position="书记",
        category="serving",
        status="full",
        joined="1990-07-01",
        full_since="1991-07-01",
        left="",
        moves=(engine.Move("2021-06-15", "V1", "V2"),),
    )
    m1 = subjects["M1"]
    assert (m1.unit, m1.unit_on("2021-06-14"), m1.unit_on("2021-06-15")) == ("V2", "V1", "V2")
    assert m1.member.age_on("2021-04-30") == 60 and m1.member.age_on("2021-05-01") == 61
    m2 = subjects["M2"].member
    assert (m2.status, m2.left, m2.birth, m2.moves) == ("probationary", "2021-09-30", "", ())
    assert m2.age_on("2021-12-31") is None
    # the whole tree, the uncovered 管区 included; the subjects are only what is covered
    assert {u.code: (u.kind, u.parent) for u in loaded.units} == {
        "T": ("township", None),
        "G": ("general_branch", "T"),
        "V1": ("village", "G"),
        "V2": ("village", "G"),
    }
    assert "G" not in subjects and subjects["V1"].unit == "G"
    assert [u.code for u in loaded.below("T")] == ["G", "V1", "V2"]
    assert [u.code for u in loaded.above("V2")] == ["G", "T"]


def test_rules_see_through_an_uncovered_unit_and_judge_item_by_item(facts_app):
    results = by_subject(run_scenario(parse_scenario(TREE), facts_app))
    assert results["V1"]["grade"] == "met" and "s2_unmet" not in results["V1"]["flags"]
    assert results["V2"]["grade"] == "not_met" and "s2_unmet" in results["V2"]["flags"]
    assert results["T"]["titles"] == ["half_met"]
    assert "达标村 1/2" in results["T"]["explanation"]
    assert "over_50" in results["M1"]["flags"]


def test_correcting_a_birth_date_changes_the_result_on_recompute(facts_app):
    run_scenario(parse_scenario(TREE), facts_app)
    with facts_app.app_context(), use_scope(system_scope()):
        cycle = db.session.query(Cycle).one()
        before = compute.current_set(cycle)
        assert compute.recompute(cycle).id == before.id  # unchanged inputs: nothing to do
        member = db.session.query(Member).filter_by(archive_code="M1").one()
        access = admin_access(cycle.tenant_id)
        update_member(access, get_member(access, member.id), {"birth_date": _day("1990-05-01")})
        after = compute.recompute(cycle)
        assert after.id != before.id and after.input_hash != before.input_hash
        m1 = next(r for r in compute.results_of(cycle) if r.subject_code == "M1")
        assert "over_50" not in m1.flags


def _day(text):
    from datetime import date

    return date.fromisoformat(text)


def test_the_items_of_several_raters_are_their_mean():
    scheme = FACTS.definition({})
    cycle = engine.Cycle(
        "2021",
        "2021-01-01",
        "2021-12-31",
        (engine.Subject("V1", "village"),),
        (
            engine.ScoreRow("V1", "check", "R1", items={"S1": 1, "S2": 1}),
            engine.ScoreRow("V1", "check", "R2", items={"S1": 1, "S2": 0}),
        ),
    )
    (result,) = engine.evaluate(scheme, cycle)
    assert result.items == {"check": {"S1": 1.0, "S2": 0.5}}
    assert "s2_unmet" in result.flags


PLUGIN = """
from zhibu.engine import Band, Definition, Source, Track
from zhibu.plugins import Scheme, hookimpl

__version__ = "{version}"


def define(settings):
    track = Track("branch", "支部", ("branch",), (Source("check", "检查", 1.0),), (Band(60, 3),))
    return Definition((track,))


@hookimpl
def zhibu_schemes():
    return [Scheme(key="renamed_scheme", title="改名方案", title_en="Renamed", seed="-",
                   define=define)]
"""


def test_a_plugin_upgrade_computes_afresh_whatever_its_entry_point_is_called(
    app, install_plugin, tmp_path
):
    """The entry point (``other_name``) is not the scheme's key (``renamed_scheme``): the
    upgrade is still found, through the plugin that contributed the scheme."""
    from zhibu.testing.fixtures import make_test_app

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    install_plugin("other_name", PLUGIN.format(version="1.0"), module="renamed", version="1.0.0")
    first = make_test_app(url, tmp_path / "one", ZHIBU_PLUGINS=["other_name"])
    assert plugins.registry(first).scheme_version("renamed_scheme") == (
        "other_name 1.0 renamed 1.0.0"
    )
    doc = {
        "scheme": "renamed_scheme",
        "period": "2021",
        "orgs": [{"code": "Z1", "name": "支部", "kind": "branch"}],
        "scores": [{"subject": "Z1", "source": "check", "score": 80}],
    }
    run_scenario(parse_scenario(doc), first)
    with first.app_context(), use_scope(system_scope()):
        tenant = db.session.query(Tenant).one()
        old = compute.current_set(db.session.query(Cycle).filter_by(tenant_id=tenant.id).one())
        db.engine.dispose()
    site = tmp_path / "site-packages"
    shutil.rmtree(site / "renamed-1.0.0.dist-info")
    install_plugin("other_name", PLUGIN.format(version="1.0"), module="renamed", version="1.1.0")
    second = make_test_app(url, tmp_path / "two", ZHIBU_PLUGINS=["other_name"])
    with second.app_context(), use_scope(system_scope()):
        cycle = db.session.query(Cycle).filter_by(tenant_id=tenant.id).one()
        new = compute.recompute(cycle)
        assert new.id != old.id and new.input_hash != old.input_hash
        db.engine.dispose()
