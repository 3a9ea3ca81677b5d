"""Reminders: the current phase of a cycle nearing or past its deadline, rectification
items due within the window or overdue. Written as :class:`Notification` rows, one per
thing, kind and day, so the daily job can run twice (or be retried) without repeating."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from zhibu.db import db, new_id
from zhibu.evaluations.cycles import PHASE_NAMES
from zhibu.models import Cycle, Notification, OrgUnit, RectificationItem, Tenant


def remind_tenant(tenant_id: uuid.UUID, today: date, window_days: int) -> int:
    """Leave today's reminders for one tenant; returns how many were new."""
    wanted = _phase_reminders(tenant_id, today, window_days) + _ledger_reminders(
        tenant_id, today, window_days
    )
    if not wanted:
        return 0
    rows = [
        {c: getattr(n, c) for c in ("kind", "ref", "org_id", "day", "due_on", "text")}
        | {"tenant_id": tenant_id, "id": new_id()}
        for n in wanted
    ]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    added = db.session.execute(  # a concurrent run (cron and a manual one) adds nothing twice
        dialect.insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "ref", "day"])
        .returning(Notification.id)
    ).all()
    db.session.commit()
    return len(added)


def remind_all(today: date, window_days: int) -> dict[str, int]:
    """Every active tenant's reminders (the scheduled job); new reminders per tenant code."""
    tenants = db.session.execute(select(Tenant.id, Tenant.code).where(Tenant.active)).all()
    return {code: remind_tenant(tenant_id, today, window_days) for tenant_id, code in tenants}


def _phase_reminders(tenant_id: uuid.UUID, today: date, window: int) -> list[Notification]:
    cycles = db.session.scalars(
        select(Cycle).where(Cycle.tenant_id == tenant_id, Cycle.phase != "final")
    ).all()
    found = []
    for cycle in cycles:
        deadline = cycle.deadlines.get(cycle.phase)
        if not deadline or date.fromisoformat(deadline) > today + timedelta(days=window):
            continue
        due = date.fromisoformat(deadline)
        late = due < today
        phase = PHASE_NAMES.get(cycle.phase, cycle.phase)
        found.append(
            Notification(
                tenant_id=tenant_id,
                kind="phase_overdue" if late else "phase_deadline",
                ref=f"{cycle.id}:{cycle.phase}",
                day=today,
                due_on=due,
                text=f"{cycle.label}「{phase}」阶段{'已于' if late else '将于'}{due}截止",
            )
        )
    return found


def _ledger_reminders(tenant_id: uuid.UUID, today: date, window: int) -> list[Notification]:
    rows = db.session.execute(
        select(RectificationItem, OrgUnit.name)
        .join(
            OrgUnit,
            (OrgUnit.tenant_id == RectificationItem.tenant_id)
            & (OrgUnit.id == RectificationItem.org_id),
        )
        .where(
            RectificationItem.tenant_id == tenant_id,
            RectificationItem.status != "signed_off",
            RectificationItem.deadline <= today + timedelta(days=window),
        )
    ).all()
    found = []
    for item, unit in rows:
        late = item.deadline < today
        found.append(
            Notification(
                tenant_id=tenant_id,
                kind="rectification_overdue" if late else "rectification_due",
                ref=str(item.id),
                org_id=item.org_id,
                day=today,
                due_on=item.deadline,
                text=f"{unit}：整改事项「{item.issue}」"
                f"{'已逾期（时限' if late else '将到期（时限'}{item.deadline}）",
            )
        )
    return found
