"""What the five standardizations read of a branch: its members (its own and its party
groups'), its party groups, its committee, the months and quarters of the cycle, and each
member's organizational life, dues and training hours. Pure functions of the engine's
cycle (``Cycle.under`` and ``Cycle.records_of``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhibu.engine import Cycle, Record, Subject

ORG_LIFE = (
    "general_meeting",
    "committee_meeting",
    "group_meeting",
    "party_lecture",
    "theme_party_day",
    "org_life_meeting",
    "member_appraisal",
)  # attending any of these is taking part in the Party's organizational life
MEMBER_HOURS, COMMITTEE_HOURS = 32, 56  # a year's training (the seed's numbers)
LAPSE_MONTHS = 6  # consecutive months without organizational life or without dues


def months(cycle: Cycle) -> list[str]:
    """The cycle's months, ``2021-01`` …, from its first day to its last."""
    year, month = int(cycle.start[:4]), int(cycle.start[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= cycle.end[:7]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def quarter(month: str) -> str:
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def whole_year(cycle: Cycle) -> bool:
    return len(months(cycle)) >= 12


def is_secretary(member: Subject) -> bool:
    position = member.attrs.get("position") or ""
    return "书记" in position and "副" not in position


def is_committee(member: Subject) -> bool:
    """书记, 副书记 and the 委员 (组织委员, 宣传委员, 纪检委员 …) make the committee."""
    position = member.attrs.get("position") or ""
    return "书记" in position or "委员" in position


def is_full(member: Subject) -> bool:
    return member.attrs.get("status", "full") == "full"


def label(member: Subject) -> str:
    position = member.attrs.get("position")
    return f"{member.code} {member.name}" + (f"({position})" if position else "")


def member_months(member: Subject, cycle: Cycle) -> list[str]:
    """The months of the cycle the person was a member of the organization."""
    return [m for m in months(cycle) if member.periods is None or m in member.periods]


@dataclass(frozen=True)
class Branch:
    """A branch as its checks see it."""

    subject: Subject
    groups: tuple[Subject, ...]
    members: tuple[Subject, ...]  # everyone who belonged during the cycle

    def at_end(self, cycle: Cycle) -> tuple[Subject, ...]:
        """The roster on the cycle's last day (who had left is not counted)."""
        last = months(cycle)[-1]
        return tuple(m for m in self.members if m.periods is None or last in m.periods)

    def group_members(self, group: Subject, cycle: Cycle) -> tuple[Subject, ...]:
        codes = {m.code for m in self.at_end(cycle)}
        return tuple(m for m in _kind(cycle.under(group.code), "member") if m.code in codes)


def branch_of(subject: Subject, cycle: Cycle) -> Branch:
    groups = _kind(cycle.under(subject.code), "party_group")
    members = _kind(cycle.under(subject.code), "member")
    for group in groups:
        members += _kind(cycle.under(group.code), "member")
    present = sorted((m for m in members if member_months(m, cycle)), key=_code)
    return Branch(subject, groups, tuple(present))


def _code(subject: Subject) -> str:
    return subject.code


def _kind(subjects, kind: str) -> tuple[Subject, ...]:
    return tuple(s for s in subjects if s.kind == kind)


# -- one member ---------------------------------------------------------------------------


def attended_months(member: Subject, records: tuple[Record, ...]) -> set[str]:
    return {
        r.date[:7]
        for r in records
        if r.kind in ORG_LIFE and (member.code in r.attendees or r.lecturer == member.code)
    }


def paid_months(member: Subject, records: tuple[Record, ...]) -> set[str]:
    return {r.month for r in records if r.kind == "dues" and r.member == member.code and r.month}


def longest_gap(wanted: list[str], done: set[str]) -> list[str]:
    """The longest run of consecutive months of ``wanted`` with none in ``done``."""
    best: list[str] = []
    run: list[str] = []
    for month in wanted:
        run = [] if month in done else [*run, month]
        if len(run) > len(best):
            best = run
    return best


@dataclass(frozen=True)
class Lapse:
    """A member's longest runs without organizational life and without dues."""

    no_life: list[str]
    no_dues: list[str]

    def lapsed(self, limit: int) -> bool:
        return len(self.no_life) >= limit or len(self.no_dues) >= limit

    def text(self) -> str:
        parts = []
        for what, run in (("未参加组织生活", self.no_life), ("未交党费", self.no_dues)):
            if run:
                parts.append(f"{run[0]}至{run[-1]}连续{len(run)}个月{what}")
        return ";".join(parts) or "无中断"


def lapse(member: Subject, cycle: Cycle) -> Lapse:
    records = cycle.records_of(member.code)
    wanted = member_months(member, cycle)
    return Lapse(
        longest_gap(wanted, attended_months(member, records)),
        longest_gap(wanted, paid_months(member, records)),
    )


def training_hours(member: Subject, cycle: Cycle) -> float:
    return sum(
        r.hours or 0.0
        for r in cycle.records_of(member.code)
        if r.kind == "training" and member.code in r.attendees
    )


def required_hours(member: Subject, cycle: Cycle) -> float:
    """The year's hours, in proportion to the months of the cycle the person belonged."""
    hours = COMMITTEE_HOURS if is_committee(member) else MEMBER_HOURS
    return round(hours * len(member_months(member, cycle)) / 12, 2)


def years_after(day: str, years: int) -> str:
    start = date.fromisoformat(day)
    try:
        return start.replace(year=start.year + years).isoformat()
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28).isoformat()
