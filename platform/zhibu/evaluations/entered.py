"""The subjects with score sheets in a cycle, and how many each has: what the 工作台's
"entered" and the sheets' list count.

Every write of sheets adds what it wrote (and takes away what it replaced) here in its own
transaction (:func:`add`), so a count (:func:`subjects`, :func:`sheets`) reads one narrow
row per subject instead of every sheet of the cycle (a city's cycle holds some 780,000).
An addition is an upsert that takes the subject's row: writers of one subject's sheets
add in turn, and a write rolled back adds nothing. Sheets are only ever replaced, never
removed without a new one for the same subject, so a subject once entered stays entered;
the rows go with their cycle.

The rows are counted too, by kind (``EnteredCount``): an addition that makes a subject's
row adds one to its kind's count, in the same transaction. Writers of first sheets of one
cycle take that count's row in turn; later sheets of a subject do not touch it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from zhibu.db import db
from zhibu.models import Cycle, EnteredCount, EnteredSubject, Member, OrgUnit

BATCH = 5000  # subjects per statement
KINDS = {"org", "member"}  # the subjects' kinds


def add(cycle: Cycle, sheets: Mapping[tuple[str, uuid.UUID], int]) -> None:
    """``sheets[(subject_kind, subject_id)]`` more sheets of these subjects in ``cycle``
    (in the caller's transaction; fewer when negative)."""
    keys = sorted(sheets, key=lambda k: str(k[1]))  # one order: writers never wait in a circle
    if not keys:
        return
    dialect = db.session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    made: Counter[str] = Counter()
    added = {subject_id: n for (_kind, subject_id), n in sheets.items()}
    for start in range(0, len(keys), BATCH):
        rows = [
            {
                "tenant_id": cycle.tenant_id,
                "cycle_id": cycle.id,
                "subject_id": subject_id,
                "subject_kind": kind,
                "sheets": sheets[kind, subject_id],
            }
            for kind, subject_id in keys[start : start + BATCH]
        ]
        statement = insert(EnteredSubject).values(rows)
        written = db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "cycle_id", "subject_id"],
                set_={"sheets": EnteredSubject.sheets + statement.excluded.sheets},
            ).returning(
                EnteredSubject.subject_kind, EnteredSubject.subject_id, EnteredSubject.sheets
            )
        )
        # a row it made holds just what it added: a row already there held one sheet or more
        made.update(kind for kind, subject_id, n in written if n > 0 and n == added[subject_id])
    _count(cycle, made, insert)


def _count(cycle: Cycle, made: Counter[str], insert) -> None:
    """Add ``made[kind]`` new subjects to the cycle's counts (kinds in one order)."""
    if not made:
        return
    rows = [
        {"tenant_id": cycle.tenant_id, "cycle_id": cycle.id, "subject_kind": k, "subjects": n}
        for k, n in sorted(made.items())
    ]
    statement = insert(EnteredCount).values(rows)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "cycle_id", "subject_kind"],
            set_={"subjects": EnteredCount.subjects + statement.excluded.subjects},
        )
    )


def _of(cycle: Cycle, subject_kind: str | None):
    where = [EnteredSubject.tenant_id == cycle.tenant_id, EnteredSubject.cycle_id == cycle.id]
    if subject_kind:
        where.append(EnteredSubject.subject_kind == subject_kind)
    return where


def _counted(cycle: Cycle, kinds: set[str]):
    """The kept count of the subjects of ``kinds`` with a score sheet in ``cycle``."""
    return select(func.coalesce(func.sum(EnteredCount.subjects), 0)).where(
        EnteredCount.tenant_id == cycle.tenant_id,
        EnteredCount.cycle_id == cycle.id,
        EnteredCount.subject_kind.in_(sorted(kinds)),
    )


def subjects(cycle: Cycle, subject_kind: str | None = None) -> int:
    """How many subjects (of ``subject_kind``) have at least one score sheet in ``cycle``:
    the kept count, one row per kind."""
    return db.session.scalar(_counted(cycle, {subject_kind} if subject_kind else KINDS))


