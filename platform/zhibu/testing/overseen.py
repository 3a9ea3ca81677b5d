"""Tenants under an overseer with a year of results, made in bulk (the oversight tests and
``bench/oversight.py``): each an akesu_college tenant with a 2021 cycle (and a 2020 one
for trends) whose current result set holds its branches and members at known levels,
and rectification items open, overdue and signed off. Results are stored as a recompute
stores them (bulk inserts), without scoring sheet by sheet: what the overview reads is
the stored results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import (
    EvaluationResult,
    OrgUnit,
    OversightLink,
    RectificationItem,
    ResultSet,
    Tenant,
    TenantScheme,
)

SCHEME = "akesu_college"


@dataclass
class Made:
    tenant_ids: list[uuid.UUID]
    subjects: int  # results per tenant and year


def level(index: int) -> int:
    """The stars of the ``index``-th subject of a tenant: 5, 4, 3, 2, 1, 3, 4, 3 …"""
    return (5, 4, 3, 2, 1, 3, 4, 3)[index % 8]


def make_overseen(
    overseer: Tenant,
    count: int,
    branches: int = 3,
    members: int = 10,
    prefix: str = "T",
    years: tuple[str, ...] = ("2020", "2021"),
) -> Made:
    """``count`` tenants overseen by ``overseer`` (run in the system scope; commits)."""
    ids = []
    for n in range(count):
        tenant = Tenant(id=uuid.uuid4(), code=f"{prefix}{n:04d}", name=f"第{n + 1}学院党委")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=SCHEME))
        db.session.add(OversightLink(overseer_id=overseer.id, overseen_id=tenant.id))
        unit = OrgUnit(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            code=f"{tenant.code}-Z01",
            name="第一党支部",
            kind="branch",
            path="/",
            depth=0,
        )
        unit.path = f"/{unit.id.hex}/"
        db.session.add(unit)
        units = [unit.id]
        for b in range(1, branches):  # a unit per branch, the same in every year
            other = OrgUnit(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                code=f"{tenant.code}-Z{b + 1:02d}",
                name=f"第{b + 1}党支部",
                kind="branch",
                path="/",
                depth=0,
            )
            other.path = f"/{other.id.hex}/"
            db.session.add(other)
            units.append(other.id)
        db.session.flush()
        for year in years:
            cycle = cycles.open_cycle(tenant, SCHEME, year)
            _results(cycle, branches, members, units)
        today = date.today()
        for status, deadline in (
            ("open", date(today.year + 1, 1, 1)),
            ("open", date(2000, 1, 1)),  # overdue
            ("signed_off", date(2000, 1, 1)),
        ):
            db.session.add(
                RectificationItem(
                    tenant_id=tenant.id,
                    org_id=unit.id,
                    origin="manual",
                    issue="组织生活会记录不全",
                    deadline=deadline,
                    status=status,
                )
            )
        ids.append(tenant.id)
        db.session.commit()
    return Made(ids, branches + members)


def _results(cycle, branches: int, members: int, units: list[uuid.UUID]) -> None:
    found = ResultSet(
        id=uuid.uuid4(),
        tenant_id=cycle.tenant_id,
        cycle_id=cycle.id,
        version_id=cycle.version_id,
        input_hash="made",
        current=True,
        subjects=branches + members,
    )
    db.session.add(found)
    db.session.flush()
    rows = []
    for index in range(branches + members):
        member = index >= branches
        stars = level(index)
        rows.append(
            {
                "tenant_id": cycle.tenant_id,
                "id": uuid.uuid4(),
                "result_set_id": found.id,
                "cycle_id": cycle.id,
                "subject_kind": "member" if member else "org",
                "subject_id": uuid.uuid4() if member else units[index % len(units)],
                "subject_code": f"S{index:05d}",
                "kind": "member" if member else "branch",
                "track": "member" if member else "branch",
                "rated": True,
                "total": 50.0 + stars * 9,
                "stars": stars,
                "grade": None,
                "titles": ["model_branch"] if stars == 5 and not member else [],
                "flags": ["missing_source"] if index % 10 == 9 else [],
                "actions": [],
                "source_scores": {},
                "explanation": [],
            }
        )
    db.session.execute(insert(EvaluationResult), rows)
