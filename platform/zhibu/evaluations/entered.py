"""Subjects with at least one score sheet in a cycle: what the 工作台's "entered" counts.

Every write of sheets notes its subjects here in its own transaction (:func:`note`), so the
count (:func:`count`) reads one narrow row per subject instead of every sheet of the cycle
(a city's cycle holds some 780,000). A note is an insert that does nothing when the row is
there: two first saves of one subject at once leave one row, and a save rolled back leaves
none. Sheets are only ever replaced, never removed without a new one for the same subject,
so a subject once entered stays entered; the rows go with their cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from zhibu.db import db
from zhibu.models import Cycle, EnteredSubject

BATCH = 5000  # subjects per statement


def note(cycle: Cycle, subject_ids: Iterable[uuid.UUID]) -> None:
    """These subjects have a sheet in ``cycle`` (in the caller's transaction)."""
    ids = sorted(set(subject_ids), key=str)  # one order: two writers never wait in a circle
    if not ids:
        return
    dialect = db.session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(ids), BATCH):
        rows = [
            {"tenant_id": cycle.tenant_id, "cycle_id": cycle.id, "subject_id": s}
            for s in ids[start : start + BATCH]
        ]
        db.session.execute(insert(EnteredSubject).values(rows).on_conflict_do_nothing())


def count(cycle: Cycle) -> int:
    """How many subjects have at least one score sheet in ``cycle``."""
    return db.session.scalar(
        select(func.count()).where(
            EnteredSubject.tenant_id == cycle.tenant_id, EnteredSubject.cycle_id == cycle.id
        )
    )
