"""Part one: the five standardizations (5个标准化) of seed 002 篇三 as automatic checks of a
branch, computed from the registry and the activity records. Each check returns the
points it gives, its maximum, the records (or members) it counted and a note; a check
that does not apply (no party groups, a yearly meeting in a half-year review, a unit
that is not a branch) is worth 0 of 0 and so leaves the others' share unchanged.

Each function's docstring cites its sentence of ``seeds/002_f02d12f383623dcb.txt``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from enterprise_5std import roster as r
from zhibu.engine import AutomaticIndicator, Computed, Cycle, Record, Subject
from zhibu.engine.numbers import fmt, round2

Check = Callable[[r.Branch, Cycle, Mapping[str, Any], float], Computed]


def _na(why: str) -> Computed:
    return Computed(0, 0, (), f"不适用:{why}", "not applicable")


def _share(points: float, met: int, of: int) -> float:
    return round2(points * met / of) if of else 0.0


# -- 组织建设 ------------------------------------------------------------------------------


def branch_setup(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """A branch has at least three full members and fewer than fifty members.

    Seed: "正式党员3人以上的单位、部门或其它内设机构应成立党支部;正式党员不足3人的,应与邻近或
    业务相近的单位党员联合成立党支部。党员50人以上、不足100人的建立党的总支部委员会"
    """
    members = branch.at_end(cycle)
    full = [m for m in members if r.is_full(m)]
    counted = tuple(r.label(m) for m in members)
    note = f"正式党员 {len(full)} 人,党员共 {len(members)} 人"
    if len(full) < 3:
        return Computed(0, points, counted, f"{note}:不足3人,应联合成立党支部")
    if len(members) >= 50:
        return Computed(0, points, counted, f"{note}:50人以上,应建立党总支")
    return Computed(points, points, counted, f"{note}:设置符合要求")


def committee(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seven members or more: a committee of three to seven, an odd number; fewer: a
    secretary.

    Seed: "党员人数超过7人的,设支部委员会。支部委员会1般由3⑸人组成,最多不超过7人,委员人数为
    单数。" and "党员不足7人的,不设支部委员会,只设支部书记1人" — seven exactly follows 篇四's
    "党员人数7人以上的党支部全部建立支部委员会".
    """
    members = branch.at_end(cycle)
    board = [m for m in members if r.is_committee(m)]
    counted = tuple(r.label(m) for m in board)
    if not any(r.is_secretary(m) for m in board):
        return Computed(0, points, counted, "未配备支部书记", "no secretary")
    if len(members) < 7:
        return Computed(points, points, counted, f"党员 {len(members)} 人,不足7人:设书记即可")
    size = len(board)
    if 3 <= size <= 7 and size % 2 == 1:
        return Computed(points, points, counted, f"党员 {len(members)} 人,支委 {size} 人(单数)")
    return Computed(0, points, counted, f"党员 {len(members)} 人,支委 {size} 人:应为3至7人单数")


def _elections(branch: r.Branch, cycle: Cycle) -> list[Record]:
    own = cycle.records_of(branch.subject.code)
    return sorted((x for x in own if x.kind == "election" and x.date <= cycle.end), key=_date)


def _date(record: Record) -> str:
    return record.date


