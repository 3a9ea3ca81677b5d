"""A branch's month on one sheet (每月记实考评): who is on it, what is already entered, and
saving every row at once or nothing.

The sheet of a unit and a month lists the members the unit (with its sub-units) had that
month: a member's unit on the month's last day (or on the day they left, if earlier),
read back through their transfers (组织关系转接), so a member who moved in June is on the old
branch's sheets until May and on the new one's from June. Members who had not yet joined
or had already left, exempt members and retirees (listed, not rated) are not on it.

Rows name the member by archive code (档案编码) or id (both, if given, must name the same
member) and give a score (0–100), or the indicators of the 四讲四有 sheet: ``items``
(points kept, only for the lines that lost any) or ``deductions`` (points off, each with a
reason). Every row is checked first; one bad row
refuses them all, naming the row and the field. The rows are then saved in one transaction
through :func:`zhibu.evaluations.sheets.save_many` (source ``monthly``, the month as the
sheet's period), replacing whatever the same members had for that month.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from zhibu import engine
from zhibu.db import db
from zhibu.errors import NotFound, ServiceError
from zhibu.evaluations import phases, sheets
from zhibu.evaluations.compute import definition_for
from zhibu.evaluations.cycles import ensure_open
from zhibu.evaluations.periods import parse_period
from zhibu.i18n import _
from zhibu.models import Cycle, Member, MemberTransfer, OrgUnit, ScoreItem, ScoreSheet
from zhibu.orgs.service import get_org, subtree_query

SCHEME_KEY = "dujiangyan_quantified"
SOURCE = "monthly"


@dataclass(frozen=True)
class Person:
    """A member on the month's sheet."""

    id: uuid.UUID
    archive_code: str
    name: str
    unit_code: str
    unit_name: str


@dataclass
class Entry:
    """What is stored for a member and the month."""

    score: float | None = None
    items: dict[str, float] = field(default_factory=dict)
    deductions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MonthSheet:
    cycle: Cycle
    unit: OrgUnit
    month: str
    people: list[Person]
    entered: dict[uuid.UUID, Entry]

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit.id,
            "unit_code": self.unit.code,
            "unit_name": self.unit.name,
            "month": self.month,
            "cycle_id": self.cycle.id,
            "phase": self.cycle.phase,
            "members": [
                {
                    "member_id": p.id,
                    "archive_code": p.archive_code,
                    "name": p.name,
                    "unit_code": p.unit_code,
                    "unit_name": p.unit_name,
                    "entered": asdict(self.entered[p.id]) if p.id in self.entered else None,
                }
                for p in self.people
            ],
        }


@dataclass
class MonthRow:
    """One row as given: the member and their month."""

    archive_code: str | None = None
    member_id: uuid.UUID | None = None
    score: float | None = None
    items: dict[str, float] = field(default_factory=dict)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None  # when given (a workbook), it must be the member's


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based position among the rows given
    field: str
    message: str


class MonthRejected(ServiceError):
    """Rows with problems: nothing was saved. ``errors`` lists each (row, field, message)."""

    status = 422

    def __init__(self, problems: list[RowProblem]):
        count = len(problems)
        super().__init__(
            _("有 %(count)s 处错误,本月记录未保存。", count=count),
            errors=[asdict(p) for p in problems],
        )
        self.problems = problems


# --- the cycle and the sheet -------------------------------------------------------------


def month_cycle(tenant_id: uuid.UUID, month: str) -> Cycle:
    """The year's cycle that the month belongs to."""
    try:
        period = parse_period(month)
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise ServiceError(
            _("月份“%(month)s”的写法不对,请写成 2021-03。", month=month), field="month"
        )
    cycle = db.session.scalar(
        select(Cycle).where(
            Cycle.tenant_id == tenant_id,
            Cycle.scheme_key == SCHEME_KEY,
            Cycle.label == month[:4],
        )
    )
    if cycle is None:
        raise NotFound(
            _("%(year)s 年度的量化考评周期尚未开启,请先开启。", year=month[:4]),
            field="month",
        )
    return cycle


