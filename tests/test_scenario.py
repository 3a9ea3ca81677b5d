"""The scenario runner, end to end, with a scheme defined in the tests (not a plugin)."""

import json
from pathlib import Path

import pytest
from tiny_scheme import TINY

from zhibu.app import plugin_registry
from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parent / "scenarios" / "tiny"


@pytest.fixture
def tiny_app(app):
    plugin_registry(app).schemes["tiny"] = TINY
    return app


def by_subject(results):
    return {r["subject"]: r for r in results}


def test_full_scenario_end_to_end(tiny_app):
    results = by_subject(run_scenario(load_scenario(SCENARIOS / "full.yaml"), tiny_app))
    assert set(results) == {"Z01", "Z02", "Z09", "M001", "M002"}
    z01 = results["Z01"]
    assert (z01["total"], z01["stars"]) == (93.5, 5)  # panel mean 90, sheet 97
    assert any("组织生活会记录不全" in line for line in z01["explanation"])
    z02 = results["Z02"]
    assert z02["stars"] == 2 and "downgrade_floor" in z02["flags"]  # already below the floor
    assert z02["actions"] == ["interview"]  # ≤2★ in 2020 and 2021
    assert results["Z09"]["flags"] == ["retired"] and results["Z09"]["stars"] is None
    assert results["M001"]["total"] == 85.0
    m002 = results["M002"]
    assert any("2021-03" in line and "不计入" in line for line in m002["explanation"])
    assert m002["total"] == 70.0  # only November counts: joined 2021-10-15


