"""The core reports on the plugins' schemes: a rubric found through the result's own track
(dujiangyan's four branch sheets and county_observation's two on one source), the weakness
table of a brief monthly rubric, deductions added per rater, the schemes' names for their
flags, the publicity list, formulas kept out of workbooks and the oversight period."""

import io
import uuid
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reports_world import scored_cycle
from sqlalchemy import select

from zhibu.app import plugin_registry
from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import load_scenario
from zhibu.models import Cycle, Tenant, TenantScheme
from zhibu.reports import core, deductions, weakness
from zhibu.reports.oversight import latest_cycles
from zhibu.reports.service import report_data
from zhibu.tenancy import system_scope, use_scope

SCENARIOS = Path(__file__).parent / "scenarios"


def data_of(app, scenario, params=None):
    """Run a scenario in the app and read its cycle as the report builders do."""
    run_scenario(scenario, app)
    with app.app_context(), use_scope(system_scope()):
        cycle = db.session.scalar(select(Cycle).order_by(Cycle.created_at.desc()).limit(1))
        return report_data(cycle, params=params)


def scenario(scheme: str, name: str):
    return load_scenario(SCENARIOS / scheme / name)


def subject(data, code):
    return next(r for r in data.results if r["code"] == code)


def rubric_of(data, code, source):
    track = next(t for t in data.definition.tracks if t.key == subject(data, code)["track"])
    return data.definition.rubric(track.source(source).rubric)


def rows_of(table):
    return [row for row in table.rows if row.get("item") or row.get("indicator")]


def test_each_branchs_notice_names_the_line_of_its_own_sheet(app):
    data = data_of(app, scenario("dujiangyan_quantified", "branch_sheets.yaml"))
    notices = {t.sheet: t for t in deductions.notice(data)}
    titles = set()
    for code in ("V1", "C1", "B1", "T1"):
        d4 = rubric_of(data, code, "quantified").indicator("D4")
        items = {row["item"] for row in rows_of(notices[code])}
        assert f"D4 {d4.title}" in items, (code, items)
        titles.add(d4.title)
    assert len(titles) == 4  # one code, four sheets: the test tells them apart
    community = rubric_of(data, "C1", "quantified").indicator("D4")
    (row,) = rows_of(notices["C1"])
    assert row["category"] == (community.category or "D4")


def test_a_score_sheet_and_the_weakness_table_use_the_subjects_sheet(app):
    county = scenario("county_observation", "sheets.yaml")
    data = data_of(app, county)
    n1 = subject(data, "N1")
    data.params["subject_id"] = n1["subject_id"]
    (sheet,) = deductions.score_sheet(data)
    b4 = rubric_of(data, "N1", "observer").indicator("B4")
    assert b4.title != rubric_of(data, "V1", "observer").indicator("B4").title
    lines = [r for r in sheet.rows if r["indicator"].split()[:1] == ["B4"]]
    assert {r["indicator"] for r in lines} == {f"B4 {b4.title}"}
    assert {r["max"] for r in lines if r["deduction"] is None} == {b4.max_points}
    tables = {t.title.split("——")[1]: t for t in weakness.weakness(data)}
    for code in ("V1", "N1"):
        rubric = rubric_of(data, code, "observer")
        rows = tables[rubric.title].rows
        assert len(rows) == len(rubric.indicators)  # every line, once
        line = next(r for r in rows if r["indicator"].split()[0] == "B4")
        assert line["indicator"] == f"B4 {rubric.indicator('B4').title}"
        assert line["scored"] == 1 and line["losing"] == 1


