"""The recompute's own path on every backend: scores loaded as series and rows, results
stored in multi-row statements (more rows than one statement takes, and a remainder),
and what is stored is what the engine computed."""

import uuid
from dataclasses import asdict
from datetime import date

import pytest
from tiny_scheme import TINY
from world import enable_scheme

from zhibu import bulk, engine
from zhibu.db import db
from zhibu.evaluations import compute, cycles, inputs
from zhibu.models import Member, ScoreItem, ScoreSheet, Tenant
from zhibu.tenancy import system_scope, use_scope

MEMBERS = bulk.ROWS_PER_STATEMENT + 13  # one full statement and a remainder


@pytest.fixture
def cycle(app, world):
    enable_scheme(app, world.ids["A"], TINY)
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        opened = cycles.open_cycle(tenant, "tiny", "2021")
        branch = world.ids["A-Z01"]
        for i in range(MEMBERS):
            member = Member(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                org_id=branch,
                name=f"党员{i}",
                archive_code=f"S{i:03d}",
                joined_on=date(2021, 4, 1) if i % 7 == 0 else date(2000, 1, 1),
            )
            db.session.add(member)
            sheet = {"tenant_id": tenant.id, "cycle_id": opened.id, "subject_id": member.id}
            for month in range(1, 13):
                score = 60 + (i * 7 + month * 3) % 40
                db.session.add(
                    ScoreSheet(
                        **sheet,
                        subject_kind="member",
                        source="monthly",
                        score=score,
                        period=f"2021-{month:02d}",
                    )
                )
            db.session.add(
                ScoreSheet(**sheet, subject_kind="member", source="peer", score=70 + i % 30)
            )
        db.session.commit()
        yield tenant.id, opened.id


@pytest.mark.parametrize("streams", [True, False], ids=["streamed", "fetched"])
def test_stored_results_are_the_engines_results(app, cycle, streams, monkeypatch):
    monkeypatch.setattr(inputs, "STREAMS", streams and inputs.STREAMS)  # and libpq < 17's way
    tenant_id, cycle_id = cycle
    with app.app_context(), use_scope(system_scope()):
        opened = cycles.get_cycle(tenant_id, cycle_id)
        definition, settings, _ = compute.definition_for(opened)
        loaded = inputs.load(opened, definition, settings)
        kinds = {type(s) for s in loaded.cycle.scores if s.subject.startswith("S")}
        assert kinds == {engine.ScoreSeries, engine.ScoreRow}  # months as series, peer as row
        expected = {r.subject: r for r in engine.evaluate(definition, loaded.cycle)}
        compute.recompute(opened)
        stored = {r.subject_code: r for r in compute.results_of(opened)}
    members = [code for code in stored if code.startswith("S")]
    assert len(members) == MEMBERS and len({r.id for r in stored.values()}) == len(stored)
    for code, row in stored.items():
        want = expected[code]
        assert (row.total, row.stars, row.flags, row.source_scores) == (
            want.total,
            want.stars,
            want.flags,
            want.source_scores,
        )
        assert [given(line) for line in compute.explanation_of(row)] == [
            given(asdict(line)) for line in want.explanation
        ]
    assert stored["S007"].source_scores["monthly.periods"] == 9  # joined in April
    assert {r.id.version for r in stored.values()} == {7}  # time-ordered: the index's end


@pytest.mark.parametrize(
    ("joined", "left", "months"),
    [
        (date(2021, 1, 31), None, 12),  # joined within the first month: all of it
        (date(2021, 2, 1), None, 11),
        (None, date(2021, 12, 1), 12),  # left within the last month: all of it
        (None, date(2021, 11, 30), 11),
        (date(2020, 6, 1), date(2022, 3, 1), 12),
        (date(2021, 3, 15), date(2021, 10, 2), 8),
        (date(2022, 1, 1), None, 0),
    ],
)
def test_a_members_months_are_those_they_belonged_in(joined, left, months):
    found = inputs._membership(inputs.parse_period("2021").months())(joined, left)
    assert (found is None) == (months == 12)  # None: the whole cycle
    assert (12 if found is None else len(found)) == months


def given(line: dict) -> dict:
    return {field: value for field, value in line.items() if value is not None}


def test_a_sheet_with_items_stays_a_row_beside_the_series(app, cycle):
    tenant_id, cycle_id = cycle
    with app.app_context(), use_scope(system_scope()):
        sheet = db.session.scalars(
            db.select(ScoreSheet).where(ScoreSheet.period == "2021-05").limit(1)
        ).one()
        db.session.add(
            ScoreItem(
                tenant_id=tenant_id,
                sheet_id=sheet.id,
                indicator="X1",
                kind="points",
                points=5,
            )
        )
        db.session.commit()
        code = db.session.get(Member, (tenant_id, sheet.subject_id)).archive_code
        opened = cycles.get_cycle(tenant_id, cycle_id)
        definition, settings, _ = compute.definition_for(opened)
        scores = inputs.load(opened, definition, settings).cycle.scores
    own = [s for s in scores if s.subject == code]
    assert any(type(s) is engine.ScoreRow and s.items == {"X1": 5} for s in own)
    series = next(s for s in own if type(s) is engine.ScoreSeries)
    assert "2021-05" not in series.periods and len(series.periods) == 11


def test_a_month_cycle_counts_a_member_in_it_all_month_long():
    december = inputs._membership(inputs.parse_period("2021-12").months())
    assert december(date(2021, 12, 31), None) is None  # joined within it: all of it
    assert december(date(2022, 1, 1), None) == frozenset()
    assert december(None, date(2021, 12, 1)) is None  # left within it: all of it
    assert december(None, date(2021, 11, 30)) == frozenset()
    assert inputs._membership([])(date(2021, 6, 1), None) is None  # no months: all of none