def load_sheet(tenant_id: uuid.UUID, unit_id: uuid.UUID, month: str) -> MonthSheet:
    cycle = month_cycle(tenant_id, month)
    unit = get_org(tenant_id, unit_id)
    people = members_in_month(unit, month)
    return MonthSheet(cycle, unit, month, people, entered(cycle, month, people))


def members_in_month(unit: OrgUnit, month: str) -> list[Person]:
    """Members of the unit's subtree in the month, in tree order then by archive code."""
    period = parse_period(month)
    subtree = subtree_query(unit.tenant_id, (unit.path,))
    units = {
        u.id: u
        for u in db.session.execute(
            subtree.with_only_columns(
                OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.retired
            )
        )
    }
    unit_ids = subtree.with_only_columns(OrgUnit.id)
    touched = select(MemberTransfer.member_id).where(
        MemberTransfer.tenant_id == unit.tenant_id,
        or_(MemberTransfer.from_org_id.in_(unit_ids), MemberTransfer.to_org_id.in_(unit_ids)),
    )
    moves = _transfers(unit.tenant_id, touched)
    rows = db.session.execute(
        select(
            Member.id,
            Member.archive_code,
            Member.name,
            Member.org_id,
            Member.joined_on,
            Member.left_on,
            Member.active,
            Member.exempt,
            Member.category,
        ).where(
            Member.tenant_id == unit.tenant_id,
            or_(Member.org_id.in_(unit_ids), Member.id.in_(touched)),
        )
    )
    people = []
    for m in rows:
        if not _in_month(m, period.start, period.end) or m.exempt or m.category == "retired":
            continue
        day = min(period.end, m.left_on) if m.left_on else period.end
        there = units.get(unit_on(m.org_id, moves.get(m.id, []), day))
        if there is not None and not there.retired:
            people.append(Person(m.id, m.archive_code, m.name, there.code, there.name))
    order = {u.code: u.path for u in units.values()}
    return sorted(people, key=lambda p: (order[p.unit_code], p.archive_code))


def _in_month(member, first: date, last: date) -> bool:
    if member.joined_on is not None and member.joined_on > last:
        return False
    if member.left_on is not None:
        return member.left_on >= first
    return member.active


def _transfers(tenant_id: uuid.UUID, touched) -> dict[uuid.UUID, list]:
    """Every transfer of the ``touched`` members (those who ever moved into or out of the
    units), oldest first, by member."""
    moves: dict[uuid.UUID, list] = defaultdict(list)
    for t in db.session.execute(
        select(
            MemberTransfer.member_id,
            MemberTransfer.from_org_id,
            MemberTransfer.to_org_id,
            MemberTransfer.transferred_on,
        )
        .where(MemberTransfer.tenant_id == tenant_id, MemberTransfer.member_id.in_(touched))
        .order_by(MemberTransfer.transferred_on)
    ):
        moves[t.member_id].append(t)
    return moves


def unit_on(current: uuid.UUID, moves: list, day: date) -> uuid.UUID:
    """The unit a member was in on ``day``: the first later transfer's origin, else where
    they are now (a transfer dated ``day`` has already moved them)."""
    for move in moves:
        if move.transferred_on > day:
            return move.from_org_id
    return current