def test_weakness_of_a_brief_monthly_rubric_counts_every_month_scored(app):
    data = data_of(app, scenario("dujiangyan_quantified", "member_months.yaml"))
    members = data.results_of("member")
    rubric = rubric_of(data, "M1", "monthly")
    months = sum(int(r["scores"].get("monthly.periods") or 0) for r in members)
    assert months > 12  # every member's months, not only the month with a deduction
    (table,) = [t for t in weakness.weakness(data) if t.title.endswith(rubric.title)]
    assert len(table.rows) == len(rubric.indicators)
    rows = {r["indicator"].split()[0]: r for r in table.rows}
    taken = [
        (line["indicator"], -line["points"])
        for r in members
        for line in r["explanation"]
        if line.get("reason") and line.get("source") == "monthly"
    ]
    assert taken  # the scenario has deductions to find
    lost, losing = Counter(), Counter(code for code, _ in taken)
    for code, points in taken:
        lost[code] += points
    for code, points in lost.items():
        assert rows[code]["scored"] == months and rows[code]["losing"] == losing[code]
        assert rows[code]["mean"] == pytest.approx(round(points / months, 2))
        max_points = rubric.indicator(code).max_points
        assert rows[code]["rate"] == f"{points / (months * max_points):.1%}"
    assert rows[max(lost, key=lambda c: lost[c])]["place"] == 1
    untouched = next(r for code, r in rows.items() if code not in lost)
    assert (untouched["scored"], untouched["losing"], untouched["rate"]) == (months, 0, "0.0%")


TWO_DEDUCTIONS = """
scheme: dujiangyan_quantified
period: "2021"
orgs:
  - {code: SW, name: 都江堰市委, kind: committee}
  - {code: C1, name: 幸福社区党支部, kind: community, parent: SW}
scores:
  - subject: C1
    source: quantified
    rater: 甲
    deductions:
      - {item: D4, points: 1, reason: 作用发挥不够}
      - {item: D4, points: 2, reason: 作用发挥不够}
  - subject: C1
    source: quantified
    rater: 乙
    deductions: [{item: D4, points: 1, reason: 作用发挥不够}]
  - {subject: C1, source: satisfaction, score: 90}
"""


def test_a_raters_deductions_with_one_reason_add_up_before_raters_are_averaged(app, tmp_path):
    (tmp_path / "two.yaml").write_text(TWO_DEDUCTIONS, encoding="utf-8")
    data = data_of(app, load_scenario(tmp_path / "two.yaml"))
    c1 = subject(data, "C1")
    by_rater: dict = {}
    for line in c1["explanation"]:
        if line.get("reason"):
            by_rater[line["rater"]] = by_rater.get(line["rater"], 0) - line["points"]
    expected = sum(by_rater.values()) / len(by_rater)
    (found,) = deductions.lost_points(c1).values()
    assert found == pytest.approx(expected) and len(by_rater) == 2
    (notice,) = deductions.notice(data)
    assert [row["points"] for row in rows_of(notice)] == [round(expected, 2)]


TWO_REASONS = TWO_DEDUCTIONS.replace(
    """      - {item: D4, points: 1, reason: 作用发挥不够}
      - {item: D4, points: 2, reason: 作用发挥不够}""",
    "      - {item: D4, points: 3, reason: 台账不全}",
).replace(
    "deductions: [{item: D4, points: 1, reason: 作用发挥不够}]",
    "deductions: [{item: D4, points: 3, reason: 制度执行不到位}]",
)


def test_two_raters_taking_one_item_for_two_reasons_share_what_it_lost(app, tmp_path):
    """甲 takes D4's 3 points for one reason, 乙 the same 3 for another: the item's score is
    the raters' mean, so it lost 3, and the notice's two rows add up to 3 (1.5 each), not 6."""
    (tmp_path / "two.yaml").write_text(TWO_REASONS, encoding="utf-8")
    data = data_of(app, load_scenario(tmp_path / "two.yaml"))
    c1 = subject(data, "C1")
    scored = [
        line["points"]
        for line in c1["explanation"]
        if line.get("indicator") == "D4" and not line.get("reason")
    ]
    d4 = rubric_of(data, "C1", "quantified").indicator("D4")
    mean_lost = d4.max_points - sum(scored) / len(scored)
    assert len(scored) == 2 and mean_lost == pytest.approx(3)
    found = deductions.lost_points(c1)
    assert sorted(found.values()) == [1.5, 1.5] and sum(found.values()) == pytest.approx(mean_lost)
    (notice,) = deductions.notice(data)
    assert sorted((row["reason"], row["points"]) for row in rows_of(notice)) == [
        ("制度执行不到位", 1.5),
        ("台账不全", 1.5),
    ]