def test_recompute_is_idempotent(tiny_app):
    from zhibu.db import db
    from zhibu.evaluations import compute
    from zhibu.models import Cycle, ResultSet
    from zhibu.tenancy import system_scope, use_scope

    run_scenario(load_scenario(SCENARIOS / "full.yaml"), tiny_app)
    with tiny_app.app_context(), use_scope(system_scope()):
        cycle = db.session.query(Cycle).filter_by(period="2021").one()
        first = compute.current_set(cycle).id
        assert compute.recompute(cycle).id == first
        assert db.session.query(ResultSet).filter_by(cycle_id=cycle.id).count() == 1


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """scheme: tiny
period: "2021"
orgs:
  - {code: Z01, name: 支部, kind: branch}
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "scores:\n  - {subject: Z01, source: sheet, deductions: [{item: A1, points: 2}]}\n",
            "line 6 (Z01): Z01:扣分项 A1 未注明扣分原因",
        ),
        (
            "scores:\n  - {subject: Z01, source: sheet,\n"
            "     deductions: [{item: A1, points: 50, reason: x}]}\n",
            "line 6 (Z01): Z01:A1 的扣分合计 50 分,超过该项满分 40 分",
        ),
        (
            "scores:\n  - {subject: Z99, source: panel, score: 90}\n",
            "line 6 (Z99): unknown subject 'Z99'",
        ),
        (
            "scores:\n  - {subject: Z01, source: monthly, score: 90}\n",
            "line 6 (Z01): 该评定方案中没有“monthly”这张评分表,或它不给党支部评分。",
        ),
        (
            "incidents:\n  - {subject: Z01, kind: veto.nope, date: '2021-01-01'}\n",
            "line 6 (Z01): 未知的事件类型“veto.nope”",
        ),
        ("colour: red\n", "unknown key 'colour'"),
        (
            "scores:\n  - {subject: Z01, source: panel, scroe: 90}\n",
            "line 6 (Z01): unknown key(s) scroe in scores",
        ),
    ],
)
def test_refusals_name_the_line_and_the_subject(tiny_app, tmp_path, extra, message):
    with pytest.raises(ScenarioError) as excinfo:
        run_scenario(load_scenario(write(tmp_path, BASE + extra)), tiny_app)
    assert any(message in problem for problem in excinfo.value.problems), excinfo.value.problems


def test_unknown_org_kind_and_parent(tiny_app):
    doc = {
        "scheme": "tiny",
        "period": "2021",
        "orgs": [
            {"code": "A", "name": "a", "kind": "club", "__line__": 4},
            {"code": "B", "name": "b", "kind": "branch", "parent": "X", "__line__": 5},
        ],
    }
    with pytest.raises(ScenarioError) as excinfo:
        run_scenario(parse_scenario(doc), tiny_app)
    assert excinfo.value.problems[0].startswith("line 4 (A): unknown kind 'club'")
    assert excinfo.value.problems[1].startswith("line 5 (B): unknown parent 'X'")


def test_cli_prints_json_on_a_throwaway_database(tiny_app, tmp_path):
    runner = tiny_app.test_cli_runner()
    result = runner.invoke(args=["scenario", "run", str(SCENARIOS / "full.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    out = by_subject(json.loads(result.output))
    assert out["Z01"]["stars"] == 5 and out["Z01"]["subject_kind"] == "branch"
    table = runner.invoke(args=["scenario", "run", str(SCENARIOS / "full.yaml")])
    assert "Z01" in table.output and "93.5" in table.output


MOVES = {
    "scheme": "tiny",
    "period": "2021",
    "orgs": [
        {"code": "DW", "name": "党委", "kind": "committee"},
        {"code": "Z01", "name": "一支部", "kind": "branch", "parent": "DW"},
        {"code": "Z02", "name": "二支部", "kind": "branch", "parent": "DW"},
    ],
    "members": [{"code": "M1", "name": "张三", "org": "Z01"}],
    "transfers": [{"member": "M1", "to": "Z02", "date": "2021-04-01", "__line__": 9}],
    "records": [
        {"kind": "dues", "member": "M1", "month": "2021-03"},
        {"kind": "dues", "member": "M1", "month": "2021-04"},
    ],
}


def test_dues_with_member_and_month_take_the_unit_of_that_month(tiny_app):
    from zhibu.db import db
    from zhibu.models import ActivityRecord, OrgUnit
    from zhibu.tenancy import system_scope, use_scope

    run_scenario(parse_scenario(dict(MOVES)), tiny_app)
    with tiny_app.app_context(), use_scope(system_scope()):
        rows = db.session.execute(
            db.select(OrgUnit.code, ActivityRecord.held_on, ActivityRecord.month)
            .join(OrgUnit, OrgUnit.id == ActivityRecord.org_id)
            .order_by(ActivityRecord.month)
        ).all()
    assert [(code, str(day), month) for code, day, month in rows] == [
        ("Z01", "2021-03-01", "2021-03"),
        ("Z02", "2021-04-01", "2021-04"),
    ]


def test_a_transfer_the_registry_refuses_names_its_line(tiny_app):
    doc = dict(
        MOVES, transfers=[{"member": "M1", "to": "Z01", "date": "2021-04-01", "__line__": 9}]
    )
    with pytest.raises(ScenarioError) as refused:
        run_scenario(parse_scenario(doc), tiny_app)
    assert refused.value.problems[0].startswith("line 9 (M1): ")
    assert "转入组织与当前所在组织相同" in refused.value.problems[0]


def test_a_record_without_a_unit_or_a_date_is_refused(tiny_app):
    doc = dict(MOVES, records=[{"kind": "theme_party_day", "__line__": 12}])
    with pytest.raises(ScenarioError) as refused:
        run_scenario(parse_scenario(doc), tiny_app)
    assert refused.value.problems == [
        "line 12 (theme_party_day): a record needs a date (or a month)"
    ]


def test_a_report_is_built_on_the_scenarios_cycle(tiny_app):
    """``zhibu.testing.scenario_report``: the tables of a report on the computed cycle, as
    the reports page builds them; for an overseer, units only; an unknown key refused."""
    from zhibu.errors import NotFound
    from zhibu.testing import scenario_report

    results = by_subject(run_scenario(load_scenario(SCENARIOS / "full.yaml"), tiny_app))
    first, *_by_unit = scenario_report(SCENARIOS / "full.yaml", "core.stars", tiny_app)
    counted = {(row["track"], row["level"]): row["count"] for row in first.rows}
    five = sum(1 for r in results.values() if r["stars"] == 5)
    assert five > 0 and sum(n for (_t, level), n in counted.items() if level == "五星") == five
    assert sum(counted.values()) == len(results)
    units_only = scenario_report(SCENARIOS / "full.yaml", "core.stars", tiny_app, personal=False)
    branches = sum(1 for r in results.values() if not r["subject"].startswith("M"))
    assert sum(row["count"] for row in units_only[0].rows) == branches < len(results)
    with pytest.raises(NotFound, match=r"core\.nothing"):
        scenario_report(SCENARIOS / "full.yaml", "core.nothing", tiny_app)
