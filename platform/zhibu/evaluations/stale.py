"""Results out of date: a change of a cycle's inputs after its last recompute marks the
subjects it touches (:func:`mark`, in the writer's transaction); the recompute clears the
marks of the inputs it read (:func:`clear`); :func:`stale_subjects` counts them for the
banners, the API and the refusal to publish stale results.

A mark is an upsert that takes the mark's row: a recompute clearing the marks waits for a
writer that has marked a subject until it commits, then reads its change; a mark made
after the clearing survives it. So a change is either in the results or counted."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from zhibu.db import db
from zhibu.models import Cycle, InputChange

BATCH = 5000  # subjects per upsert


def mark(cycle: Cycle, subject_ids: Iterable[uuid.UUID]) -> None:
    """The results of these subjects of ``cycle`` are out of date (in the caller's
    transaction)."""
    ids = sorted({s for s in subject_ids if s is not None}, key=str)
    if not ids:
        return
    dialect = db.session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(ids), BATCH):
        rows = [
            {"tenant_id": cycle.tenant_id, "cycle_id": cycle.id, "subject_id": s, "changes": 1}
            for s in ids[start : start + BATCH]
        ]
        statement = insert(InputChange).values(rows)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "cycle_id", "subject_id"],
                set_={"changes": InputChange.changes + 1, "changed_at": func.now()},
            )
        )


def clear(cycle: Cycle) -> None:
    """Forget the cycle's marks: the recompute about to read its inputs (call it before
    reading them, in the recompute's transaction)."""
    db.session.execute(
        delete(InputChange).where(
            InputChange.tenant_id == cycle.tenant_id, InputChange.cycle_id == cycle.id
        )
    )


def stale_subjects(cycle: Cycle) -> int:
    """How many subjects of the cycle had an input changed since its last recompute."""
    return db.session.scalar(
        select(func.count()).where(
            InputChange.tenant_id == cycle.tenant_id, InputChange.cycle_id == cycle.id
        )
    )
