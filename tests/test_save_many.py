"""Saving many sheets at once, on every backend: more rows than one INSERT takes (and a
remainder), items kept with their sheets, the same keys replaced; and a city-sized batch
(more subjects than are looked up by id) read by the tenant's whole list instead."""

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select
from tiny_scheme import TINY
from world import enable_scheme

from zhibu import bulk
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import cycles, sheets
from zhibu.models import Member, ScoreItem, ScoreSheet, Tenant
from zhibu.tenancy import Scope, TenantScopeError, system_scope, use_scope

MEMBERS = 2 * bulk.ROWS_PER_STATEMENT + 7


@pytest.fixture
def city(app, world):
    """A cycle of the tiny scheme and a branch with more members than one INSERT takes."""
    enable_scheme(app, world.ids["A"], TINY)
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        cycle = cycles.open_cycle(tenant, "tiny", "2021")
        members = [
            Member(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                org_id=world.ids["A-Z01"],
                name=f"党员{i}",
                archive_code=f"C{i:04d}",
                joined_on=date(2000, 1, 1),
            )
            for i in range(MEMBERS)
        ]
        db.session.add_all(members)
        db.session.commit()
        yield tenant.id, cycle.id, [m.id for m in members], world.ids["A-Z02"]


def month(member_ids, score=80.0):
    return [
        sheets.SheetInput("member", ident, "monthly", period="2021-03", score=score + i % 7)
        for i, ident in enumerate(member_ids)
    ]


def branch_sheet(org_id):
    return sheets.SheetInput(
        "org",
        org_id,
        "sheet",
        "R1",
        deductions=[
            {"item": "A1", "points": 2, "reason": "会议记录缺页"},
            {"item": "A2", "points": 5, "reason": "台账不全"},
        ],
    )


def stored(cycle_id):
    rows = db.session.execute(
        select(ScoreSheet.subject_id, ScoreSheet.period, ScoreSheet.score).where(
            ScoreSheet.cycle_id == cycle_id
        )
    )
    return {(r.subject_id, r.period): r.score for r in rows}


@pytest.mark.parametrize("many", [sheets.MANY, 3], ids=["by id", "whole list"])
def test_a_batch_is_saved_whole_and_replaced_not_doubled(app, city, many, monkeypatch):
    monkeypatch.setattr(sheets, "MANY", many)  # 3: the path a city's month takes
    tenant_id, cycle_id, member_ids, org_id = city
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(tenant_id, cycle_id)
        batch = [*month(member_ids), branch_sheet(org_id)]
        assert sheets.save_many(cycle, batch) == MEMBERS + 1
        want = {(d.subject_id, d.period): d.score for d in batch}
        assert stored(cycle_id) == want
        items = db.session.execute(
            select(ScoreItem.indicator, ScoreItem.points, ScoreItem.reason, ScoreSheet.subject_id)
            .join(ScoreSheet, ScoreSheet.id == ScoreItem.sheet_id)
            .order_by(ScoreItem.indicator)
        ).all()
        assert [tuple(i) for i in items] == [
            ("A1", 2, "会议记录缺页", org_id),
            ("A2", 5, "台账不全", org_id),
        ]
        again = month(member_ids, score=60.0)
        assert sheets.save_many(cycle, again) == MEMBERS
        assert stored(cycle_id) == {
            **want,
            **{(d.subject_id, d.period): d.score for d in again},
        }
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == MEMBERS + 1
        plain = sheets.SheetInput("org", org_id, "sheet", "R1", score=70.0)
        assert sheets.save_many(cycle, [*again, plain]) == MEMBERS + 1  # items go with it
        assert stored(cycle_id)[org_id, ""] == 70.0
        assert db.session.scalar(select(func.count()).select_from(ScoreItem)) == 0
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == MEMBERS + 1


@pytest.mark.parametrize("many", [sheets.MANY, 3], ids=["by id", "whole list"])
def test_an_unknown_member_in_a_batch_is_named_and_nothing_is_saved(app, city, many, monkeypatch):
    monkeypatch.setattr(sheets, "MANY", many)
    tenant_id, cycle_id, member_ids, _ = city
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(tenant_id, cycle_id)
        batch = month([*member_ids[:10], uuid.uuid4(), *member_ids[10:]])
        with pytest.raises(ServiceError) as refused:
            sheets.save_many(cycle, batch)
        assert refused.value.errors["sheets"] == ["第 11 张评分表:没有找到这名党员。"]
        db.session.rollback()
        assert stored(cycle_id) == {}


def test_a_batch_into_a_tenant_the_scope_may_not_write_is_refused(app, city, world):
    """The driver's multi-row INSERTs pass the ORM's hooks by: they check the tenant
    themselves, and refuse as the ORM does on SQLite (not with PostgreSQL's RLS error)."""
    tenant_id, cycle_id, member_ids, _ = city
    reader = Scope.for_tenants([tenant_id, world.ids["B"]], [world.ids["B"]])
    with app.app_context(), use_scope(reader):
        cycle = cycles.get_cycle(tenant_id, cycle_id)
        with pytest.raises(TenantScopeError, match=f"bulk write names tenant {tenant_id}"):
            sheets.save_many(cycle, month(member_ids))
        db.session.rollback()
    with app.app_context(), use_scope(system_scope()):
        assert stored(cycle_id) == {}
