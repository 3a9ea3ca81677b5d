"""Cycles and their phases: self-assessment → assessment → review → publicity → final.

The final phase freezes the cycle: its sheets, incidents and results no longer change.
Changing them again needs an explicit reopen, which is audited with its reason.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from zhibu.audit import record
from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.evaluations import phases, stale
from zhibu.evaluations.periods import parse_period
from zhibu.evaluations.versions import latest_version, scheme_of
from zhibu.i18n import _
from zhibu.models import PHASES, Cycle, Objection, Publication, Tenant

PHASE_NAMES = {
    "self_assessment": "自评",
    "assessment": "考核评分",
    "review": "审核评定",
    "publicity": "结果公示",
    "final": "确定结果",
}


PERIOD_KINDS = {"year": "年度", "half": "半年", "quarter": "季度", "month": "月度"}


def _period_kind(kind: str) -> str:
    return _(PERIOD_KINDS.get(kind, kind))


def get_cycle(tenant_id: uuid.UUID, cycle_id: uuid.UUID) -> Cycle:
    cycle = db.session.get(Cycle, (tenant_id, cycle_id))
    if cycle is None:
        raise NotFound(_("没有找到这个考评周期。"))
    return cycle


def open_cycle(
    tenant: Tenant,
    scheme_key: str,
    period: str,
    *,
    round: str | None = None,
    options: dict[str, Any] | None = None,
    deadlines: dict[str, str] | None = None,
    label: str | None = None,
) -> Cycle:
    """Open a cycle on the scheme's newest version (it keeps that version).

    :param label: the name users read on every page and report title (e.g.
        "2021年第三季度内部观摩"); default ``<period>-<round>``, or the period alone. Two
        cycles of one scheme never share a label.
    """
    scheme = scheme_of(tenant, scheme_key)
    try:
        parsed = parse_period(period)
    except ValueError:
        raise ServiceError(
            _(
                "考评期间“%(period)s”的写法不对,请写成 2021(年度)、2021H1(半年)、"
                "2021Q3(季度)或 2021-05(月度)。",
                period=period,
            ),
            field="period",
        ) from None
    if parsed.kind not in scheme.periods:
        raise ServiceError(
            _(
                "评定方案“%(scheme)s”按%(kinds)s考评,不能按%(kind)s开启考评周期。",
                scheme=scheme.title,
                kinds="、".join(_period_kind(k) for k in scheme.periods),
                kind=_period_kind(parsed.kind),
            ),
            field="period",
        )
    options = _checked_options(scheme, {**(options or {}), **({"round": round} if round else {})})
    label = (label or "").strip() or (f"{period}-{round}" if round else period)
    if db.session.scalar(
        select(Cycle.id).where(
            Cycle.tenant_id == tenant.id, Cycle.scheme_key == scheme_key, Cycle.label == label
        )
    ):
        raise Conflict(
            _(
                "评定方案“%(scheme)s”已有考评周期 %(label)s,不能重复开启。",
                scheme=scheme.title,
                label=label,
            ),
            field="period",
        )
    cycle = Cycle(
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        scheme_key=scheme_key,
        version_id=latest_version(tenant, scheme_key).id,
        label=label,
        period=period,
        period_kind=parsed.kind,
        starts_on=parsed.start,
        ends_on=parsed.end,
        options=options,
        deadlines=_checked_deadlines(
            deadlines or (scheme.deadlines(period) if scheme.deadlines else {})
        ),
    )
    db.session.add(cycle)
    db.session.commit()
    return cycle


def _checked_options(scheme, options: dict[str, Any]) -> dict[str, Any]:
    """A scheme's cycle options (the observation round …), checked; defaults filled in."""
    known = {o.key: o for o in scheme.cycle_options}
    for key, value in options.items():
        if key not in known:
            raise ServiceError(
                _(
                    "评定方案“%(scheme)s”没有“%(key)s”这个周期选项。",
                    scheme=scheme.title,
                    key=key,
                ),
                field="options",
            )
        try:
            known[key].check(value)
        except ValueError:
            raise ServiceError(
                _(
                    "周期选项“%(title)s”的值 %(value)s 不可用,请按方案的要求填写。",
                    title=known[key].title,
                    value=value,
                ),
                field="options",
            ) from None
    return {**{o.key: o.default for o in scheme.cycle_options}, **options}


