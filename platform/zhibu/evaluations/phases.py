"""Which inputs a cycle takes in which phase, and an administrator's reopening: the one
module every write path of a cycle's inputs asks (score sheets, totals, month entries,
workbook uploads, incidents, activity records; pages, API and commands alike).

A cycle runs 自评 → 考核评分 → 审核评定 → 结果公示 → 确定结果. Each input closes after a
phase: a scheme names it in ``Scheme.input_phases`` (source key, or ``incidents`` /
``records``); otherwise a source the branch enters (its self-assessment, its months)
closes after 自评 and every other source, and the facts, after 考核评分. Nothing is taken
after 审核评定. An input is taken up to and including its phase.

After its phase a write is refused with :class:`Conflict` (HTTP 409) naming the phase and
how to reopen, before anything is written. A tenant administrator may reopen the cycle's
inputs, or one subject's, with a reason (:func:`reopen`), and close them again
(:func:`close`); both are in the audit log with who and why. A unit reopened takes its
month sheets again too (a unit's month enters its members' months: whoever the sheet
lists); its members' own sheets stay closed unless reopened themselves. A final cycle is never
reopened here (its results do not change again).

Writers hold a share lock on the cycle's row (:func:`lock`) for their transaction, and a
phase change or a reopening takes the row exclusively (:func:`lock_for_change`): a write
checked against one phase never lands after the phase moved on. The lock is a key share,
which a recompute's lock does not wait for (nor it for them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.audit import record
from zhibu.db import db
from zhibu.engine.scheme import INPUT_PHASES, Scheme
from zhibu.errors import Conflict, ServiceError
from zhibu.i18n import _, _l
from zhibu.models import PHASES, Cycle

PHASE_NAMES = {
    "self_assessment": _l("自评"),
    "assessment": _l("考核评分"),
    "review": _l("审核评定"),
    "publicity": _l("结果公示"),
    "final": _l("确定结果"),
}
FACTS = {"incidents": _l("否决和降级事件"), "records": _l("组织生活记录")}


def lock(cycle: Cycle) -> Cycle:
    """Re-read the cycle's phase and reopenings under a share lock held to the end of the
    transaction (PostgreSQL; SQLite writes one at a time anyway)."""
    try:
        db.session.refresh(cycle, with_for_update={"read": True, "key_share": True})
    except InvalidRequestError:
        # a scope that may only read the tenant cannot lock its rows (row-level security
        # hides them from a lock): read it plainly; its write is refused further on
        db.session.refresh(cycle)
    return cycle


def lock_for_change(cycle: Cycle) -> Cycle:
    """Take the cycle's row for a phase change or a reopening: waits for the writes
    under way (:func:`lock`), and later ones wait for it."""
    db.session.refresh(cycle, with_for_update=True)
    return cycle


def scheme_of(cycle: Cycle) -> Scheme | None:
    return plugins.registry().schemes.get(cycle.scheme_key)


def closes_after(scheme: Scheme | None, source) -> str:
    """The last phase that takes ``source`` (an engine source, or ``incidents`` /
    ``records``)."""
    key = source if isinstance(source, str) else source.key
    declared = scheme.input_phases.get(key) if scheme is not None else None
    if declared:
        return declared
    if isinstance(source, str):
        return "assessment"
    return "self_assessment" if policy.branch_enters(scheme, source) else "assessment"


def _within(cycle: Cycle, last: str) -> bool:
    last = last if last in INPUT_PHASES else INPUT_PHASES[-1]
    return PHASES.index(cycle.phase) <= PHASES.index(last)


def reopened_subjects(cycle: Cycle) -> dict[str, dict]:
    return dict((cycle.reopened or {}).get("subjects") or {})


def cycle_reopened(cycle: Cycle) -> dict | None:
    return (cycle.reopened or {}).get("cycle")


def is_open(cycle: Cycle, source, subject_id: uuid.UUID | None = None) -> bool:
    """Whether the cycle takes ``source`` (of ``subject_id``) now."""
    if cycle.phase == "final":
        return False
    if _within(cycle, closes_after(scheme_of(cycle), source)) or cycle_reopened(cycle):
        return True
    return subject_id is not None and str(subject_id) in reopened_subjects(cycle)


def may_take(cycle: Cycle, source) -> bool:
    """Whether a page entering ``source`` for many subjects takes anything now: the
    source's phase, the cycle reopened, or one of its subjects reopened."""
    return is_open(cycle, source) or (cycle.phase != "final" and bool(reopened_subjects(cycle)))