def entered(cycle: Cycle, month: str, people: list[Person]) -> dict[uuid.UUID, Entry]:
    """The month's stored sheets of these members, with their items (a few queries)."""
    ids = {p.id for p in people}
    month_sheets = (
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.source == SOURCE,
        ScoreSheet.rater == "",
        ScoreSheet.period == month,
    )
    found: dict[uuid.UUID, Entry] = {}
    by_sheet: dict[uuid.UUID, Entry] = {}
    query = select(ScoreSheet.id, ScoreSheet.subject_id, ScoreSheet.score).where(*month_sheets)
    for q in sheets.among(query, ScoreSheet.subject_id, list(ids)):
        for sheet_id, subject_id, score in db.session.execute(q):
            if subject_id in ids:
                found[subject_id] = by_sheet[sheet_id] = Entry(score)
    query = (
        select(ScoreItem)
        .join(
            ScoreSheet,
            (ScoreSheet.tenant_id == ScoreItem.tenant_id) & (ScoreSheet.id == ScoreItem.sheet_id),
        )
        .where(*month_sheets)
        .order_by(ScoreItem.indicator, ScoreItem.kind, ScoreItem.reason, ScoreItem.points)
    )
    for q in sheets.among(query, ScoreItem.sheet_id, list(by_sheet)):
        for item in db.session.scalars(q):
            entry = by_sheet.get(item.sheet_id)
            if entry is None:
                continue
            if item.kind == "points":
                entry.items[item.indicator] = item.points
            else:
                entry.deductions.append(
                    {"item": item.indicator, "points": item.points, "reason": item.reason}
                )
    return found


# --- checking and saving -----------------------------------------------------------------


def member_rubric(cycle: Cycle) -> engine.Rubric:
    definition, _, _ = definition_for(cycle)
    track = definition.track_of_kind("member")
    return definition.rubric(track.source(SOURCE).rubric)


def check_rows(
    sheet: MonthSheet, rows: list[MonthRow], rubric: engine.Rubric
) -> tuple[list[sheets.SheetInput], list[RowProblem]]:
    """The rows as sheets to save, and every problem (row, field, message)."""
    by_code = {p.archive_code: p for p in sheet.people}
    by_id = {p.id: p for p in sheet.people}
    seen: dict[uuid.UUID, int] = {}
    inputs, problems = [], []
    for number, row in enumerate(rows, start=1):
        found: list[RowProblem] = []
        person = _person(sheet, row, by_code, by_id, number, found)
        if person is not None:
            first = seen.setdefault(person.id, number)
            if first != number:
                found.append(
                    RowProblem(
                        number,
                        "archive_code",
                        _(
                            "与第 %(first)s 行是同一名党员(%(code)s)",
                            first=first,
                            code=person.archive_code,
                        ),
                    )
                )
            if row.name is not None and row.name != person.name:
                found.append(
                    RowProblem(
                        number,
                        "name",
                        _(
                            "档案编码 %(code)s 是%(name)s,不是%(given)s",
                            code=person.archive_code,
                            name=person.name,
                            given=row.name,
                        ),
                    )
                )
        found += _check_values(number, row, rubric)
        problems += found
        if not found:
            inputs.append(
                sheets.SheetInput(
                    "member",
                    person.id,
                    SOURCE,
                    "",
                    sheet.month,
                    row.score,
                    dict(row.items),
                    [dict(d) for d in row.deductions],
                )
            )
    return inputs, problems


def _person(sheet: MonthSheet, row: MonthRow, by_code, by_id, number, found) -> Person | None:
    if row.member_id is None and not row.archive_code:
        found.append(RowProblem(number, "archive_code", _("请填写档案编码")))
        return None
    person = by_id.get(row.member_id) if row.member_id else by_code.get(row.archive_code)
    if person is None:
        field_ = "member_id" if row.member_id else "archive_code"
        found.append(RowProblem(number, field_, _not_on_sheet(sheet, row)))
        return None
    if row.member_id and row.archive_code and row.archive_code != person.archive_code:
        found.append(
            RowProblem(
                number,
                "archive_code",
                _(
                    "党员编号对应%(name)s(%(code)s),与档案编码 %(given)s 不是同一名党员",
                    name=person.name,
                    code=person.archive_code,
                    given=row.archive_code,
                ),
            )
        )
        return None
    return person