def term(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """The committee is re-elected when its term ends.

    Seed: "党支部委员会每届任期3年至5年,届满按时改选。如需延期或提早进行换届选举,须报上级党组织
    批准,延期1般不超过1年。" The term is the setting ``term_years`` (5 by default); an
    approved extension is not recorded, so an overdue election shows until it is held.
    """
    elections = _elections(branch, cycle)
    if not elections:
        return Computed(0, points, (), "未登记换届选举", "no election recorded")
    last = elections[-1].date
    due = r.years_after(last, settings["term_years"])
    counted = (f"{last} 换届选举",)
    if due > cycle.end:
        return Computed(points, points, counted, f"任期{settings['term_years']}年,{due} 届满")
    return Computed(
        0, points, counted, f"任期已于 {due} 届满,未按时改选", f"term ended {due}: overdue"
    )


def secretary_standing(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """A secretary elected in the cycle has three years of party standing (from 转正).

    Seed: "新任职基层党支部书记1般应具有3年以上党龄。" The secretary is the member the election
    record names, else the registry's secretary.
    """
    new = [x for x in _elections(branch, cycle) if x.date >= cycle.start]
    if not new:
        return _na("本期无换届,无新任书记")
    record = new[-1]
    people = {m.code: m for m in branch.members}
    secretary = people.get(record.member) or next(
        (m for m in branch.members if r.is_secretary(m)), None
    )
    if secretary is None:
        return Computed(0, points, (f"{record.date} 换届选举",), "未登记新任书记")
    counted = (f"{record.date} 换届选举", r.label(secretary))
    since = secretary.attrs.get("full_since")
    if not since:
        return Computed(0, points, counted, "转正时间未登记,无法核实党龄")
    if r.years_after(since, 3) <= record.date:
        return Computed(points, points, counted, f"{since} 转正,党龄满3年")
    return Computed(0, points, counted, f"{since} 转正,任职时党龄不足3年")


def party_groups(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Each party group has at least three members, one of them a full member.

    Seed: "每一个党小组不应少于3名党员,其中最少有1名正式党员" and "党员数量较少的党支部可不划分
    党小组。" (no groups: not applicable).
    """
    if not branch.groups:
        return _na("未划分党小组")
    good, shown = 0, []
    for group in branch.groups:
        people = branch.group_members(group, cycle)
        full = sum(1 for m in people if r.is_full(m))
        ok = len(people) >= 3 and full >= 1
        good += ok
        shown.append(f"{group.name} {len(people)}人/正式{full}人" + ("" if ok else "✗"))
    note = f"{good}/{len(branch.groups)} 个党小组符合要求"
    return Computed(_share(points, good, len(branch.groups)), points, tuple(shown), note)


# -- 组织生活 ------------------------------------------------------------------------------


def _regular(
    records, kind: str, periods: list[str], of=lambda month: month
) -> tuple[int, tuple[str, ...], str]:
    """How many of ``periods`` have a record of ``kind``; the first record of each, and the
    periods missed."""
    first: dict[str, str] = {}
    for record in sorted(records, key=_date):
        if record.kind == kind:
            first.setdefault(of(record.date[:7]), record.date)
    met = [p for p in periods if p in first]
    missed = [p for p in periods if p not in first]
    note = f"缺:{'、'.join(missed)}" if missed else "每期均已召开"
    return len(met), tuple(first[p] for p in met), note


def _periodic(kind: str, quarterly: bool, branch, cycle, points: float) -> Computed:
    months = r.months(cycle)
    periods = sorted({r.quarter(m) for m in months}) if quarterly else months
    met, counted, note = _regular(
        cycle.records_of(branch.subject.code), kind, periods, r.quarter if quarterly else str
    )
    return Computed(_share(points, met, len(periods)), points, counted, note)


def general_meeting(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "支部党员大会原则上每季度召开1次" """
    return _periodic("general_meeting", True, branch, cycle, points)


def committee_meeting(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "党支部委员会会议原则上每个月召开1次" (a branch of fewer than seven has no
    committee: not applicable)."""
    if len(branch.at_end(cycle)) < 7:
        return _na("党员不足7人,不设支委会")
    return _periodic("committee_meeting", False, branch, cycle, points)


def group_meeting(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Every party group meets every month (its meetings are recorded on the group).

    Seed: "党小组会每个月最少召开1次。"
    """
    if not branch.groups:
        return _na("未划分党小组")
    months = r.months(cycle)
    met, counted, notes = 0, [], []
    for group in branch.groups:
        count, dates, note = _regular(cycle.records_of(group.code), "group_meeting", months)
        met += count
        counted += [f"{group.code} {d}" for d in dates]
        notes.append(f"{group.name} {count}/{len(months)}")
        if count < len(months):
            notes[-1] += f"({note})"
    total = len(months) * len(branch.groups)
    return Computed(_share(points, met, total), points, tuple(counted), ";".join(notes))


def party_lecture(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "每季度最少展开1次,根据需要可适当增加党课次数。" (党课制度)"""
    return _periodic("party_lecture", True, branch, cycle, points)


def secretary_lecture(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """The secretary gives at least one party lecture a year (yearly: not counted in a
    half-year review).

    Seed: "党支部书记每一年最少讲1次党课。"
    """
    if not r.whole_year(cycle):
        return _na("年度要求,半年评审不计")
    secretaries = {m.code for m in branch.members if r.is_secretary(m)}
    given = [
        x
        for x in cycle.records_of(branch.subject.code)
        if x.kind == "party_lecture" and x.lecturer in secretaries
    ]
    counted = tuple(f"{x.date} {x.lecturer}" for x in sorted(given, key=_date))
    if given:
        return Computed(points, points, counted, "书记已讲党课")
    return Computed(0, points, counted, "书记本年度未讲党课", "the secretary gave no lecture")


def theme_party_day(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "每个月相对固定1天作为主题党日" """
    return _periodic("theme_party_day", False, branch, cycle, points)


def _yearly(kind: str, branch: r.Branch, cycle: Cycle, points: float) -> Computed:
    if not r.whole_year(cycle):
        return _na("年度要求,半年评审不计")
    held = sorted(x.date for x in cycle.records_of(branch.subject.code) if x.kind == kind)
    if held:
        return Computed(points, points, tuple(held), "本年度已召开")
    return Computed(0, points, (), "本年度未召开", "not held this year")


def org_life_meeting(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "党员领导干部带头以普通党员身份参加支部组织生活会,每一年召开1次。" """
    return _yearly("org_life_meeting", branch, cycle, points)


def member_appraisal(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Seed: "依照个人自评、党员互评、民主测评、组织评定的程序,对党员表现进行客观公正评价,每一年
    进行1次。" """
    return _yearly("member_appraisal", branch, cycle, points)


# -- 党员管理 ------------------------------------------------------------------------------


def training(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """Every member reaches the year's training hours: 32, or 56 for the secretary and the
    committee members (in proportion to the months of the cycle they belonged).

    Seed: "党员每一年集中学习培训时间应很多于32学时。党支部书记和党支部委员每一年集中学习培训
    时间应很多于56学时。"
    """
    if not branch.members:
        return Computed(0, points, (), "无党员", "no members")
    reached, counted, short = 0, [], []
    for member in branch.members:
        hours, needed = r.training_hours(member, cycle), r.required_hours(member, cycle)
        text = f"{member.code} {fmt(hours)}/{fmt(needed)}学时"
        counted.append(text)
        if hours + 1e-9 >= needed:
            reached += 1
        else:
            short.append(text)
    note = f"{reached}/{len(branch.members)} 人达到学时" + (
        f";未达到:{'、'.join(short)}" if short else ""
    )
    return Computed(_share(points, reached, len(branch.members)), points, tuple(counted), note)


def no_lapse(branch: r.Branch, cycle: Cycle, settings, points: float) -> Computed:
    """No member goes six consecutive months without organizational life or without dues.

    Seed: "党员如果没有正当理由,连续6个月不参加党的组织生活,或不交纳党费,或不做党分配的工作,
    按自行脱党处理。" Attendance and dues records are what the check reads.
    """
    limit = r.LAPSE_MONTHS
    if not branch.members:
        return Computed(0, points, (), "无党员", "no members")
    lapsed = []
    for member in branch.members:
        found = r.lapse(member, cycle)
        if found.lapsed(limit):
            lapsed.append(f"{r.label(member)}:{found.text()}")
    counted = tuple(m.code for m in branch.members)
    if lapsed:
        return Computed(0, points, counted, f"连续{limit}个月:{';'.join(lapsed)}")
    return Computed(points, points, counted, f"无连续{limit}个月不参加组织生活或不交党费的党员")


# -- the checks as automatic indicators -----------------------------------------------------

CHECKS: tuple[tuple[str, str, str, str, float, Check], ...] = (
    # code, key, category, title, default points, check
    ("O1", "branch_setup", "组织建设", "支部设置", 5, branch_setup),
    ("O2", "committee", "组织建设", "支委设置", 5, committee),
    ("O3", "term", "组织建设", "按期换届", 5, term),
    ("O4", "secretary_standing", "组织建设", "新任书记党龄", 5, secretary_standing),
    ("O5", "party_groups", "组织建设", "党小组设置", 5, party_groups),
    ("L1", "general_meeting", "组织生活", "党员大会每季度", 4, general_meeting),
    ("L2", "committee_meeting", "组织生活", "支委会每月", 4, committee_meeting),
    ("L3", "group_meeting", "组织生活", "党小组会每月", 4, group_meeting),
    ("L4", "party_lecture", "组织生活", "党课每季度", 4, party_lecture),
    ("L5", "secretary_lecture", "组织生活", "书记每年讲党课", 3, secretary_lecture),
    ("L6", "theme_party_day", "组织生活", "主题党日每月", 5, theme_party_day),
    ("L7", "org_life_meeting", "组织生活", "组织生活会每年", 3, org_life_meeting),
    ("L8", "member_appraisal", "组织生活", "民主评议党员每年", 3, member_appraisal),
    ("M1", "training_hours", "党员管理", "学习培训学时", 8, training),
    ("M2", "no_lapse", "党员管理", "无连续6个月脱离组织生活或不交党费", 7, no_lapse),
)
BRANCH_KINDS = ("branch",)


def _compute(
    check: Check, settings: Mapping[str, Any], points: float, subject: Subject, records, cycle
) -> Computed:
    if subject.kind not in BRANCH_KINDS:
        return _na("标准化检查适用于党支部,总支与企业党组织看检查清单")
    return check(r.branch_of(subject, cycle), cycle, settings, points)


def indicators(settings: Mapping[str, Any]) -> tuple[AutomaticIndicator, ...]:
    """The checks with the tenant's points bound in (setting ``points.<code>``)."""
    return tuple(
        AutomaticIndicator(
            f"enterprise_5std.{key}",
            f"{code} {category}·{title}",
            partial(_compute, check, settings, settings[f"points.{code}"]),
            ("enterprise_5std",),
        )
        for code, key, category, title, _, check in CHECKS
    )