def test_a_dujiangyan_ranking_names_its_flags_and_actions(app):
    data = data_of(app, scenario("dujiangyan_quantified", "branch_bands.yaml"))
    labels = plugin_registry(app).scheme("dujiangyan_quantified").labels
    weak = next(r for r in data.results if "weak_lax" in r["flags"])
    rows = [row for t in core.ranking(data) for row in t.rows if row["name"] == data.name_of(weak)]
    (row,) = rows
    assert "软弱涣散" in row["remarks"] and "weak_lax" not in row["remarks"]
    assert labels[weak["actions"][0]] in row["remarks"]


def test_publicity_keeps_a_flagged_top_grade_and_leaves_out_only_undecided_ones(app):
    data = data_of(app, scenario("dujiangyan_quantified", "member_months.yaml"))
    top = core.levels_of(data, "member", data.results_of("member"))[0]
    flagged = [
        r
        for r in data.results_of("member")
        if r["flags"] and core.names.level(r, data.scheme) == top
    ]
    assert flagged  # M5: excellent with fewer than six months
    listed = {row["name"] for t in core.publicity(data) for row in t.rows}
    assert {data.name_of(r) for r in flagged} <= listed
    undecided = dict(flagged[0], flags=[*flagged[0]["flags"], "quota_tie"])
    data.results = [undecided if r is flagged[0] else r for r in data.results]
    listed = {row["name"] for t in core.publicity(data) for row in t.rows}
    assert data.name_of(flagged[0]) not in listed


def test_text_a_spreadsheet_would_run_is_stored_as_text(app, client, world):
    reason = '=HYPERLINK("http://evil.example/","点击")'
    cycle = scored_cycle(app, client, world, scores=(("A-Z01", 95, [("A1", 4, reason)]),))
    for key in ("core.notice", "core.score_sheet", "core.weakness"):
        response = client.get(f"{cycle.url}/reports/{key}.xlsx", headers=world.headers["admin_a"])
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.data))
        cells = [c for s in book for row in s.iter_rows() for c in row if c.value]
        found = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert found, key
        assert any(c.value.startswith(reason) for c in found), key
        assert all(c.data_type == "s" for c in found), key
        assert not any(c.data_type == "f" for c in cells), key


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_oversight_defaults_to_the_period_ending_last_and_longest(app):
    with app.app_context(), use_scope(system_scope()):
        tenant = Tenant(id=uuid.uuid4(), code="T-PERIODS", name="县委组织部")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="county_observation"))
        db.session.commit()
        for period in ("2021Q4", "2021", "2021Q3", "2021H1"):
            cycles.open_cycle(tenant, "county_observation", period)
        assert latest_cycles([tenant.id], None)[0] == "2021"
        assert latest_cycles([tenant.id], "2021Q4")[0] == "2021Q4"


def test_the_publicity_of_a_graded_scheme_is_of_考评定级(app):
    """评星定级 where a track gives stars (akesu_college, below); 考评定级 where the levels
    are grades only (county_observation: 先进 / 达标 / 落后)."""
    county = data_of(app, scenario("county_observation", "sheets.yaml"))
    assert not any(b.stars for t in county.definition.tracks for b in t.ascending)
    (notice,) = core.publicity(county)
    assert notice.title.endswith("考评定级结果的公示") and "评星" not in notice.title


def test_the_publicity_of_a_starred_scheme_is_of_评星定级(app):
    college = data_of(app, load_scenario(sorted(SCENARIOS.glob("akesu_college/*.yaml"))[0]))
    assert any(b.stars for t in college.definition.tracks for b in t.ascending)
    (notice,) = core.publicity(college)
    assert notice.title.endswith("评星定级结果的公示")