def _checked_deadlines(deadlines: dict[str, str]) -> dict[str, str]:
    for phase, value in deadlines.items():
        if phase not in PHASES:
            raise ServiceError(_("截止日期只能为考评周期的各阶段设置。"), field="deadlines")
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ServiceError(
                _(
                    "“%(phase)s”阶段的截止日期“%(value)s”不是日期,请写成 2021-05-31。",
                    phase=_(PHASE_NAMES[phase]),
                    value=value,
                ),
                field="deadlines",
            ) from None
    return dict(deadlines)


def set_deadlines(cycle: Cycle, deadlines: dict[str, str]) -> Cycle:
    cycle.deadlines = {**cycle.deadlines, **_checked_deadlines(deadlines)}
    db.session.commit()
    return cycle


def advance(cycle: Cycle, to: str | None = None) -> Cycle:
    """Move to the next phase (or to ``to``, which must lie ahead). Waits for the writes
    of inputs under way (:func:`zhibu.evaluations.phases.lock_for_change`); publishing
    (结果公示, 确定结果) results that are out of date is refused."""
    phases.lock_for_change(cycle)
    position = PHASES.index(cycle.phase)
    if position == len(PHASES) - 1:
        raise Conflict(_("周期已确定结果;如需修改,请先重新开启并说明原因。"), field="phase")
    target = to or PHASES[position + 1]
    if target not in PHASES or PHASES.index(target) <= position:
        raise ServiceError(_("周期只能进入后面的阶段,不能回到已过的阶段。"), field="phase")
    refuse_stale(cycle, target)
    if target == "final":
        refuse_open_objections(cycle)
    cycle.phase = target
    db.session.commit()
    return cycle


def stale_refusal(cycle: Cycle) -> str | None:
    """Why the cycle's results may not be published now because inputs changed after
    them (None: they are up to date)."""
    count = stale.stale_subjects(cycle)
    if not count:
        return None
    return _(
        "有 %(n)s 个评价对象的录入在上次计算后有改动,结果已过期,不能发布。请先重新计算结果。",
        n=count,
    )


def refuse_stale(cycle: Cycle, target: str) -> None:
    """Refuse (409) to publish results some inputs changed after (issue 18)."""
    if target not in ("publicity", "final"):
        return
    message = stale_refusal(cycle)
    if message:
        raise Conflict(message, field="phase")


def reopen(cycle: Cycle, reason: str, to: str = "review") -> Cycle:
    """Leave the final phase again, for a stated reason (audited)."""
    if cycle.phase != "final":
        raise Conflict(_("只有已确定结果的考评周期才需要重新开启。"), field="phase")
    if _finally_published(cycle):
        raise Conflict(
            _("考评周期 %(label)s 已确定结果并发布,结果不再改变,不能重新开启。", label=cycle.label)
        )
    if not reason.strip():
        raise ServiceError(_("请说明重新开启考评周期的原因。"), field="reason")
    if to not in PHASES[:-1]:
        raise ServiceError(
            _(
                "重新开启后只能回到以下阶段之一:%(phases)s。",
                phases="、".join(_(PHASE_NAMES[p]) for p in PHASES[:-1]),
            ),
            field="to",
        )
    cycle.phase = to
    record(
        db.session,
        action="reopen",
        entity="cycles",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        before={"phase": "final"},
        after={"phase": to, "reason": reason},
    )
    db.session.commit()
    return cycle


def refuse_open_objections(cycle: Cycle) -> None:
    """Finalizing waits for every objection to be answered (seed 003: "结果公示,无异议后
    进行授牌")."""
    open_count = db.session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(
            Objection.tenant_id == cycle.tenant_id,
            Objection.cycle_id == cycle.id,
            Objection.status == "open",
        )
    )
    if open_count:
        raise Conflict(_("还有 %(n)s 条异议未处理,不能确定结果;请先答复全部异议。", n=open_count))


def _finally_published(cycle: Cycle) -> bool:
    return bool(
        db.session.scalar(
            select(Publication.id)
            .where(
                Publication.tenant_id == cycle.tenant_id,
                Publication.cycle_id == cycle.id,
                Publication.phase == "final",
            )
            .limit(1)
        )
    )


def ensure_open(cycle: Cycle) -> None:
    """Refuse changes to a final (frozen) cycle."""
    if cycle.phase == "final":
        raise Conflict(
            _(
                "周期 %(cycle)s 已确定结果,不能再修改。如确需修改,请管理员先重新开启"
                "该周期并说明原因。",
                cycle=cycle.label,
            ),
            field="phase",
        )
