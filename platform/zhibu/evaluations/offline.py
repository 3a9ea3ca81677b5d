"""Score sheets filled offline on a phone, sent when the network is back (issue 25).

Each sheet comes with an id the device made (``client_id``) and the content it was based
on (``based_on``: the :func:`digest` of the rater's stored sheet when the device took it, ""
when there was none). The sheet is saved by the sheet service as a sheet typed on the page
(:func:`zhibu.evaluations.sheets.save_sheet`), so it is checked alike; then:

- sent again with the same id (the answer was lost on the way), it is answered as before
  and not saved twice (the id is kept in ``sheet_syncs``);
- the rater's stored sheet changed meanwhile (typed on another device, on the page) — its
  digest is not the ``based_on`` — it is refused as a conflict (409) with the stored
  content, for the rater to choose; never overwritten silently;
- refused by the checks (a deduction above the item's points, the cycle final, the subject
  removed), it is refused with the reason in the user's language, for the device to keep
  and show.

The stored sheet is locked while it is compared and replaced, so two devices of one rater
sending at once cannot both pass the comparison.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from zhibu import engine
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from zhibu.evaluations import entry, sheets
from zhibu.evaluations.compute import definition_for
from zhibu.evidence import service as evidence
from zhibu.i18n import _
from zhibu.models import Cycle, ScoreItem, ScoreSheet, SheetSync
from zhibu.tenancy.scope import current_scope


class SyncConflict(Conflict):
    """The stored sheet is not the one the device's sheet was based on."""

    def __init__(self, stored: dict):
        super().__init__(
            _("这份评分表在您离线期间已在别处修改过;请选择保留哪一份。"), field="based_on"
        )
        self.stored = stored

    def as_dict(self) -> dict:
        return super().as_dict() | {"conflict": True, "server": self.stored}


@dataclass
class OfflineSheet:
    client_id: str
    cycle_id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    source: str
    based_on: str
    deductions: list[dict]  # {item, points, reason}


def digest(items: list[tuple[str, str, float, str]]) -> str:
    """What a sheet holds, as one string: its (kind, indicator, points, reason) rows."""
    rows = sorted(f"{k}\t{i}\t{round(float(p), 4):g}\t{r}" for k, i, p, r in items)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def stored_content(sheet: ScoreSheet | None) -> dict:
    """The rater's stored sheet as the device shows it: its digest and deductions."""
    if sheet is None:
        return {"digest": "", "deductions": []}
    rows = sheets.items_of(sheet)
    return {
        "digest": digest([(r.kind, r.indicator, r.points, r.reason) for r in rows]),
        "deductions": [
            {"item": r.indicator, "points": r.points, "reason": r.reason}
            for r in rows
            if r.kind == "deduction"
        ],
        "sheet_id": str(sheet.id),
    }


def _input(rubric: engine.Rubric, data: OfflineSheet, rater: str) -> sheets.SheetInput:
    """The sheet as the page's form makes it (an additive item is given its points), each
    deduction checked here first so the refusal names its row in the user's language."""
    numbers = {ind.code: n for n, ind in enumerate(rubric.indicators, start=1)}
    taken: dict[str, float] = {}
    deductions = []
    for d in data.deductions:
        code = str(d.get("item", ""))
        indicator = rubric.indicator(code)
        if indicator is None:
            raise Invalid(_("评分表没有指标“%(code)s”。", code=code), field="deductions")
        at = {"n": numbers[code], "code": code}
        try:
            points = float(d.get("points"))
        except (TypeError, ValueError):
            raise Invalid(_("第 %(n)s 行(%(code)s):扣分不是数字。", **at), field=code) from None
        reason = str(d.get("reason") or "").strip()
        if points <= 0:
            raise Invalid(_("第 %(n)s 行(%(code)s):扣分须大于 0。", **at), field=code)
        if not reason:
            raise Invalid(_("第 %(n)s 行(%(code)s):扣分须注明原因。", **at), field=code)
        taken[code] = taken.get(code, 0) + points
        if taken[code] > indicator.max_points + 1e-9:
            raise Invalid(
                _(
                    "第 %(n)s 行(%(code)s):扣 %(points)g 分,超过该项分值 %(max)g 分。",
                    points=taken[code],
                    max=indicator.max_points,
                    **at,
                ),
                field=code,
            )
        deductions.append({"item": code, "points": points, "reason": reason})
    items = {i.code: i.max_points for i in rubric.indicators if i.mode == "additive"}
    return sheets.SheetInput(
        data.subject_kind, data.subject_id, data.source, rater, "", None, items, deductions
    )


def _input_digest(data: sheets.SheetInput) -> str:
    rows = [("points", c, p, "") for c, p in data.items.items()]
    rows += [("deduction", d["item"], d["points"], d["reason"]) for d in data.deductions]
    return digest(rows)


def _repeated(tenant_id: uuid.UUID, client_id: str) -> SheetSync | None:
    return db.session.scalar(
        select(SheetSync).where(SheetSync.tenant_id == tenant_id, SheetSync.client_id == client_id)
    )