def check(
    cycle: Cycle, source, subject_ids: Iterable[uuid.UUID] = (), unit_id: uuid.UUID | None = None
) -> None:
    """Refuse (409) a write of ``source`` (an engine source, or ``incidents`` /
    ``records``) for these subjects unless the cycle takes it now; the message names the
    phase and how to reopen. ``unit_id``: the unit whose month sheet is written (reopened,
    it takes the sheet whoever is on it). Call it after :func:`lock`."""
    if cycle.phase == "final":
        raise Conflict(
            _(
                "周期 %(cycle)s 已确定结果,不能再修改。如确需修改,请管理员先重新开启"
                "该周期并说明原因。",
                cycle=cycle.label,
            ),
            field="phase",
        )
    if _within(cycle, closes_after(scheme_of(cycle), source)) or cycle_reopened(cycle):
        return
    subject_ids = list(subject_ids)
    opened = reopened_subjects(cycle)
    if unit_id is not None and str(unit_id) in opened:
        return
    closed = [s for s in subject_ids if str(s) not in opened]
    if not closed and subject_ids:
        return
    last = closes_after(scheme_of(cycle), source)
    title = FACTS[source] if isinstance(source, str) else source.title
    raise Conflict(
        _(
            "周期 %(cycle)s 现处于“%(phase)s”阶段,“%(input)s”的录入已于“%(last)s”阶段"
            "结束,不能再修改。如需修改,请管理员在周期页面重新开放录入(本周期或该对象)"
            "并说明原因。",
            cycle=cycle.label,
            phase=PHASE_NAMES[cycle.phase],
            input=title,
            last=PHASE_NAMES[min(last, "review", key=PHASES.index)],
        ),
        field="phase",
    )


def check_entry(
    cycle: Cycle,
    subject_kind: str,
    source_key: str,
    subject_ids: Iterable[uuid.UUID] = (),
    unit_id: uuid.UUID | None = None,
) -> None:
    """:func:`lock` and :func:`check` for the source ``source_key`` of the track rating
    ``subject_kind`` (a unit's kind, or ``member``): for an entry service that may write
    nothing (an unchanged workbook is refused in a closed phase all the same); ``unit_id``:
    the unit whose month sheet it writes."""
    from zhibu.evaluations.compute import definition_for  # compute imports cycles, then this

    lock(cycle)
    track = definition_for(cycle)[0].track_of_kind(subject_kind)
    source = track.source(source_key) if track else None
    if source is not None:
        check(cycle, source, subject_ids, unit_id)


def _actor_name(actor) -> str:
    if actor is None:
        return ""
    return str(getattr(actor, "username", actor))


def reopen(cycle: Cycle, *, subject_id: uuid.UUID | None = None, reason: str, actor=None) -> Cycle:
    """Take inputs again after their phase, for the whole cycle or one subject of it, for
    a stated ``reason``; ``actor`` (a user or a name) is recorded with it in the audit log.
    Refused for a final cycle."""
    if not (reason or "").strip():
        raise ServiceError(_("请说明重新开放录入的原因。"), field="reason")
    lock_for_change(cycle)
    if cycle.phase == "final":
        raise Conflict(_("周期已确定结果,不能重新开放录入。"), field="phase")
    entry = {
        "reason": reason.strip(),
        "by": _actor_name(actor),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    before = dict(cycle.reopened or {})
    after = dict(before)
    if subject_id is None:
        after["cycle"] = entry
    else:
        after["subjects"] = {**reopened_subjects(cycle), str(subject_id): entry}
    cycle.reopened = after
    record(
        db.session,
        action="reopen_inputs",
        entity="cycles",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        before={"phase": cycle.phase, "reopened": before},
        after={
            "phase": cycle.phase,
            "subject_id": str(subject_id) if subject_id else None,
            "reason": entry["reason"],
            "by": entry["by"],
        },
    )
    db.session.commit()
    return cycle


def close(
    cycle: Cycle, *, subject_id: uuid.UUID | None = None, reason: str = "", actor=None
) -> Cycle:
    """Close a reopening again (the cycle's, or one subject's); audited."""
    lock_for_change(cycle)
    before = dict(cycle.reopened or {})
    after = dict(before)
    if subject_id is None:
        after.pop("cycle", None)
    else:
        subjects = reopened_subjects(cycle)
        subjects.pop(str(subject_id), None)
        after["subjects"] = subjects
    if after == before:
        raise Conflict(_("没有已重新开放的录入可关闭。"), field="subject_id")
    cycle.reopened = after
    record(
        db.session,
        action="close_inputs",
        entity="cycles",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        before={"reopened": before},
        after={
            "subject_id": str(subject_id) if subject_id else None,
            "reason": (reason or "").strip(),
            "by": _actor_name(actor),
        },
    )
    db.session.commit()
    return cycle


def cycles_of_tenant(tenant_id: uuid.UUID, day=None) -> list[Cycle]:
    """The tenant's cycles (whose period holds ``day``, if given: the cycles an incident
    or a record of that day feeds), share-locked like :func:`lock`."""
    query = select(Cycle).where(Cycle.tenant_id == tenant_id)
    if day is not None:
        query = query.where(Cycle.starts_on <= day, Cycle.ends_on >= day)
    locked = query.with_for_update(read=True, key_share=True)
    return list(db.session.scalars(locked.execution_options(populate_existing=True)))


def cycles_fed_by(tenant_id: uuid.UUID, day) -> list[Cycle]:
    return cycles_of_tenant(tenant_id, day)


def check_fact(
    tenant_id: uuid.UUID, kind: str, day, subject_ids: Iterable[uuid.UUID]
) -> list[Cycle]:
    """Refuse (409) an incident or record (``kind``: ``incidents`` / ``records``) dated
    ``day`` about these subjects if a cycle it feeds no longer takes it; returns the
    cycles it feeds (to mark their results out of date)."""
    subject_ids = list(subject_ids)
    fed = cycles_fed_by(tenant_id, day)
    for cycle in fed:
        check(cycle, kind, subject_ids)
    return fed
