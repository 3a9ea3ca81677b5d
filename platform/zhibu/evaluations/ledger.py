"""The rectification ledger (整改台账): items raised from deductions, from the actions a
result carries, or by hand; 回头看 follow-ups; sign-off (销号) by someone other than the
person who raised the item; overdue items flagged.

Every function takes the caller's access: the units, members, cycles, deductions, results
and items it names must be the tenant's and within the caller's reach
(:mod:`zhibu.accounts.policy`, permission ``ledger``), for the pages, the API and the
demos alike."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Select, select

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from zhibu.evaluations.compute import definition_for
from zhibu.evidence import service as evidence
from zhibu.i18n import _, _l, stored
from zhibu.models import (
    Cycle,
    EvaluationResult,
    FollowUp,
    Member,
    OrgUnit,
    RectificationItem,
    SchemeVersion,
    ScoreItem,
    ScoreSheet,
)
from zhibu.reports import names
from zhibu.tenancy.scope import current_scope

PERMISSION = "ledger"  # what raising, following up and signing off an item needs

# what an action of a result asks for, as the issue of an item raised for it: stored in
# Chinese (the seeds' language), shown in the reader's language (:func:`shown_issue`)
ACTION_ISSUES = {
    "rectification_plan": _l("星级评定结果为两星及以下,制定整改方案"),
}
_ISSUE_OF_ACTION = re.compile(r"(?P<code>[^:：]+)[:：]\s*(?P<issue>.*)", re.DOTALL)


def shown_issue(item: RectificationItem) -> str:
    """An item's issue in the reader's language: one raised for an action says what the
    action asks for through the catalog (an item stored before this said it as
    "中文 / English": its Chinese is read the same way); one typed by a person, or
    raised for a deduction, is shown as it was written."""
    action = item.origin_ref.rpartition(":")[2] if item.origin == "action" else ""
    found = _ISSUE_OF_ACTION.fullmatch(item.issue or "") if action in ACTION_ISSUES else None
    if found is None:
        return item.issue
    return _("%(code)s:%(issue)s", code=found["code"].strip(), issue=ACTION_ISSUES[action])


def get_item(access: TenantAccess, item_id: uuid.UUID) -> RectificationItem:
    """The tenant's item, if its unit is within the caller's part of the tree (as the
    ledger lists them); else 404, whether it is another tenant's or another branch's."""
    item = db.session.get(RectificationItem, (access.tenant_id, item_id))
    unit = db.session.get(OrgUnit, (access.tenant_id, item.org_id)) if item else None
    if unit is None or not access.within(unit.path):
        raise NotFound(_("没有找到这条整改事项,或它不在您管理的范围内。"))
    return item


def _subject_unit(
    access: TenantAccess, kind: str, subject_id: uuid.UUID, field: str
) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The unit (and member) an item about this subject is raised for, within reach."""
    row, unit = policy.subject_in_reach(access, PERMISSION, kind, subject_id, field)
    return (unit.id, row.id) if isinstance(row, Member) else (unit.id, None)


