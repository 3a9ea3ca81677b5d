"""The engine's plain data: what a scheme defines, what a cycle feeds in, what comes out.

Everything here is a frozen dataclass or a plain value, so the engine is a pure function
of its inputs: no Flask, no database, no clock, no randomness.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

from zhibu.engine.numbers import fmt

Aggregation = Literal["mean", "trimmed_mean"]


@dataclass(frozen=True)
class Indicator:
    """One line of a rubric (考核指标).

    :param mode: ``additive`` (points awarded up to ``max_points``) or ``deduction``
        (the line starts full and deductions, each with a reason, come off it).
    """

    code: str
    title: str
    max_points: float
    mode: Literal["additive", "deduction"] = "additive"
    category: str = ""
    guidance: str = ""  # 考核内容 / what the assessor looks for
    evidence: str = ""  # what to show (台账, 记录 …)


@dataclass(frozen=True)
class Rubric:
    """Indicator lines and their points.

    :param brief: a sheet's deduction lines that lost nothing are explained together in
        one line ("其余 49 项未扣分"), not one line each: for long sheets entered often (a
        member's 50 lines every month), where one line per line would swamp the
        explanation and the recompute.
    """

    key: str
    title: str
    indicators: tuple[Indicator, ...]
    brief: bool = False

    @cached_property  # read for every sheet of a cycle: worked out once
    def max_points(self) -> float:
        return sum(i.max_points for i in self.indicators)

    def indicator(self, code: str) -> Indicator | None:
        return self._by_code.get(code)

    @cached_property
    def _by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def in_order(self, codes) -> list[Indicator]:
        """The indicators of ``codes`` (known ones), in the rubric's order."""
        found = [self._by_code[c] for c in codes if c in self._by_code]
        return sorted(found, key=self.indicators.index) if len(found) > 1 else found

    @cached_property
    def deduction_full(self) -> tuple[int, float]:
        """How many deduction-mode lines the rubric has, and their points together."""
        lines = [i.max_points for i in self.indicators if i.mode == "deduction"]
        return len(lines), sum(lines)


@dataclass(frozen=True)
class Source:
    """Where a score comes from (民主测评, 考核组 …) and its share of the total.

    :param weight: share of the composite total (0.3 for 30 %); ignored if not ``counted``.
    :param counted: False for a score kept and shown but not counted (自评).
    :param periodic: rows carry sub-periods (months); the source score is the mean of
        the periods the subject belonged to.
    :param rubric: key of the rubric that ``items`` and ``deductions`` refer to.
    :param trim_from: with ``trimmed_mean``, drop the highest and lowest rater from this
        many raters on.
    :param automatic: the source is computed from activity records by these automatic
        indicators (their points over their maxima, on the source's scale).
    """

    key: str
    title: str
    weight: float
    aggregation: Aggregation = "mean"
    trim_from: int = 5
    counted: bool = True
    periodic: bool = False
    rubric: str | None = None
    scale: float = 100.0
    automatic: tuple[str, ...] = ()  # keys of automatic indicators that make the score


@dataclass(frozen=True)
class Band:
    """Totals from ``minimum`` up (inclusive) get these stars and/or this grade."""

    minimum: float
    stars: int | None = None
    grade: str | None = None


@dataclass(frozen=True)
class Track:
    """What one kind of subject is rated on: its sources and bands (a branch track and a
    member track in most schemes).

    :param grades: the grades the scheme's rules give on this track, best first, where
        the rules rather than the bands set the level (``("five_good", "not_yet")``): with
        the bands' levels, what reports list, count and publish (the best one) — the core
        assumes no stars and guesses no order.
    """

    key: str
    title: str
    subject_kinds: tuple[str, ...]
    sources: tuple[Source, ...]
    bands: tuple[Band, ...]
    floor: Band | None = None  # below every band (e.g. one star, or weak and lax)
    grades: tuple[str, ...] = ()

    def source(self, key: str) -> Source | None:
        return next((s for s in self.sources if s.key == key), None)

    @cached_property
    def ascending(self) -> tuple[Band, ...]:
        """The bands from the lowest minimum up (worked out once per track)."""
        return tuple(sorted(self.bands, key=lambda b: b.minimum))

    @cached_property
    def levels(self) -> tuple[tuple[int | None, str | None], ...]:
        """The levels the track declares, best first, as (stars, grade): its bands from the
        highest minimum down, its floor, then ``grades`` (worked out once per track)."""
        bands = [*reversed(self.ascending), *([self.floor] if self.floor else [])]
        found = [(b.stars, None if b.stars is not None else b.grade) for b in bands]
        found += [(None, grade) for grade in self.grades]
        return tuple(dict.fromkeys(level for level in found if level != (None, None)))

    def level_place(self, stars: int | None, grade: str | None) -> int:
        """Where a result's level stands among :attr:`levels` (0 = the best); a level the
        track does not declare, or none (a vetoed result), after every declared one."""
        for place, (band_stars, band_grade) in enumerate(self.levels):
            if (band_stars is not None and stars == band_stars) or (
                band_stars is None and grade is not None and grade == band_grade
            ):
                return place
        return len(self.levels)

    def standing(self, stars: int | None, grade: str | None, total: float | None) -> tuple:
        """What a ranking orders on, best first: the declared level (a subject a rule
        lowered or failed never above one at a higher level), then the total."""
        return (self.level_place(stars, grade), -(total if total is not None else -1e18))

    @cached_property
    def counted(self) -> tuple[Source, ...]:
        """The sources that make up the total (worked out once per track)."""
        return tuple(s for s in self.sources if s.counted)

    @cached_property
    def scales(self) -> dict[str, float]:
        """Each source's scale, by key: what a plain score is checked against."""
        return {s.key: s.scale for s in self.sources}

    @cached_property
    def series_sources(self) -> frozenset[str]:
        """Sources whose plain scores may come as a :class:`ScoreSeries`: periodic ones
        that are not computed from records."""
        return frozenset(s.key for s in self.sources if s.periodic and not s.automatic)

    @cached_property
    def percent(self) -> dict[str, str]:
        """Each source's weight as shown in an explanation ("30%"), by key."""
        return {s.key: f"{fmt(s.weight * 100)}%" for s in self.sources}

    def band_text(self, band: Band, names: Mapping[str, str] | None = None) -> tuple[str, str]:
        """What a band gives and from where, as shown in an explanation, in Chinese (the
        grade by its name in ``names``) and in English: ("5★(≥90)", "5★ (≥90)")."""
        key = (band, band is self.floor)
        texts = self._band_texts
        if key not in texts:
            stars = f"{band.stars}★" if band.stars else ""
            grade = (names or {}).get(band.grade, band.grade) if band.grade else ""
            zh = "、".join(x for x in (stars, grade) if x)
            en = " / ".join(x for x in (stars, band.grade or "") if x)
            if key[1]:
                texts[key] = (f"{zh}(低于各档)", f"{en} (below every band)")
            else:
                texts[key] = (f"{zh}(≥{fmt(band.minimum)})", f"{en} (≥{fmt(band.minimum)})")
        return texts[key]

    @cached_property
    def _band_texts(self) -> dict[tuple[Band, bool], tuple[str, str]]:
        return {}  # filled as bands are met


# -- a cycle's inputs -------------------------------------------------------------------


class Move(NamedTuple):
    """A member's transfer (组织关系转接) from one unit to another, by unit code. The member
    is in ``to_unit`` from the day ``on`` (ISO date)."""

    on: str
    from_unit: str
    to_unit: str


class MemberFacts(NamedTuple):
    """What the member registry says of a member, for rules that read it (the age
    structure of a branch, its secretary's standing …). Texts as recorded; an empty text
    is a fact not recorded. Dates are ISO (``1975-03-08``).

    :param birth: 出生日期. :param gender: 性别 (``男`` / ``女``). :param ethnicity: 民族.
    :param education: 学历. :param position: 党内职务 (``书记``, ``组织委员`` …).
    :param category: ``serving`` (在职), ``retired`` (离退休) or ``mobile`` (流动).
    :param status: ``full`` (正式党员) or ``probationary`` (预备党员).
    :param joined: 入党时间. :param full_since: 转正时间. :param left: the day they left
        the organization (an inactive member), else empty.
    :param moves: the member's transfers between units, oldest first (all of them, also
        after the cycle: the subject's ``unit`` is the unit they are in now).
    """

    birth: str = ""
    gender: str = ""
    ethnicity: str = ""
    education: str = ""
    position: str = ""
    category: str = "serving"
    status: str = "full"
    joined: str = ""
    full_since: str = ""
    left: str = ""
    moves: tuple[Move, ...] = ()

    def age_on(self, day: str) -> int | None:
        """Whole years of age on ``day`` (ISO date); None without a birth date."""
        if not self.birth:
            return None
        years = int(day[:4]) - int(self.birth[:4])
        return years - 1 if day[5:10] < self.birth[5:10] else years


class Unit(NamedTuple):
    """A unit of the org tree as the cycle sees it, whether the scheme covers its kind or
    not (a 管区 between a township and its villages): :attr:`Cycle.units`."""

    code: str
    kind: str
    name: str = ""
    parent: str | None = None
    retired: bool = False
    exempt: bool = False


@dataclass(frozen=True)
class Subject:
    """A unit or a member the scheme covers.

    :param unit: for a member, the code of their unit now; for a unit, its parent's code
        (a unit the scheme may not cover: :meth:`Cycle.unit` finds it).
    :param periods: sub-periods (``2021-03``) the subject belonged for; None means all.
    :param attrs: plain extras: a unit's ``unit_name`` (its parent's name); a member's
        ``position``, ``status``, ``joined`` and ``full_since`` (as in ``member``, kept
        for plugins written before it).
    :param member: for a member, what the registry says of them (:class:`MemberFacts`).
    """

    code: str
    kind: str
    name: str = ""
    unit: str | None = None
    retired: bool = False
    exempt: bool = False
    periods: frozenset[str] | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    member: MemberFacts | None = None

    def unit_on(self, day: str) -> str | None:
        """The unit a member was in on ``day`` (ISO date): their unit now, taken back
        through their moves (a move counts from its day). A unit's: its parent."""
        unit = self.unit
        if self.member is None:
            return unit
        for move in reversed(self.member.moves):
            if move.on <= day:
                break
            unit = move.from_unit
        return unit


class Deduction(NamedTuple):
    item: str
    points: float
    reason: str


class ScoreRow(NamedTuple):
    """One rater's score for one subject from one source (and sub-period).

    Exactly one of ``score`` (a total on the source's scale), ``items`` (points per
    indicator) or ``deductions`` (off the rubric's maximum) is the usual case; ``items``
    and ``deductions`` may come together. ``ref`` says where the row came from (a line of
    a scenario file, a sheet id) so that errors can point at it. A named tuple: a city's
    year is most of a million of these.
    """

    subject: str
    source: str
    rater: str = ""
    score: float | None = None
    items: Mapping[str, float] | None = None
    deductions: tuple[Deduction, ...] = ()
    period: str | None = None
    ref: str = ""

    @property
    def plain(self) -> bool:
        """Only a total score: the row is its rater's whole sheet."""
        return self.score is not None and not self.items and not self.deductions

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.ref,)


