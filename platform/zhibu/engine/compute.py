"""Evaluate a whole cycle in one call: rater sheets → source scores → totals → bands →
the scheme's rules → gaps to the next band."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhibu.engine.model import (
    AutomaticIndicator,
    Band,
    Cycle,
    Incident,
    Past,
    Result,
    Rubric,
    Rule,
    ScoreRow,
    ScoreSeries,
    Source,
    Subject,
    Track,
)
from zhibu.engine.numbers import fmt, mean, round2, trimmed_mean
from zhibu.engine.sheets import (
    InputError,
    Problem,
    RaterSheet,
    check_sheet,
    merge_rows,
    sheet_value,
    where,
    where_zh,
)
from zhibu.engine.summary import IndicatorScore, indicator_scores


@dataclass(frozen=True)
class Definition:
    """A scheme as the engine runs it: tracks, rubrics and rules (see Scheme.definition)."""

    tracks: tuple[Track, ...]
    rubrics: tuple[Rubric, ...] = ()
    rules: tuple[Rule, ...] = ()
    automatic: tuple[AutomaticIndicator, ...] = ()
    # grade key → its Chinese name, for the explanation's band line (the core fills it from
    # the scheme's labels and its own names)
    grade_names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # lookups the evaluation makes per subject and per source, made once
        kinds = {kind: t for t in reversed(self.tracks) for kind in t.subject_kinds}
        object.__setattr__(self, "_by_kind", kinds)
        object.__setattr__(self, "_rubrics", {r.key: r for r in self.rubrics})

    def track_for(self, subject: Subject) -> Track | None:
        return self._by_kind.get(subject.kind)

    def track_of_kind(self, kind: str) -> Track | None:
        return self._by_kind.get(kind)

    def rubric(self, key: str | None) -> Rubric | None:
        return self._rubrics.get(key)


@dataclass
class Context:
    """What a rule sees: the whole cycle and every result, to read and to change.

    A rule changes results in place (stars, flags, titles, lines); it never adds, removes
    or replaces an entry of ``results`` (:meth:`rated` and :meth:`members_of` read an
    index of them made once).

    A result whose scores are incomplete (评分不全: a counted source missing, so no total)
    is not among the rated results a rule reads through :meth:`rated`, :meth:`members_of`
    and :meth:`below`: no re-check, downgrade, title or consequence acts on a result that
    has no total; it stays flagged with what is missing, nothing else (issue 18).
    """

    cycle: Cycle
    definition: Definition
    results: dict[str, Result]
    subjects: dict[str, Subject]
    incidents: dict[str, list[Incident]] = field(default_factory=dict)
    history: dict[str, dict[str, Past]] = field(default_factory=dict)
    _indexed: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.cycle.settings

    def rated(self, track: str | None = None) -> list[Result]:
        """The rated results (of ``track``), in the order of the subjects."""
        every = self.results.values() if track is None else self._index()[0].get(track, ())
        return [r for r in every if r.rated and not r.incomplete]

    def incomplete(self, track: str | None = None) -> list[Result]:
        """The results (of ``track``) rated but with scores incomplete (评分不全), in the
        order of the subjects: for a rule that says what is missing, and nothing else."""
        every = self.results.values() if track is None else self._index()[0].get(track, ())
        return [r for r in every if r.rated and r.incomplete]

    def members_of(self, unit: str, track: str | None = None) -> list[Result]:
        """The rated results (of ``track``) of the subjects directly under ``unit``."""
        return [
            r
            for r in self._index()[1].get(unit, ())
            if r.rated and not r.incomplete and track in (None, r.track)
        ]

    def below(self, unit: str, track: str | None = None) -> list[Result]:
        """The rated results (of ``track``) of the subjects anywhere under ``unit``: units
        at any depth and the members of each, through units the scheme does not cover
        (a township's villages under a 管区), in tree order."""
        by_unit = self._index()[1]
        codes = [unit, *(u.code for u in self.cycle.below(unit))]
        return [
            r
            for code in codes
            for r in by_unit.get(code, ())
            if r.rated and not r.incomplete and track in (None, r.track)
        ]

    def _index(self) -> tuple[dict[str | None, list[Result]], dict[str | None, list[Result]]]:
        """The results by track and by unit, made once (rules call :meth:`rated` and
        :meth:`members_of` over and over; a city has sixty thousand results). Rules change
        results, never which there are; should the set change, the index is made again."""
        if self._indexed is None or self._indexed[0] != len(self.results):
            by_track: dict[str | None, list[Result]] = defaultdict(list)
            by_unit: dict[str | None, list[Result]] = defaultdict(list)
            for result in self.results.values():
                by_track[result.track].append(result)
                by_unit[self.subjects[result.subject].unit].append(result)
            self._indexed = (len(self.results), by_track, by_unit)
        return self._indexed[1], self._indexed[2]

    def past(self, subject: str, cycles: int) -> list[Past | None]:
        """The subject's results in the ``cycles`` previous cycles, newest first."""
        own = self.history.get(subject, {})
        return [own.get(period) for period in self.cycle.previous[:cycles]]

    def scores(self, result: Result) -> list[IndicatorScore]:
        """Each rubric line's score of ``result`` as data (:class:`IndicatorScore`: the
        raters' mean, points, maximum, deduction reasons, the points it cost the total),
        so a rule never parses the explanation's text."""
        track = next((t for t in self.definition.tracks if t.key == result.track), None)
        if track is None:
            return []
        rubrics = {r.key: r for r in self.definition.rubrics}
        return indicator_scores(track, rubrics, result.explanation, result.source_scores)

    def incidents_in_cycle(self, subject: str) -> list[Incident]:
        return [
            i
            for i in self.incidents.get(subject, [])
            if self.cycle.start <= i.date <= self.cycle.end
        ]


def evaluate(definition: Definition, cycle: Cycle) -> list[Result]:
    """Results for every subject of the cycle, in the order the subjects were given.

    :raises InputError: listing every row the engine refuses (unknown subject or source,
        a deduction without a reason or above its item, a score out of range).
    """
    _check_definition(definition)
    subjects = {s.code: s for s in cycle.subjects}
    sheets = _sheets(definition, subjects, cycle.scores)
    results = {
        s.code: _rate(definition, cycle, s, sheets.get(s.code, ()), cycle.records_of(s.code))
        for s in cycle.subjects
    }
    context = Context(
        cycle, definition, results, subjects, _group(cycle.incidents), _history(cycle.history)
    )
    for rule in definition.rules:
        rule(context)
    tracks = {t.key: t for t in reversed(definition.tracks)}  # the first of a key, as before
    for result in results.values():
        track = tracks.get(result.track)
        if track and result.rated and result.total is not None and result.stars is not None:
            band = band_for(track, result.total)
            if band is not None and band.stars == result.stars:  # no rule moved the stars
                result.gap = gap_text(track, result)
    return list(results.values())


def _check_definition(definition: Definition) -> None:
    known = {i.key for i in definition.automatic}
    for track in definition.tracks:
        for source in track.sources:
            missing = [key for key in source.automatic if key not in known]
            if missing:
                raise ValueError(
                    f"{track.key}.{source.key}: no automatic indicator {', '.join(missing)}"
                )


def _group(incidents) -> dict[str, list[Incident]]:
    grouped: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        grouped[incident.subject].append(incident)
    return grouped


def _history(history) -> dict[str, dict[str, Past]]:
    grouped: dict[str, dict[str, Past]] = defaultdict(dict)
    for past in history:
        grouped[past.subject][past.period] = past
    return grouped


def _sheets(definition: Definition, subjects: dict[str, Subject], scores) -> dict[str, list]:
    """Each subject's sheets, checked: the rows of one rater's sheet merged into one.

    Most subjects' rows are plain scores in range, one per source, rater and period (a
    city's year is most of a million): those rows are their own sheets, checked in one
    pass. The others are merged and checked sheet by sheet.

    :raises InputError: listing every row at fault, with its subject and line.
    """
    rows_of: dict[str, list[ScoreRow]] = defaultdict(list)
    for row in scores:
        rows_of[row.subject].append(row)
    problems: list[Problem] = []
    sheets: dict[str, list] = {}
    for code, rows in rows_of.items():
        subject = subjects.get(code)
        track = definition.track_for(subject) if subject is not None else None
        if track is not None and _plain(rows, track):
            sheets[code] = rows
            continue
        series = [r for r in rows if type(r) is ScoreSeries]
        if series:
            if track is not None and _series_apart(series, rows, track):
                rows = [r for r in rows if type(r) is not ScoreSeries]
            else:  # checked and explained row by row, as the rows they stand for
                series, rows = [], [x for r in rows for x in _rows_of(r)]
        merged = list(merge_rows(rows).values())
        problems += _problems(definition, subject, track, merged)
        sheets[code] = series + merged
    if problems:
        raise InputError(problems)
    return sheets


def _plain(rows: list, track: Track) -> bool:
    """Plain scores (rows, or series of them), each in range of a source of the track, one
    per source, rater and period: nothing to merge, nothing more to check."""
    scales = track.scales
    series = False
    for row in rows:  # the rows first: a rubric month ends it before any series is checked
        if type(row) is ScoreSeries:
            series = True
            continue
        score = row.score
        if score is None or row.items or row.deductions:
            return False
        if not 0 <= score <= scales.get(row.source, -1.0):
            return False
    if series and not all(_series_valid(r, track) for r in rows if type(r) is ScoreSeries):
        return False
    if len(rows) == 1:
        return True
    if series:  # a series alone under its source and rater
        pairs = [(r.source, r.rater) for r in rows]
        return len(set(pairs)) == len(pairs)
    return len({(r.source, r.rater, r.period) for r in rows}) == len(rows)


def _series_valid(series: ScoreSeries, track: Track) -> bool:
    """A series of a periodic source of the track, scores in range, months distinct."""
    scores, periods = series.scores, series.periods
    if series.source not in track.series_sources or len(periods) != len(scores) or not scores:
        return False
    try:
        low, high = min(scores), max(scores)
    except TypeError:  # a missing score: explained row by row
        return False
    return (
        low >= 0
        and high <= track.scales[series.source]
        and all(periods)
        and len(set(periods)) == len(periods)
    )


def _series_apart(series: list[ScoreSeries], rows: list, track: Track) -> bool:
    """Valid series, one per source and rater, whose months no other row of the same
    source and rater has: they stay series beside the other rows."""
    months: dict[tuple[str, str], set[str]] = {}
    for one in series:
        key = (one.source, one.rater)
        if key in months or not _series_valid(one, track):
            return False
        months[key] = set(one.periods)
    return not any(
        r.period in months.get((r.source, r.rater), ()) for r in rows if type(r) is not ScoreSeries
    )


def _rows_of(entry) -> list:
    return entry.rows() if type(entry) is ScoreSeries else [entry]


def _problems(definition: Definition, subject: Subject | None, track, sheets) -> list[Problem]:
    problems: list[Problem] = []
    for sheet in sheets:
        source = track.source(sheet.source) if track is not None else None
        if source is not None:  # then there is a subject, with a track
            if type(sheet) is not ScoreRow or not 0 <= sheet.score <= source.scale:
                problems += check_sheet(sheet, source, definition.rubric(source.rubric))
        elif subject is None:
            problems.append(
                Problem(
                    f"{where_zh(sheet)}:本周期没有这个评定对象",
                    f"{where(sheet)}: no such subject in this cycle",
                )
            )
        else:
            problems.append(
                Problem(
                    f"{where_zh(sheet)}:评分表“{_source_title(definition, sheet.source)}”"
                    "不评定这类对象",
                    f"{where(sheet)}: the sheet “{_source_title(definition, sheet.source)}” "
                    "does not rate this kind of subject",
                )
            )
    return problems


def _source_title(definition: Definition, key: str) -> str:
    """The title of a source of the scheme (its key when no track has it)."""
    return next((s.title for t in definition.tracks for s in t.sources if s.key == key), key)


def _rate(
    definition: Definition, cycle: Cycle, subject: Subject, sheets: list[RaterSheet], records: tuple
) -> Result:
    track = definition.track_for(subject)
    result = Result(subject.code, subject.kind, track.key if track else None)
    if track is None or subject.retired or subject.exempt:
        result.rated = False
        reason = "retired" if subject.retired else "exempt" if subject.exempt else "not_rated"
        zh, en = {
            "retired": ("离退休党组织:列入名单,不评星", "retired: listed, not rated"),
            "exempt": ("暂不列入星级管理", "exempt: listed, not rated"),
            "not_rated": ("本方案不评定此类对象", "not rated by this scheme"),
        }[reason]
        result.flag(reason, zh, rule="eligibility", en=en)
        return result
    by_source: dict[str, list] = defaultdict(list)
    for sheet in sheets:
        by_source[sheet.source].append(sheet)
    for source in track.sources:
        own = by_source.get(source.key, [])
        if source.automatic:
            score = _automatic_score(definition, cycle, subject, source, records, own, result)
        else:
            score = _source_score(definition, subject, source, own, result)
        if score is not None:
            result.source_scores[source.key] = round2(score)
    _composite(track, result, definition.grade_names)
    return result


def _source_score(definition, subject, source: Source, sheets, result: Result) -> float | None:
    rubric = definition.rubric(source.rubric)
    if not source.periodic:
        return _raters(source, rubric, sheets, result, "", keep=True)
    values, pairs = _periods(subject, source, rubric, sheets, result)
    result.source_scores[f"{source.key}.periods"] = len(values)
    if not values:
        return None
    value = mean(values)
    rounded = round2(value)  # shown as counted: halves up, as on paper
    result.note(
        f"{source.title}: {len(values)} 个月平均 = {fmt(rounded)} {_months(pairs, '月')}".rstrip(),
        rounded,
        source.key,
        en=f"{source.title}: mean of {len(values)} months = {fmt(rounded)} "
        f"{_months(pairs)}".rstrip(),
    )
    return value


def _periods(subject, source: Source, rubric, sheets, result: Result) -> tuple[list, list]:
    """Each month's value, in month order, and the list of them for the summary line. A
    month with one plain score is only listed there (a city's year is most of a million
    such months); a month with a rubric sheet or several raters is explained line by line
    before it. Months the subject was not in the unit are left out, and said so."""
    series = [s for s in sheets if type(s) is ScoreSeries]
    if len(sheets) == 1 and series:  # a series of plain scores, one a month: the common case
        return _plain_periods(subject, source, sorted(zip(*series[0][3:5], strict=True)), result)
    plain: dict[str, float] = {}  # months of one rater's series no other sheet has
    if len(series) == 1:
        others = [s for s in sheets if type(s) is not ScoreSeries]
        if not {s.period for s in others} & set(series[0].periods):
            plain = dict(zip(series[0].periods, series[0].scores, strict=True))
            sheets = others
    if not plain and series:
        sheets = [r for s in sheets for r in (s.rows() if type(s) is ScoreSeries else (s,))]
    by_period: dict[str, list] = defaultdict(list)
    for sheet in sheets:
        by_period[sheet.period or ""].append(sheet)
    if subject.periods is None:  # in the unit all along, as most are: nothing left out
        for period in sorted(by_period):
            plain[period] = _month_value(source, rubric, by_period[period], result, period)
        return _plain_periods(subject, source, sorted(plain.items()), result)
    values, pairs = [], []
    for period in sorted(plain.keys() | by_period.keys()):
        if period not in subject.periods:
            _left_out(result, source, period)
            continue
        month = by_period.get(period)
        value = (
            plain[period] if month is None else _month_value(source, rubric, month, result, period)
        )
        values.append(value)
        pairs.append((period, value))
    return values, pairs


def _months(pairs: list[tuple[str, float]], month: str = "") -> str:
    """Each month's value, in month order: "(03月 98.0; 04月 97.5)"."""
    shown = "; ".join(f"{period[-2:]}{month} {value:.1f}" for period, value in pairs)
    return f"({shown})" if shown else ""


def _month_value(source: Source, rubric, month: list, result: Result, period: str) -> float:
    """A month's value: its one plain score, or its raters' sheets explained line by line."""
    if len(month) == 1 and month[0].plain:
        return month[0].score
    return _raters(source, rubric, month, result, f"{period} ")


def _plain_periods(subject, source: Source, pairs, result: Result) -> tuple[list, list]:
    """Plain scores as ``(period, score)`` pairs, one a month, in month order: listed in
    the summary line only."""
    if subject.periods is not None:
        for period, _ in pairs:
            if period not in subject.periods:
                _left_out(result, source, period)
        pairs = [pair for pair in pairs if pair[0] in subject.periods]
    return [score for _, score in pairs], pairs


def _left_out(result: Result, source: Source, period: str) -> None:
    result.note(
        f"{source.title} {period}: 不在本支部,不计入",
        source=source.key,
        en=f"{source.title} {period}: left out: not in the unit that month",
    )


def _automatic_score(
    definition, cycle, subject, source: Source, records, sheets, result
) -> float | None:
    """Points of the source's automatic indicators over their maxima, on its scale.

    With a rubric as well, the raters' rubric points (their mean) join the automatic
    points, over both maxima together; no sheet then leaves the source missing. A plain
    total entered for the source stands for all of it: the automatic lines are shown,
    marked as not counted.
    """
    points, maximum = _automatic_points(definition, cycle, subject, source, records, result)
    if sheets and all(s.plain for s in sheets):
        result.note(
            f"{source.title}: 已录入总分,自动检查仅供参考",
            source=source.key,
            en=f"{source.title}: a total was entered: the automatic checks above are shown, "
            "not counted",
        )
        return _raters(source, None, sheets, result, "")
    rubric = definition.rubric(source.rubric)
    if rubric is None:
        return points * source.scale / maximum if maximum else 0.0
    if not sheets:
        return None
    rated = _raters(source, rubric, sheets, result, "", keep=True)
    rated = rated * rubric.max_points / source.scale
    points, maximum = points + rated, maximum + rubric.max_points
    value = points * source.scale / maximum if maximum else 0.0
    rounded = round2(value)
    result.note(
        f"{source.title}: 自动检查与评分细则合计 {fmt(points)}/{fmt(maximum)} → {fmt(rounded)}",
        rounded,
        source.key,
        en=f"{source.title}: automatic checks and the rubric together "
        f"{fmt(points)}/{fmt(maximum)} → {fmt(rounded)}",
    )
    return value


SHOWN = 12  # records an automatic line names before "…" (a year of monthly meetings)


def _automatic_points(definition, cycle, subject, source: Source, records, result) -> tuple:
    indicators = {i.key: i for i in definition.automatic}
    points = maximum = 0.0
    kept = result.items.setdefault(source.key, {}) if source.automatic else {}
    for key in source.automatic:
        found = indicators[key].compute(subject, records, cycle)
        points, maximum = points + found.points, maximum + found.max_points
        kept[key] = found.points
        listed = f":{'、'.join(found.counted[:SHOWN])}" if found.counted else ""
        listed += "…" if len(found.counted) > SHOWN else ""
        head = (
            f"{source.title}: {indicators[key].title} {fmt(found.points)}/{fmt(found.max_points)}"
        )
        result.note(
            f"{head} (计入 {len(found.counted)} 条{listed}) {found.note}".rstrip(),
            found.points,
            source.key,
            indicator=key,
            en=f"{head} ({len(found.counted)} counted{listed}) "
            f"{found.note_en or found.note}".rstrip(),
        )
    return points, maximum


def _raters(
    source: Source, rubric, sheets, result: Result, prefix: str, keep: bool = False
) -> float | None:
    """The raters' value of a source (or of a month of it), explained; with ``keep``, each
    rubric line's points (the raters' mean) go into ``result.items``."""
    if not sheets:
        return None
    if len(sheets) == 1:  # one rater: their value, no aggregation to explain
        value, lines = sheet_value(sheets[0], source, rubric)
        result.explanation.extend(lines)
        if keep and rubric is not None and not sheets[0].plain:
            _keep_items(result, source, rubric, [lines])
        return value
    values, sheet_lines = [], []
    for sheet in sorted(sheets, key=lambda s: s.rater):
        value, lines = sheet_value(sheet, source, rubric)
        result.explanation.extend(lines)
        values.append(value)
        if not sheet.plain:
            sheet_lines.append(lines)
    if keep and rubric is not None and sheet_lines:
        _keep_items(result, source, rubric, sheet_lines)
    if len(values) == 1:
        return values[0]
    if source.aggregation == "trimmed_mean":
        value, dropped = trimmed_mean(values, source.trim_from)
        if dropped:
            how = f"去掉最高 {fmt(dropped[1])}、最低 {fmt(dropped[0])} 后平均"
            how_en = f"trimmed mean (without {fmt(dropped[1])} and {fmt(dropped[0])})"
        else:
            how, how_en = "平均", "mean"
    else:
        value, how, how_en = mean(values), "平均", "mean"
    rounded = round2(value)
    result.note(
        f"{prefix}{source.title}: {len(values)} 位评分人{how} = {fmt(rounded)}",
        rounded,
        source.key,
        en=f"{prefix}{source.title}: {how_en} of {len(values)} raters = {fmt(rounded)}",
    )
    return value


def _keep_items(result: Result, source: Source, rubric: Rubric, sheets: list[list]) -> None:
    """Each rubric line's points, the mean of the raters' sheets (their lines as
    explained: a line's points after its deductions; a brief sheet's untouched lines at
    full points), into ``result.items[source.key]``."""
    sums: dict[str, float] = defaultdict(float)
    for lines in sheets:
        given = {x.indicator: x.points for x in lines if x.indicator and x.reason is None}
        if rubric.brief:
            for indicator in rubric.indicators:
                if indicator.mode == "deduction":
                    given.setdefault(indicator.code, indicator.max_points)
        for code, points in given.items():
            sums[code] += points
    kept = result.items.setdefault(source.key, {})
    for indicator in rubric.indicators:
        if indicator.code in sums:
            kept[indicator.code] = round2(sums[indicator.code] / len(sheets))


def _composite(track: Track, result: Result, names: Mapping[str, str] | None = None) -> None:
    if not track.sources:
        return  # a track the scheme's rules compute (a township from its sites)
    counted = track.counted
    missing = [s for s in counted if s.key not in result.source_scores]
    if missing:
        result.flag(
            "missing_source",
            f"缺少评分:{'、'.join(s.title for s in missing)}",
            rule="composite",
            en=f"missing: {', '.join(s.title for s in missing)}",
        )
        return
    total = 0.0
    scores, several = result.source_scores, len(counted) > 1
    for source in counted:
        part = scores[source.key] * source.weight
        total += part
        if several:
            shown = round2(part)  # as counted on paper: 61.79 × 50% = 30.90, not 30.89
            result.note(
                f"{source.title} {fmt(scores[source.key])} × {track.percent[source.key]} = "
                f"{fmt(shown)}",
                shown,
                source.key,
            )
    result.total = round2(total)
    total = fmt(result.total)
    result.note(f"总分 {total}", result.total, rule="composite", en=f"total {total}")
    apply_band(track, result, names)


def band_for(track: Track, total: float) -> Band | None:
    for band in reversed(track.ascending):
        if total >= band.minimum:
            return band
    return track.floor


def apply_band(track: Track, result: Result, names: Mapping[str, str] | None = None) -> None:
    """The stars and grade of the band ``result.total`` falls in, with its line (the grade
    named by ``names``, its key → Chinese name)."""
    band = band_for(track, result.total)
    if band is None:
        return
    result.stars, result.grade = band.stars, band.grade
    zh, en = track.band_text(band, names)
    total = fmt(result.total)
    result.note(f"{total} 分 → {zh}", rule="bands", en=f"{total} → {en}")


def gap_text(track: Track, result: Result) -> str | None:
    """How far the next band is: '3.5 more points for 5★ (7 more in 考核组 …)'."""
    stars = result.stars or 0
    target = next(
        (b for b in track.ascending if b.minimum > result.total and (b.stars or 0) > stars),
        None,
    )  # the lowest band above
    if target is None:
        return None
    need = round2(target.minimum - result.total)
    label = f"{target.stars}★" if target.stars else target.grade
    need_text = fmt(need)
    options = []
    for source in track.sources:
        if source.counted and source.weight > 0 and source.key in result.source_scores:
            more = round2(need / source.weight)
            if result.source_scores[source.key] + more <= source.scale:
                options.append(f"{source.title} +{fmt(more)}")
    hint = f"({'; '.join(options)})" if options else ""
    return f"距{label}还差 {need_text} 分{hint} / {need_text} more points for {label}"