def _not_on_sheet(sheet: MonthSheet, row: MonthRow) -> str:
    where = Member.id == row.member_id if row.member_id else Member.archive_code == row.archive_code
    member = db.session.scalar(
        select(Member).where(Member.tenant_id == sheet.unit.tenant_id, where)
    )
    label = row.archive_code or str(row.member_id)
    if member is None:
        return _("没有档案编码为 %(label)s 的党员", label=label)
    return _(
        "%(name)s(%(code)s)%(month)s 不在%(unit)s,或不参加考评",
        name=member.name,
        code=member.archive_code,
        month=sheet.month,
        unit=sheet.unit.name,
    )


def _check_values(number: int, row: MonthRow, rubric: engine.Rubric) -> list[RowProblem]:
    problems = []
    detailed = bool(row.items or row.deductions)
    if row.score is None and not detailed:
        problems.append(
            RowProblem(
                number,
                "score",
                _("请填写月度得分,或按指标扣分"),
            )
        )
    elif row.score is not None and detailed:
        problems.append(
            RowProblem(
                number,
                "score",
                _("月度得分与按指标录入只能二选一"),
            )
        )
    elif row.score is not None and not 0 <= row.score <= 100:
        problems.append(
            RowProblem(
                number, "score", _("月度得分应在 0–100 之间,不是 %(score)s", score=f"{row.score:g}")
            )
        )
    for code, points in row.items.items():
        problems += _check_item(number, f"items.{code}", code, points, rubric)
    taken: dict[str, float] = defaultdict(float)
    for at, d in enumerate(row.deductions, start=1):
        name = f"deductions.{at}"
        indicator = rubric.indicator(d.get("item") or "")
        if indicator is None:
            problems.append(RowProblem(number, name, unknown(d.get("item"))))
            continue
        if not str(d.get("reason") or "").strip():
            problems.append(
                RowProblem(number, name, _("%(code)s 扣分须注明原因", code=indicator.code))
            )
        points = d.get("points") or 0
        taken[indicator.code] += points
        if points <= 0:
            problems.append(
                RowProblem(number, name, _("%(code)s 扣分应大于 0", code=indicator.code))
            )
        elif taken[indicator.code] > indicator.max_points + 1e-9:
            problems.append(
                RowProblem(
                    number,
                    name,
                    _(
                        "%(code)s 最多扣 %(most)s 分,合计扣了 %(taken)s 分",
                        code=indicator.code,
                        most=f"{indicator.max_points:g}",
                        taken=f"{taken[indicator.code]:g}",
                    ),
                )
            )
    return problems


def _check_item(number, name, code, points, rubric) -> list[RowProblem]:
    indicator = rubric.indicator(code)
    if indicator is None:
        return [RowProblem(number, name, unknown(code))]
    if not 0 <= points <= indicator.max_points:
        return [
            RowProblem(
                number,
                name,
                _(
                    "%(code)s %(title)s 应在 0–%(most)s 分之间,不是 %(points)s",
                    code=code,
                    title=indicator.title,
                    most=f"{indicator.max_points:g}",
                    points=f"{points:g}",
                ),
            )
        ]
    return []


def unknown(code) -> str:
    return _("“四讲四有”评分表没有指标 %(code)s(应为 P01 … F13)", code=code)


def save_month(
    tenant_id: uuid.UUID, unit_id: uuid.UUID, month: str, rows: list[MonthRow]
) -> dict[str, Any]:
    """Check every row; save them all in one transaction, or raise :class:`MonthRejected`."""
    sheet = load_sheet(tenant_id, unit_id, month)
    ensure_open(sheet.cycle)  # a final cycle refuses entry (409) before the rows are read
    inputs, problems = check_rows(sheet, rows, member_rubric(sheet.cycle))
    # a closed phase (issue 18) answers 409 before the rows' problems: nothing is taken
    subjects = [d.subject_id for d in inputs]
    phases.check_entry(sheet.cycle, "member", SOURCE, subjects, sheet.unit.id)
    if problems:
        raise MonthRejected(problems)
    saved = sheets.save_many(sheet.cycle, inputs, sheet.unit.id) if inputs else 0
    return {"unit_code": sheet.unit.code, "month": month, "saved": saved}