class ScoreSeries(NamedTuple):
    """One rater's plain scores for one subject from one periodic source, one score per
    period (a member's monthly scores): the compact form of as many plain
    :class:`ScoreRow` s, which it stands for in every way. A city's year is most of a
    million monthly scores; as series they are a tenth as many objects.
    """

    subject: str
    source: str
    rater: str
    periods: tuple[str, ...]
    scores: tuple[float, ...]
    ref: str = ""

    def rows(self) -> list[ScoreRow]:
        """The plain score rows the series stands for."""
        return [
            ScoreRow(self.subject, self.source, self.rater, score, None, (), period, self.ref)
            for period, score in zip(self.periods, self.scores, strict=True)
        ]


@dataclass(frozen=True)
class Incident:
    subject: str
    kind: str
    date: str  # ISO date; the engine compares strings, it reads no clock
    note: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Past:
    """A result of an earlier cycle, for rules over history."""

    period: str
    subject: str
    stars: int | None = None
    total: float | None = None
    grade: str | None = None
    titles: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


class Record(NamedTuple):
    """An activity record (meeting, lecture, training, dues) for automatic indicators."""

    org: str
    kind: str
    date: str
    attendees: tuple[str, ...] = ()
    member: str | None = None
    month: str | None = None
    hours: float | None = None
    lecturer: str | None = None


