"""The rectification ledger (整改台账): items raised from deductions, from the actions a
result carries, or by hand; 回头看 follow-ups; sign-off (销号) by someone other than the
person who raised the item; overdue items flagged."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Select, select

from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.evaluations.sheets import subject_row
from zhibu.models import (
    EvaluationResult,
    FollowUp,
    Member,
    RectificationItem,
    ScoreItem,
    ScoreSheet,
)
from zhibu.tenancy.scope import current_scope

ACTION_ISSUES = {
    "rectification_plan": "星级评定结果为两星及以下,制定整改方案 / rectification plan",
}


def get_item(tenant_id: uuid.UUID, item_id: uuid.UUID) -> RectificationItem:
    item = db.session.get(RectificationItem, (tenant_id, item_id))
    if item is None:
        raise NotFound(f"no rectification item {item_id} in this tenant")
    return item


def _unit_of(
    tenant_id: uuid.UUID, kind: str, subject_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID | None]:
    row = subject_row(tenant_id, kind, subject_id)
    return (row.org_id, row.id) if isinstance(row, Member) else (row.id, None)


def raise_item(
    tenant_id: uuid.UUID,
    *,
    org_id: uuid.UUID,
    issue: str,
    deadline: date,
    measure: str = "",
    responsible: str = "",
    member_id: uuid.UUID | None = None,
    cycle_id: uuid.UUID | None = None,
    origin: str = "manual",
    origin_ref: str = "",
) -> RectificationItem:
    if not issue.strip():
        raise ServiceError("say what is to be rectified (整改事项)", field="issue")
    subject_row(tenant_id, "org", org_id)
    item = RectificationItem(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        org_id=org_id,
        member_id=member_id,
        cycle_id=cycle_id,
        origin=origin,
        origin_ref=origin_ref,
        issue=issue,
        measure=measure,
        deadline=deadline,
        responsible=responsible,
        raised_by=current_scope().user_id,
    )
    db.session.add(item)
    db.session.commit()
    return item


def raise_from_deduction(
    tenant_id: uuid.UUID,
    deduction_id: uuid.UUID,
    *,
    deadline: date,
    measure: str = "",
    responsible: str = "",
) -> RectificationItem:
    """One item per deduction, naming the indicator and the reason it lost points."""
    deduction = db.session.get(ScoreItem, (tenant_id, deduction_id))
    if deduction is None or deduction.kind != "deduction":
        raise NotFound(f"no deduction {deduction_id} in this tenant", field="deduction_id")
    sheet = db.session.get(ScoreSheet, (tenant_id, deduction.sheet_id))
    ref = f"deduction:{deduction.id}"
    _refuse_duplicate(tenant_id, ref)
    org_id, member_id = _unit_of(tenant_id, sheet.subject_kind, sheet.subject_id)
    issue = f"{deduction.indicator} 扣 {deduction.points:g} 分:{deduction.reason}"
    return raise_item(
        tenant_id,
        org_id=org_id,
        member_id=member_id,
        cycle_id=sheet.cycle_id,
        issue=issue,
        deadline=deadline,
        measure=measure,
        responsible=responsible,
        origin="deduction",
        origin_ref=ref,
    )


def unit_of_deduction(tenant_id: uuid.UUID, deduction_id: uuid.UUID) -> uuid.UUID:
    """The unit a deduction was made against (a member's: their unit)."""
    deduction = db.session.get(ScoreItem, (tenant_id, deduction_id))
    if deduction is None or deduction.kind != "deduction":
        raise NotFound(f"no deduction {deduction_id} in this tenant", field="deduction_id")
    sheet = db.session.get(ScoreSheet, (tenant_id, deduction.sheet_id))
    return _unit_of(tenant_id, sheet.subject_kind, sheet.subject_id)[0]


def raise_from_result(
    tenant_id: uuid.UUID,
    result_id: uuid.UUID,
    action: str,
    *,
    deadline: date,
    measure: str = "",
    responsible: str = "",
) -> RectificationItem:
    """An item for an action a result carries (e.g. ``rectification_plan``)."""
    result = db.session.get(EvaluationResult, (tenant_id, result_id))
    if result is None:
        raise NotFound(f"no result {result_id} in this tenant", field="result_id")
    if action not in result.actions:
        raise ServiceError(
            f"the result of {result.subject_code} carries no action {action!r}", field="action"
        )
    ref = f"action:{result.cycle_id}:{result.subject_id}:{action}"
    _refuse_duplicate(tenant_id, ref)
    org_id, member_id = _unit_of(tenant_id, result.subject_kind, result.subject_id)
    issue = ACTION_ISSUES.get(action, action)
    return raise_item(
        tenant_id,
        org_id=org_id,
        member_id=member_id,
        cycle_id=result.cycle_id,
        issue=f"{result.subject_code}: {issue}",
        deadline=deadline,
        measure=measure,
        responsible=responsible,
        origin="action",
        origin_ref=ref,
    )


def _refuse_duplicate(tenant_id: uuid.UUID, ref: str) -> None:
    if db.session.scalar(
        select(RectificationItem.id).where(
            RectificationItem.tenant_id == tenant_id, RectificationItem.origin_ref == ref
        )
    ):
        raise Conflict("an item was already raised for this", field="origin_ref")


def follow_up(
    item: RectificationItem, *, checked_on: date, finding: str, satisfactory: bool
) -> FollowUp:
    """Record a 回头看 check; a satisfactory one marks the item rectified."""
    if item.status == "signed_off":
        raise Conflict("the item is signed off (销号); raise a new one")
    if not finding.strip():
        raise ServiceError("say what the check found", field="finding")
    check = FollowUp(
        tenant_id=item.tenant_id,
        item_id=item.id,
        checked_on=checked_on,
        finding=finding,
        satisfactory=satisfactory,
        user_id=current_scope().user_id,
    )
    db.session.add(check)
    item.status = "rectified" if satisfactory else "open"
    db.session.commit()
    return check


def sign_off(item: RectificationItem) -> RectificationItem:
    """销号: after a satisfactory check, by someone other than whoever raised the item."""
    user = current_scope().user_id
    if item.status == "signed_off":
        raise Conflict("the item is already signed off")
    if item.status != "rectified":
        raise Conflict("sign off only after a satisfactory follow-up check (回头看)")
    if user is None or user == item.raised_by:
        raise Conflict(
            "the item must be signed off by someone other than whoever raised it",
            field="signed_off_by",
        )
    item.status, item.signed_off_by = "signed_off", user
    item.signed_off_at = datetime.now(UTC)
    db.session.commit()
    return item


def is_overdue(item: RectificationItem, today: date) -> bool:
    return item.status != "signed_off" and item.deadline < today


def items_query(
    tenant_id: uuid.UUID,
    *,
    status: str | None = None,
    overdue_on: date | None = None,
    due_by: date | None = None,
) -> Select:
    query = select(RectificationItem).where(RectificationItem.tenant_id == tenant_id)
    if status:
        query = query.where(RectificationItem.status == status)
    if overdue_on:
        query = query.where(
            RectificationItem.status != "signed_off", RectificationItem.deadline < overdue_on
        )
    if due_by:
        query = query.where(
            RectificationItem.status != "signed_off", RectificationItem.deadline <= due_by
        )
    return query.order_by(RectificationItem.deadline, RectificationItem.created_at)


def follow_ups_of(item: RectificationItem) -> list[FollowUp]:
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.tenant_id == item.tenant_id, FollowUp.item_id == item.id)
            .order_by(FollowUp.checked_on)
        )
    )