def sheets(cycle: Cycle, subject_kind: str | None = None) -> int:
    """How many score sheets ``cycle`` holds (about subjects of ``subject_kind``)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(EnteredSubject.sheets), 0)).where(*_of(cycle, subject_kind))
    )


def _rated_unit(kinds: set[str]):
    """The condition on ``OrgUnit`` of a unit the cycle rates: active, of ``kinds``, neither
    retired (离退休) nor exempt (暂不列入星级管理): those are listed, not rated."""
    return and_(
        OrgUnit.status == "active",
        OrgUnit.kind.in_(kinds - {"member"}),
        OrgUnit.retired.is_(False),
        OrgUnit.exempt.is_(False),
    )


def _flagged():
    """The condition on ``Member`` of a member never rated, whatever the cycle: retired
    (离退休, their category) or exempt; written as ``ix_members_flagged`` is (a literal, not
    a parameter: a prepared statement's generic plan must see that the index applies)."""
    return or_(Member.category == literal_column("'retired'"), Member.exempt)


def _member_groups(cycle: Cycle) -> tuple[list, list]:
    """(the members the cycle rates, those it does not), each as conditions on ``Member``
    whose counts add up: the engine's inputs (``evaluations.inputs``) rate the active
    members and those who left during the cycle (on the months they were in), neither
    retired (by category, or in a 离退休 unit) nor exempt. Each group is found from an
    index (active, left, flagged, by unit), never by reading every member's row."""
    retired_units = select(OrgUnit.id).where(  # ix_org_units_retired
        OrgUnit.tenant_id == cycle.tenant_id, OrgUnit.retired
    )
    in_retired = Member.org_id.in_(retired_units)
    left_rated = and_(
        Member.left_on.is_not(None),
        Member.left_on >= cycle.starts_on,
        ~_flagged(),
        Member.org_id.not_in(retired_units),
    )
    not_rated = [
        (Member.active, _flagged()),
        (Member.active, ~_flagged(), in_retired),
        (~Member.active, ~left_rated),
    ]
    return [(Member.active,), (~Member.active, left_rated)], not_rated


def progress(cycle: Cycle, kinds: set[str]) -> tuple[int, int]:
    """(entered, rated): how many subjects the cycle rates — active units of ``kinds``
    (:func:`_rated_unit`) and, if "member" is one, the members it rates
    (:func:`_member_groups`): the 参评 of its results — and how many of them have a score
    sheet. A subject not rated does not count with its sheets, so the first reaches the
    second exactly when every rated subject has a sheet.

    One statement: the counts of subjects with sheets, less the few not rated (looked up by
    key), and the rated counted from indexes."""
    E = EnteredSubject

    def has_sheets(model):
        return (
            select(E.subject_id)
            .where(
                E.tenant_id == model.tenant_id,
                E.cycle_id == cycle.id,
                E.subject_id == model.id,
                E.sheets > 0,
            )
            .exists()
        )

    def count(model, *where):
        return (
            select(func.count()).where(model.tenant_id == cycle.tenant_id, *where).scalar_subquery()
        )

    counted = KINDS if "member" in kinds else {"org"}
    entered = _counted(cycle, counted).scalar_subquery() - count(
        OrgUnit, ~_rated_unit(kinds), has_sheets(OrgUnit)
    )
    rated = count(OrgUnit, _rated_unit(kinds))
    if "member" in kinds:
        rating, not_rated = _member_groups(cycle)
        active, left = rating
        rated = rated + count(Member, *active) + count(Member, *left)
        rated -= count(Member, *not_rated[0]) + count(Member, *not_rated[1])
        for group in not_rated:
            entered -= count(Member, *group, has_sheets(Member))
    row = db.session.execute(select(entered, rated)).one()
    return row[0], row[1]