@dataclass(frozen=True)
class Cycle:
    """Everything one evaluation needs, in one value.

    :param start: first day of the cycle (ISO); :param end: last day.
    :param previous: labels of earlier cycles of the same length, newest first
        (``("2020", "2019")``) — what "two years running" reads.
    :param units: the whole org tree of the cycle, covered by the scheme or not (the units
        that existed in it). A cycle made without it has the tree of its unit subjects.
    """

    period: str
    start: str
    end: str
    subjects: tuple[Subject, ...]
    scores: tuple[ScoreRow | ScoreSeries, ...] = ()
    incidents: tuple[Incident, ...] = ()
    records: tuple[Record, ...] = ()
    history: tuple[Past, ...] = ()
    previous: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    units: tuple[Unit, ...] = ()

    def unit(self, code: str) -> Unit | None:
        """The unit with ``code`` in the tree, covered by the scheme or not."""
        return self._tree[0].get(code)

    def below(self, code: str) -> tuple[Unit, ...]:
        """Every unit under ``code``, at any depth, covered or not: depth first, siblings
        in the order given (a township's villages, also those under a 管区)."""
        found: list[Unit] = []
        stack = list(reversed(self._tree[1].get(code, ())))
        while stack:
            unit = stack.pop()
            found.append(unit)
            stack.extend(reversed(self._tree[1].get(unit.code, ())))
        return tuple(found)

    def above(self, code: str) -> tuple[Unit, ...]:
        """The units above ``code``, its parent first, up to the root."""
        by_code, chain, seen = self._tree[0], [], {code}
        parent = by_code[code].parent if code in by_code else None
        while parent is not None and parent in by_code and parent not in seen:
            seen.add(parent)
            chain.append(by_code[parent])
            parent = by_code[parent].parent
        return tuple(chain)

    def under(self, unit: str) -> tuple[Subject, ...]:
        """The subjects directly under a unit: its members and its sub-units (a branch's
        party groups), in the order the subjects were given."""
        return self._under.get(unit, ())

    def records_of(self, code: str) -> tuple[Record, ...]:
        """A unit's own records, or for a member those that name them (attendee, payer,
        lecturer): what an automatic indicator of that subject receives."""
        return self._records.get(code, ())

    # indexes made on first use (a frozen dataclass still has a __dict__ to cache in)
    @cached_property
    def _under(self) -> dict[str, tuple[Subject, ...]]:
        grouped: dict[str, list[Subject]] = defaultdict(list)
        for subject in self.subjects:
            if subject.unit is not None:
                grouped[subject.unit].append(subject)
        return {unit: tuple(rows) for unit, rows in grouped.items()}

    @cached_property
    def _tree(self) -> tuple[dict[str, Unit], dict[str | None, list[Unit]]]:
        units = self.units or tuple(
            Unit(s.code, s.kind, s.name, s.unit, s.retired, s.exempt)
            for s in self.subjects
            if s.kind != "member"
        )
        children: dict[str | None, list[Unit]] = defaultdict(list)
        for unit in units:
            children[unit.parent].append(unit)
        return {u.code: u for u in units}, children

    @cached_property
    def _records(self) -> dict[str, tuple[Record, ...]]:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for record in self.records:
            grouped[record.org].append(record)
            people = set(record.attendees) | {record.member, record.lecturer}
            for person in people - {None, record.org}:
                grouped[person].append(record)
        return {code: tuple(rows) for code, rows in grouped.items()}