def raise_item(
    access: TenantAccess,
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
    """An item for a unit (and one of its members) within the caller's reach, of a cycle
    of the tenant: every id is checked, each refusal naming its field."""
    if not issue.strip():
        raise ServiceError(_("请填写需要整改的问题(整改事项)。"), field="issue")
    unit = policy.unit_in_reach(access, PERMISSION, org_id)
    if member_id is not None:
        _member, home = policy.member_in_reach(access, PERMISSION, member_id)
        if not home.path.startswith(unit.path):
            raise Invalid(_("该党员不属于%(unit)s。", unit=unit.name), field="member_id")
    if cycle_id is not None and db.session.get(Cycle, (access.tenant_id, cycle_id)) is None:
        raise NotFound(_("本单位没有编号为 %(id)s 的考评周期。", id=cycle_id), field="cycle_id")
    item = RectificationItem(
        tenant_id=access.tenant_id,
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
    access: TenantAccess,
    deduction_id: uuid.UUID,
    *,
    deadline: date,
    measure: str = "",
    responsible: str = "",
) -> RectificationItem:
    """One item per deduction, naming the indicator and the reason it lost points; the
    deduction's subject must be within the caller's reach."""
    deduction = db.session.get(ScoreItem, (access.tenant_id, deduction_id))
    if deduction is None or deduction.kind != "deduction":
        raise NotFound(_("没有找到这条扣分记录。"), field="deduction_id")
    sheet = db.session.get(ScoreSheet, (access.tenant_id, deduction.sheet_id))
    org_id, member_id = _subject_unit(access, sheet.subject_kind, sheet.subject_id, "deduction_id")
    ref = f"deduction:{deduction.id}"
    _refuse_duplicate(access.tenant_id, ref)
    kind = (
        "member"
        if member_id is not None
        else db.session.get(OrgUnit, (access.tenant_id, org_id)).kind
    )
    cycle = db.session.get(Cycle, (access.tenant_id, sheet.cycle_id))
    named = indicator_names(cycle, kind).get((sheet.source, deduction.indicator))
    issue = f"{named or deduction.indicator} 扣 {deduction.points:g} 分:{deduction.reason}"
    return raise_item(
        access,
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


def indicator_names(cycle: Cycle, kind: str) -> dict[tuple[str, str], str]:
    """(source key, indicator code) → "A8 会议记录" for the rubric lines a subject of
    ``kind`` (a unit's kind, or ``member``) is scored on in the cycle."""
    definition = definition_for(cycle)[0]
    track = definition.track_of_kind(kind)
    found = {}
    for source in track.sources if track else ():
        rubric = definition.rubric(source.rubric) if source.rubric else None
        for indicator in rubric.indicators if rubric else ():
            found[(source.key, indicator.code)] = f"{indicator.code} {indicator.title}"
    return found


def raise_from_result(
    access: TenantAccess,
    result_id: uuid.UUID,
    action: str,
    *,
    deadline: date,
    measure: str = "",
    responsible: str = "",
) -> RectificationItem:
    """An item for an action a result carries (e.g. ``rectification_plan``): a result the
    caller may read (a branch secretary: once published) of a subject within reach."""
    result = db.session.get(EvaluationResult, (access.tenant_id, result_id))
    cycle = db.session.get(Cycle, (access.tenant_id, result.cycle_id)) if result else None
    if cycle is None or not policy.may_read_result(
        access, result.subject_kind, result.subject_id, cycle.phase
    ):
        raise NotFound(_("没有找到这条评定结果,或结果尚未公布。"), field="result_id")
    org_id, member_id = _subject_unit(access, result.subject_kind, result.subject_id, "result_id")
    if action not in result.actions:
        raise ServiceError(
            _(
                "%(code)s 的评定结果中没有“%(action)s”这项处理要求。",
                code=result.subject_code,
                action=ACTION_ISSUES.get(action, action),
            ),
            field="action",
        )
    ref = f"action:{result.cycle_id}:{result.subject_id}:{action}"
    _refuse_duplicate(access.tenant_id, ref)
    if action in ACTION_ISSUES:
        issue = stored(ACTION_ISSUES[action])
    else:  # an action of the scheme's own: its name in the scheme's labels (its wording)
        issue = names.name(action, plugins.registry().scheme(cycle.scheme_key), names.FLAGS)
    return raise_item(
        access,
        org_id=org_id,
        member_id=member_id,
        cycle_id=result.cycle_id,
        issue=stored("%(code)s:%(issue)s", code=result.subject_code, issue=issue),
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
        raise Conflict(_("这一问题已经列入整改台账,不能重复列入。"), field="origin_ref")


def _require_ledger(access: TenantAccess, item: RectificationItem) -> None:
    unit = db.session.get(OrgUnit, (access.tenant_id, item.org_id))
    if not policy.reaches(access, PERMISSION, unit.path):
        raise Forbidden(policy.refusal(access, PERMISSION))


def follow_up(
    access: TenantAccess,
    item: RectificationItem,
    *,
    checked_on: date,
    finding: str,
    satisfactory: bool,
    files: Sequence[tuple[str, bytes]] = (),
) -> FollowUp:
    """Record a 回头看 check (with its photos and documents, :mod:`zhibu.evidence`); a
    satisfactory one marks the item rectified."""
    _require_ledger(access, item)
    if item.status == "signed_off":
        raise Conflict(_("该整改事项已销号,不能再回头看;如有新问题,请新列一条整改事项。"))
    if not finding.strip():
        raise ServiceError(_("请填写回头看的核查情况。"), field="finding")
    checked = [evidence.check_upload(name, content) for name, content in files]
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
    with evidence.written() as keys:
        db.session.flush()
        if checked:
            evidence.add(access, "follow_up", check.id, checked, keys)
        db.session.commit()
    return check


SIGN_OFF_SETTING = "signoff_needs_evidence"


def needs_evidence(item: RectificationItem) -> bool:
    """The item's scheme asks for evidence at its 销号 (the setting
    :data:`SIGN_OFF_SETTING` of the cycle's version; the scheme's default where a version
    predates it), and the item was raised from a deduction."""
    if item.origin != "deduction" or item.cycle_id is None:
        return False
    cycle = db.session.get(Cycle, (item.tenant_id, item.cycle_id))
    version = db.session.get(SchemeVersion, (item.tenant_id, cycle.version_id)) if cycle else None
    if version is None:
        return False
    if SIGN_OFF_SETTING in version.settings:
        return bool(version.settings[SIGN_OFF_SETTING])
    scheme = plugins.registry().schemes.get(cycle.scheme_key)
    defaults = {s.key: s.default for s in (scheme.settings if scheme else ())}
    return bool(defaults.get(SIGN_OFF_SETTING, False))


def sign_off(
    access: TenantAccess,
    item: RectificationItem,
    *,
    note: str = "",
    files: Sequence[tuple[str, bytes]] = (),
) -> RectificationItem:
    """销号: after a satisfactory check, by someone other than whoever raised the item;
    with a note of what was checked and files (photos of the fixed 宣传栏, the completed
    ledger). Where the scheme asks (:func:`needs_evidence`), an item raised from a
    deduction is signed off only with at least one file (its own, its checks' or given
    now) or a note."""
    _require_ledger(access, item)
    user = current_scope().user_id
    if item.status == "signed_off":
        raise Conflict(_("该整改事项已经销号。"))
    if item.status != "rectified":
        raise Conflict(_("该整改事项尚未通过回头看核查,通过后才能销号。"))
    if user is None or user == item.raised_by:
        raise Conflict(
            _("整改事项须由列入人以外的其他人销号。"),
            field="signed_off_by",
        )
    checked = [evidence.check_upload(name, content) for name, content in files]
    note = note.strip()
    if needs_evidence(item) and not (note or checked or evidence.count_of_item(item)):
        raise Invalid(
            _("该整改事项由扣分产生,销号须上传至少一份佐证材料(照片或文件),或填写核查说明。"),
            field="note",
        )
    item.status, item.signed_off_by = "signed_off", user
    item.signed_off_at = datetime.now(UTC)
    item.signed_off_note = note
    with evidence.written() as keys:
        if checked:
            evidence.add(access, "sign_off", item.id, checked, keys)
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
