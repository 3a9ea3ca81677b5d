"""Issue 19: the 工作台's figures are kept as the data is written, not counted over a city's
sheets and results at each view.

- The subjects with a score sheet ("entered") are noted by every writer of sheets in its
  own transaction (``zhibu.evaluations.entered``): two first saves of one subject at once
  leave one note (PostgreSQL, each save in a thread and connection of its own, released
  together), a refused save none.
- A result set keeps its results counted by level (``ResultSet.levels``), written with the
  results: the summary read from it is the summary of the rows.
- Migration 0018 fills both for the data already stored.
- The subjects entered are counted by kind as they are first entered (``EnteredCount``):
  the counts always equal the notes counted, also after first saves of two subjects at
  once (PostgreSQL). Migration 0019 fills them for the notes already stored.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text, update
from test_sheet_race import at_once, body, slowed, tiny  # noqa: F401  (fixture)
from test_web_pages import _branch_sheets, login, seed_results

from zhibu.db import db
from zhibu.evaluations import compute, cycles, entered, sheets
from zhibu.models import (
    EnteredCount,
    EnteredSubject,
    EvaluationResult,
    Member,
    ResultSet,
    ScoreSheet,
    Tenant,
)
from zhibu.tenancy import rls, system_scope, use_scope

on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def kept(app) -> dict:
    """{(cycle, kind, subject): sheets} as kept by the writers."""
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.execute(
            select(
                EnteredSubject.cycle_id,
                EnteredSubject.subject_kind,
                EnteredSubject.subject_id,
                EnteredSubject.sheets,
            )
        )
        return {(c, k, s): n for c, k, s, n in rows}


def counted(app) -> dict:
    """{(cycle, kind, subject): sheets} counted over the sheets."""
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.execute(
            select(
                ScoreSheet.cycle_id, ScoreSheet.subject_kind, ScoreSheet.subject_id, func.count()
            ).group_by(ScoreSheet.cycle_id, ScoreSheet.subject_kind, ScoreSheet.subject_id)
        )
        return {(c, k, s): n for c, k, s, n in rows}


def entry_counts(app) -> dict:
    """{(cycle, kind): subjects} as counted by the writers."""
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.execute(
            select(EnteredCount.cycle_id, EnteredCount.subject_kind, EnteredCount.subjects)
        )
        return {(c, k): n for c, k, n in rows if n}


def notes_counted(app) -> dict:
    """{(cycle, kind): subjects} counted over the notes."""
    counts: dict = {}
    for c, k, _s in kept(app):
        counts[c, k] = counts.get((c, k), 0) + 1
    return counts


def noted(app) -> set:
    return {(c, s) for c, _k, s in kept(app)}


def with_sheets(app) -> set:
    return {(c, s) for c, _k, s in counted(app)}


def test_every_writer_notes_the_subjects_it_enters(app, world, tiny, client):  # noqa: F811
    with app.app_context():
        seed_results(world)  # sheets written in batches (save_many)
    headers = world.headers["assessor_a"]
    saved = client.post(f"{tiny}/sheets", json=body(world, ("A1", 4, "缺")), headers=headers)
    assert saved.status_code == 201  # one sheet (save_sheet)
    again = client.post(f"{tiny}/sheets", json=body(world, ("A2", 1, "缺")), headers=headers)
    assert again.status_code == 201  # the same sheet again: no sheet more
    assert kept(app) == counted(app)
    assert len(noted(app)) == 7  # six subjects in 2021 in A and B, A-Z01 in tiny
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.open_cycle(db.session.get(Tenant, world.ids["A"]), "akesu_college", "2022")
        sheets.save_many(cycle, _branch_sheets(world, "A-Z01", 80, 80, 2))
        # A-Z01's replaced (as many again), A-Z02's new
        both = _branch_sheets(world, "A-Z01", 70, 70, 1) + _branch_sheets(world, "A-Z02", 90, 90, 3)
        sheets.save_many(cycle, both)
        total = db.session.scalar(select(func.count()).where(ScoreSheet.cycle_id == cycle.id))
        assert entered.sheets(cycle) == total == len(both) and entered.subjects(cycle) == 2
        assert entered.sheets(cycle, "org") == total and entered.sheets(cycle, "member") == 0
    assert kept(app) == counted(app)
    assert len(noted(app)) == 9  # six in 2021 in A and B, A-Z01 in tiny, two in 2022
    assert entry_counts(app) == notes_counted(app)
    assert sum(entry_counts(app).values()) == 9


def test_a_refused_save_notes_nothing(app, world, tiny, client):  # noqa: F811
    headers = world.headers["assessor_a"]
    refused = client.post(
        f"{tiny}/sheets", json=body(world, ("A1", 4, "缺"), version=3), headers=headers
    )
    assert refused.status_code == 409
    assert noted(app) == set() == with_sheets(app)
    assert entry_counts(app) == {}


@on_postgres
def test_first_saves_of_one_subject_at_once_note_it_once(app, world, tiny, monkeypatch):  # noqa: F811
    slowed(monkeypatch)
    headers = world.headers["assessor_a"]
    sheet = body(world, ("A1", 4, "缺"))
    panel = {k: v for k, v in sheet.items() if k != "deductions"} | {
        "source": "panel",
        "score": 88,
    }
    answers = at_once(
        app,
        [lambda c, b=b: c.post(f"{tiny}/sheets", json=b, headers=headers) for b in (sheet, panel)],
    )
    assert [a.status_code for a in answers] == [201, 201], [a.json for a in answers]
    [(_cycle, subject_id)] = noted(app)
    assert subject_id == world.ids["A-Z01"] and kept(app) == counted(app)
    assert list(kept(app).values()) == [2]
    assert list(entry_counts(app).values()) == [1]


@on_postgres
def test_first_saves_of_two_subjects_at_once_count_both(app, world, tiny, monkeypatch):  # noqa: F811
    """Both saves make a subject's note and add to the one count of their kind: they take
    its row in turn, and neither addition is lost."""
    slowed(monkeypatch)
    headers = world.headers["assessor_a"]
    sheets_ = [
        body(world, ("A1", 4, "缺")),
        body(world, ("A1", 2, "缺"), subject_id=world.id("A-Z02")),
    ]
    answers = at_once(
        app,
        [lambda c, b=b: c.post(f"{tiny}/sheets", json=b, headers=headers) for b in sheets_],
    )
    assert [a.status_code for a in answers] == [201, 201], [a.json for a in answers]
    assert len(noted(app)) == 2 and kept(app) == counted(app)
    assert list(entry_counts(app).values()) == [2] == list(notes_counted(app).values())


def test_the_dashboard_shows_the_subjects_entered(app, world, client):
    with app.app_context():
        seed_results(world)
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/dashboard")
    shown = re.search(r'<p class="big">(\d+) / (\d+)</p>', page.text)
    assert shown and shown.group(1) == "4"  # A-Z01, A-Z02, A-M1, A-M2 of 2021


def test_score_entry_is_measured_against_the_rated_subjects(app, world, client):
    """A retired branch (A-Z09, 离退休: listed, not rated) is neither expected nor counted
    as entered, even with a sheet: the figure reaches the total when every rated subject
    has one."""
    with app.app_context():
        cycle_id = seed_results(world)["A"]
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/dashboard"
    assert entry_figure(client.get(url).text) == ("4", "4")
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], cycle_id)
        entered.add(cycle, {("org", world.ids["A-Z09"]): 2})
        db.session.commit()
    assert entry_figure(client.get(url).text) == ("4", "4")
    with app.app_context(), use_scope(system_scope()):  # a member who left, with sheets
        db.session.execute(
            update(Member).where(Member.id == world.ids["A-M2"]).values(active=False)
        )
        db.session.commit()
    assert entry_figure(client.get(url).text) == ("3", "3")


def test_score_entry_counts_the_members_the_results_rate(app, world, client):
    """The 工作台's 评分录入 counts members as the engine rates them, so that it agrees
    with the results' 参评: one who left during the cycle is rated on the months they were
    in (with their sheets, entered); one who left before it, a retired one (离退休) and an
    exempt one, and one in a 离退休 unit are not (each group found from an index)."""
    with app.app_context():
        cycle_id = seed_results(world)["A"]
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/dashboard"

    def member(**values) -> tuple[tuple[str, str], int]:
        with app.app_context(), use_scope(system_scope()):
            db.session.execute(update(Member).where(Member.id == world.ids["A-M2"]).values(values))
            db.session.commit()
            cycle = cycles.get_cycle(world.ids["A"], cycle_id)
            compute.recompute(cycle)
            rated = db.session.scalar(
                select(func.count())
                .select_from(EvaluationResult)
                .join(ResultSet, ResultSet.id == EvaluationResult.result_set_id)
                .where(ResultSet.cycle_id == cycle_id, ResultSet.current, EvaluationResult.rated)
            )
        return entry_figure(client.get(url).text), rated

    assert member(active=False, left_on=date(2021, 6, 30)) == (("4", "4"), 4)
    assert member(left_on=date(2020, 12, 31)) == (("3", "3"), 3)
    assert member(active=True, left_on=None, category="retired") == (("3", "3"), 3)
    assert member(category="serving", exempt=True) == (("3", "3"), 3)
    assert member(exempt=False) == (("4", "4"), 4)
    assert member(org_id=world.ids["A-Z09"]) == (("3", "3"), 3)  # a 离退休 unit's member


def entry_figure(page: str) -> tuple[str, str]:
    shown = re.search(r'<p class="big">(\d+) / (\d+)</p>', page)
    assert shown, page
    return shown.groups()


def test_incomplete_results_are_counted_apart_from_the_unrated(app, world, client):
    """评分不全 (rated, no level yet) is a column of its own on the 工作台, linked to those
    results, as on 确认发布; 不参评 counts only the subjects not rated."""
    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            cycle = cycles.get_cycle(world.ids["A"], cycle_id)
            result_set = compute.current_set(cycle)
            db.session.execute(
                update(EvaluationResult)
                .where(
                    EvaluationResult.result_set_id == result_set.id,
                    EvaluationResult.subject_id == world.ids["A-Z02"],
                )
                .values(stars=None, grade=None, total=None)
            )
            result_set.levels = compute.count_levels(result_set)
            db.session.commit()
            rows = db.session.scalars(
                select(EvaluationResult).where(EvaluationResult.result_set_id == result_set.id)
            ).all()
            branch = next(r.track for r in rows if r.subject_id == world.ids["A-Z02"])
            track = compute.summary(cycle)["tracks"][branch]
            of_track = [r for r in rows if r.track == branch]
    assert track["missing"] == 1
    assert track["not_rated"] == sum(1 for r in of_track if not r.rated)
    assert track["rated"] == len(of_track) - 1 - track["not_rated"]
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/dashboard").text
    assert (
        f"track={branch}&amp;level=missing" in page or f"level=missing&amp;track={branch}" in page
    )


def test_vetoed_results_are_counted_apart_from_the_incomplete(app, world, client):
    """A vetoed result (一票否决: rated, the level cancelled) is not 评分不全: the 工作台
    counts it as taking part and lists it in the distribution, linked to those results."""
    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            cycle = cycles.get_cycle(world.ids["A"], cycle_id)
            result_set = compute.current_set(cycle)
            before = compute.summary(cycle)["tracks"]
            veto(result_set, "A-Z01")
            branch = db.session.scalar(
                select(EvaluationResult.track).where(
                    EvaluationResult.result_set_id == result_set.id,
                    EvaluationResult.subject_id == world.ids["A-Z01"],
                )
            )
            track = compute.summary(cycle)["tracks"][branch]
    assert track["vetoed"] == 1 and track["missing"] == before[branch]["missing"] == 0
    assert track["rated"] == before[branch]["rated"] - 1
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/dashboard").text
    row = (
        page.split(f"track={branch}", 1)[0].rsplit("<tr>", 1)[1]
        + page.split(f"track={branch}", 1)[1].split("</tr>", 1)[0]
    )
    assert "一票否决: 1" in row and "flag=vetoed" in row
    assert f"<td>{track['rated'] + 1}</td>" in row  # 参评: the vetoed took part


def stored_and_counted(app, world, cycle_id) -> tuple[list, list, dict, dict]:
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], cycle_id)
        result_set = compute.current_set(cycle)
        rows = db.session.scalars(
            select(EvaluationResult).where(EvaluationResult.result_set_id == result_set.id)
        ).all()
        return (
            result_set.levels,
            compute.count_levels(result_set),
            compute.summary(cycle),
            compute.summary(cycle, results=rows),
        )


def summary_total(summary: dict) -> int:
    return sum(t["rated"] + t["missing"] + t["not_rated"] for t in summary["tracks"].values())


def key(groups: list) -> list:
    return sorted(groups, key=repr)


def test_a_result_set_keeps_its_results_counted_by_level(app, world):
    with app.app_context():
        cycle_id = seed_results(world)["A"]
    levels, counted, summary, of_rows = stored_and_counted(app, world, cycle_id)
    assert levels is not None and key(levels) == key(counted)
    assert sum(g["count"] for g in levels) == summary_total(of_rows) > 0
    assert summary == of_rows


def test_a_set_written_without_its_counts_is_counted(app, world):
    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            db.session.execute(update(ResultSet).values(levels=None))
            db.session.commit()
    levels, counted, summary, of_rows = stored_and_counted(app, world, cycle_id)
    assert levels is None and summary == of_rows and counted


@on_postgres
def test_migration_0018_fills_the_notes_and_the_counts_of_stored_data(app, world):
    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            expected_levels = key(
                [  # as 0018 counted them (0019 tells the vetoed apart)
                    {k: v for k, v in g.items() if k != "vetoed"}
                    for g in compute.level_groups(cycles.get_cycle(world.ids["A"], cycle_id))
                ]
            )
        db.session.remove()
        db.engine.dispose()
        downgrade(revision="0017")
        upgrade(revision="0018")
        db.engine.dispose()
    assert noted(app) == with_sheets(app) and len(noted(app)) == 6
    with app.app_context(), use_scope(system_scope()):
        result_set = compute.current_set(cycles.get_cycle(world.ids["A"], cycle_id))
        assert key(result_set.levels) == expected_levels
        sets = db.session.scalar(select(func.count()).where(ResultSet.levels.is_(None)))
        assert sets == 0
    assert len({s for c, s in noted(app) if c == cycle_id}) == 4  # A's (0018 has no counts)
    with app.app_context():  # back to the head, whose tables the teardown empties
        db.session.remove()
        upgrade()


@on_postgres
def test_migration_0019_counts_the_subjects_already_entered_and_the_vetoed(app, world):
    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            cycle = cycles.get_cycle(world.ids["A"], cycle_id)
            veto(compute.current_set(cycle), "A-M1")
            expected_levels = key(compute.count_levels(compute.current_set(cycle)))
            assert any(g["vetoed"] for g in expected_levels)
        db.session.remove()
        db.engine.dispose()
        downgrade(revision="0018")
        # as if the secret key changed with this upgrade: the all-tenant test still holds
        # the old key's digest until the upgrade ends, so 0019 writes the new one first
        with db.engine.begin() as connection:
            connection.execute(text(rls.key_function_sql("the key before")))
        upgrade(revision="0019")
        db.engine.dispose()
    assert entry_counts(app) == notes_counted(app)
    assert sum(entry_counts(app).values()) == 6  # A-Z01, A-Z02, A-M1, A-M2 and two in B
    with app.app_context(), use_scope(system_scope()):
        result_set = compute.current_set(cycles.get_cycle(world.ids["A"], cycle_id))
        assert key(result_set.levels) == expected_levels


def veto(result_set: ResultSet, code: str) -> None:
    """Make the result of ``code`` vetoed, as ``engine.rules.apply_veto`` leaves it (no
    level, the flag), and count the set's levels again (as a recompute would)."""
    db.session.execute(
        update(EvaluationResult)
        .where(
            EvaluationResult.result_set_id == result_set.id,
            EvaluationResult.subject_code == code,
        )
        .values(stars=None, grade=None, flags=["vetoed"])
    )
    result_set.levels = compute.count_levels(result_set)
    db.session.commit()