@dataclass(frozen=True)
class Computed:
    """What an automatic indicator found: its points, and the records it counted."""

    points: float
    max_points: float
    counted: tuple[str, ...] = ()
    note: str = ""  # in Chinese
    note_en: str = ""  # the same in English


@dataclass(frozen=True)
class AutomaticIndicator:
    """An indicator computed from activity records instead of scored by a person.

    :param key: unique indicator key (``enterprise_5std.committee_monthly``).
    :param title: the Chinese title shown next to the computed value.
    :param compute: pure function ``(subject, records, cycle) -> Computed``; ``records``
        are the subject's own (its unit's, or those naming the member).
    :param schemes: scheme keys the indicator applies to; empty means every scheme.
    """

    key: str
    title: str
    compute: Callable[[Subject, tuple[Record, ...], Cycle], Computed]
    schemes: tuple[str, ...] = ()


# -- results ----------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    """One step of an explanation: where points came from or what a rule did. (Slotted:
    a city's results hold hundreds of thousands.)"""

    text: str
    points: float | None = None
    source: str | None = None
    rater: str | None = None
    indicator: str | None = None
    reason: str | None = None
    rule: str | None = None
    en: str | None = None  # the text in English (``text`` is Chinese, the seeds' language)


INCOMPLETE = "missing_source"  # the flag of a result whose counted sources are not all in