def sync_sheet(access: TenantAccess, data: OfflineSheet) -> dict:
    """Save one sheet a device sent (see the module); the answer for the device."""
    client_id = (data.client_id or "").strip()
    if not client_id or len(client_id) > 64:
        raise Invalid(_("缺少评分表的本机编号。"), field="client_id")
    done = _repeated(access.tenant_id, client_id)
    if done is not None:
        return {"saved": True, "repeated": True, "digest": done.digest}
    cycle = db.session.get(Cycle, (access.tenant_id, data.cycle_id))
    if cycle is None:
        raise NotFound(_("本单位没有编号为 %(id)s 的考评周期。", id=data.cycle_id), "cycle_id")
    if cycle.phase == "final":
        raise Conflict(
            _(
                "“%(label)s”已确定结果,不能再修改评分;如须修改,请管理员重新开放。",
                label=cycle.label,
            ),
            field="cycle_id",
        )
    try:
        subject, _unit = policy.subject_in_reach(
            access, "score", data.subject_kind, data.subject_id
        )
    except NotFound:
        raise NotFound(_("评价对象已被删除或不在本单位。"), field="subject_id") from None
    source = entry.source_of(cycle, subject, data.source)
    if source is None or policy.entry_form(source) != policy.SHEET:
        raise NotFound(_("本周期没有这份评分表。"), field="source")
    if not policy.may_enter(access, entry.scheme_of(cycle), source):
        raise Forbidden(_("您的角色不能填写“%(source)s”。", source=source.title), "source")
    definition, _settings, _version = definition_for(cycle)
    rater = access.user.username
    sheet_input = _input(definition.rubric(source.rubric), data, rater)
    saved_digest = _input_digest(sheet_input)
    db.session.add(
        SheetSync(
            tenant_id=access.tenant_id,
            client_id=client_id,
            cycle_id=cycle.id,
            subject_id=data.subject_id,
            source=data.source,
            digest=saved_digest,
            user_id=current_scope().user_id,
        )
    )
    try:
        # the send's id is claimed before the stored sheet is read: a second send of it
        # waits here and is answered as a repeat, never compared with its own first send
        db.session.flush()
        stored = sheets_of_rater(cycle, data, rater, lock=True)
        content = stored_content(stored)
        if content["digest"] != (data.based_on or ""):
            raise SyncConflict(content)
        sheet = sheets.save_sheet(cycle, sheet_input)  # commits the sheet and the id
        sheet_id = inspect(sheet).identity[1]  # known: not read again after the commit
    except IntegrityError:
        db.session.rollback()
        done = _repeated(access.tenant_id, client_id)
        if done is not None:
            return {"saved": True, "repeated": True, "digest": done.digest}
        # the same sheet made at once by another device of the rater: compare again
        stored = sheets_of_rater(cycle, data, rater)
        raise SyncConflict(stored_content(stored)) from None
    except ServiceError:
        db.session.rollback()
        raise
    return {"saved": True, "repeated": False, "digest": saved_digest, "sheet_id": str(sheet_id)}


def sheets_of_rater(
    cycle: Cycle, data: OfflineSheet, rater: str, lock: bool = False
) -> ScoreSheet | None:
    """The rater's stored sheet the device's sheet stands for (locked until the commit,
    if ``lock``: compared and replaced by one send at a time)."""
    query = select(ScoreSheet).where(
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.subject_id == data.subject_id,
        ScoreSheet.source == data.source,
        ScoreSheet.rater == rater,
        ScoreSheet.period == "",
    )
    return db.session.scalar(query.with_for_update() if lock else query)


def stored_digests(cycle: Cycle, rater: str) -> dict[tuple[uuid.UUID, str], dict]:
    """The rater's stored sheets of the cycle, by (subject, source): what a device takes."""
    rows = db.session.scalars(
        select(ScoreSheet).where(
            ScoreSheet.tenant_id == cycle.tenant_id,
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.rater == rater,
            ScoreSheet.period == "",
        )
    ).all()
    items: dict[uuid.UUID, list[ScoreItem]] = {}
    if rows:
        for item in db.session.scalars(
            select(ScoreItem).where(
                ScoreItem.tenant_id == cycle.tenant_id,
                ScoreItem.sheet_id.in_([r.id for r in rows]),
            )
        ):
            items.setdefault(item.sheet_id, []).append(item)
    found = {}
    for sheet in rows:
        mine = items.get(sheet.id, [])
        found[sheet.subject_id, sheet.source] = {
            "digest": digest([(r.kind, r.indicator, r.points, r.reason) for r in mine]),
            "deductions": [
                {"item": r.indicator, "points": r.points, "reason": r.reason}
                for r in mine
                if r.kind == "deduction"
            ],
            "sheet_id": str(sheet.id),
        }
    return found


def attach_photo(
    access: TenantAccess,
    cycle_id: uuid.UUID,
    subject_id: uuid.UUID,
    source: str,
    indicator: str,
    client_id: str,
    upload: tuple[str, bytes],
) -> dict:
    """A photo of a deduction taken offline, sent after its sheet: attached to the rater's
    stored sheet (the deduction's indicator as ``ref``); sent again under the same
    ``client_id``, answered as before."""
    client_id = (client_id or "").strip()[:64]
    if client_id:
        done = evidence.by_client_id(access.tenant_id, client_id)
        if done is not None:
            return {"saved": True, "repeated": True, "id": str(done.id)}
    cycle = db.session.get(Cycle, (access.tenant_id, cycle_id))
    sheet = None
    if cycle is not None:
        probe = OfflineSheet(client_id, cycle_id, "", subject_id, source, "", [])
        sheet = sheets_of_rater(cycle, probe, access.user.username)
    if sheet is None:
        raise NotFound(_("照片所属的评分表尚未同步;请先同步评分表。"), field="sheet")
    try:
        ids = evidence.attach_ids(
            access, "deduction", sheet.id, [upload], ref=indicator, client_id=client_id or None
        )
    except IntegrityError:
        db.session.rollback()
        done = evidence.by_client_id(access.tenant_id, client_id)
        return {"saved": True, "repeated": True, "id": str(done.id)}
    return {"saved": True, "repeated": False, "id": str(ids[0])}