@dataclass
class Result:
    """What the engine found for one subject; the scheme's rules change it in place.

    :param track: the key of the track that rates the subject (None: not covered).
    :param rated: False for a subject listed but not rated (retired, exempt, not covered).
    :param total: the composite total, two decimals (None: missing or not rated).
    :param stars: the stars of its band (or as the rules set them); :param grade: the
        grade of its band.
    :param titles: titles the rules award (``model_branch``); :param flags: what the rules
        found (``vetoed``, ``missing_source`` …); :param actions: the work that follows
        (``rectification_plan`` …): keys the scheme names in ``Scheme.labels``.
    :param source_scores: each source's score on its scale, by source key (and
        ``<source>.periods``: the months counted of a periodic source).
    :param explanation: the :class:`Line` s that trace every point.
    :param gap: how far the next band is, in words.
    :param rank: the place a ranking rule gave it within its group, 1 = best.
    :param items: each indicator's points by source key and indicator code, for rules
        that judge a standard item by item: a rubric line's points (the raters' mean, after
        deductions) and an automatic indicator's points, of every source that is not
        periodic (``{"assessment": {"A1": 4.0, …}}``).
    """

    subject: str
    subject_kind: str
    track: str | None
    rated: bool = True
    total: float | None = None
    stars: int | None = None
    grade: str | None = None
    titles: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    source_scores: dict[str, float] = field(default_factory=dict)
    explanation: list[Line] = field(default_factory=list)
    gap: str | None = None
    rank: int | None = None  # place within its group (a township's villages …), 1 = best
    items: dict[str, dict[str, float]] = field(default_factory=dict)

    def note(
        self, text: str, points: float | None = None, source: str | None = None, **details: Any
    ) -> None:
        self.explanation.append(Line(text, points, source, **details))

    @property
    def incomplete(self) -> bool:
        """Scores are missing (评分不全): no total, so no rule acts on it (issue 18)."""
        return INCOMPLETE in self.flags

    def flag(self, flag: str, text: str, rule: str, en: str | None = None) -> None:
        if flag not in self.flags:
            self.flags.append(flag)
        self.note(text, rule=rule, en=en)

    def act(self, action: str, text: str, rule: str, en: str | None = None) -> None:
        if action not in self.actions:
            self.actions.append(action)
        self.note(text, rule=rule, en=en)


Rule = Callable[["Context"], None]  # noqa: F821 (defined in zhibu.engine.compute)
