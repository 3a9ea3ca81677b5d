"""Evaluate a whole cycle in one call: rater sheets → source scores → totals → bands →
the scheme's rules → gaps to the next band."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhibu.engine.model import (
    Band,
    Cycle,
    Incident,
    Past,
    Result,
    Rubric,
    Rule,
    Source,
    Subject,
    Track,
)
from zhibu.engine.numbers import fmt, mean, round2, trimmed_mean
from zhibu.engine.sheets import InputError, RaterSheet, check_sheet, merge_rows, sheet_value


@dataclass(frozen=True)
class Definition:
    """A scheme as the engine runs it: tracks, rubrics and rules (see Scheme.definition)."""

    tracks: tuple[Track, ...]
    rubrics: tuple[Rubric, ...] = ()
    rules: tuple[Rule, ...] = ()

    def track_for(self, subject: Subject) -> Track | None:
        return next((t for t in self.tracks if subject.kind in t.subject_kinds), None)

    def rubric(self, key: str | None) -> Rubric | None:
        return next((r for r in self.rubrics if r.key == key), None)


@dataclass
class Context:
    """What a rule sees: the whole cycle and every result, to read and to change."""

    cycle: Cycle
    definition: Definition
    results: dict[str, Result]
    subjects: dict[str, Subject]
    incidents: dict[str, list[Incident]] = field(default_factory=dict)
    history: dict[str, dict[str, Past]] = field(default_factory=dict)

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.cycle.settings

    def rated(self, track: str | None = None) -> list[Result]:
        return [r for r in self.results.values() if r.rated and (track is None or r.track == track)]

    def members_of(self, unit: str, track: str | None = None) -> list[Result]:
        return [r for r in self.rated(track) if self.subjects[r.subject].unit == unit]

    def past(self, subject: str, cycles: int) -> list[Past | None]:
        """The subject's results in the ``cycles`` previous cycles, newest first."""
        own = self.history.get(subject, {})
        return [own.get(period) for period in self.cycle.previous[:cycles]]

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
    subjects = {s.code: s for s in cycle.subjects}
    sheets = merge_rows(cycle.scores)
    _check(definition, subjects, sheets)
    by_subject: dict[str, list[RaterSheet]] = defaultdict(list)
    for sheet in sheets.values():
        by_subject[sheet.subject].append(sheet)
    results = {s.code: _rate(definition, s, by_subject.get(s.code, [])) for s in cycle.subjects}
    context = Context(
        cycle, definition, results, subjects, _group(cycle.incidents), _history(cycle.history)
    )
    for rule in definition.rules:
        rule(context)
    for result in results.values():
        track = next((t for t in definition.tracks if t.key == result.track), None)
        if track and result.rated and result.total is not None and result.stars is not None:
            band = band_for(track, result.total)
            if band is not None and band.stars == result.stars:  # no rule moved the stars
                result.gap = gap_text(track, result)
    return list(results.values())


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


def _check(definition: Definition, subjects: dict[str, Subject], sheets) -> None:
    problems: list[str] = []
    for sheet in sheets.values():
        refs = ", ".join(r for r in sheet.refs if r)
        where = sheet.subject + (f" ({refs})" if refs else "")
        subject = subjects.get(sheet.subject)
        if subject is None:
            problems.append(f"{where}: no such subject in this cycle")
            continue
        track = definition.track_for(subject)
        source = track.source(sheet.source) if track else None
        if source is None:
            problems.append(f"{where}: source {sheet.source!r} does not rate a {subject.kind}")
            continue
        problems += check_sheet(sheet, source, definition.rubric(source.rubric))
    if problems:
        raise InputError(problems)


def _rate(definition: Definition, subject: Subject, sheets: list[RaterSheet]) -> Result:
    track = definition.track_for(subject)
    result = Result(subject.code, subject.kind, track.key if track else None)
    if track is None or subject.retired or subject.exempt:
        result.rated = False
        reason = "retired" if subject.retired else "exempt" if subject.exempt else "not_rated"
        result.flag(
            reason,
            {
                "retired": "离退休党组织:列入名单,不评星 / retired: listed, not rated",
                "exempt": "暂不列入星级管理 / exempt: listed, not rated",
                "not_rated": "本方案不评定此类对象 / not rated by this scheme",
            }[reason],
            rule="eligibility",
        )
        return result
    for source in track.sources:
        own = [s for s in sheets if s.source == source.key]
        score = _source_score(definition, subject, source, own, result)
        if score is not None:
            result.source_scores[source.key] = round2(score)
    _composite(track, result)
    return result


def _source_score(definition, subject, source: Source, sheets, result: Result) -> float | None:
    rubric = definition.rubric(source.rubric)
    if not source.periodic:
        return _raters(source, rubric, sheets, result, "")
    periods = sorted({s.period for s in sheets if s.period})
    kept = [p for p in periods if subject.periods is None or p in subject.periods]
    for period in periods:
        if period not in kept:
            result.note(
                f"{source.title} {period}: 不在本支部,不计入 / left out: not in the unit "
                "that month",
                source=source.key,
            )
    values = [
        _raters(source, rubric, [s for s in sheets if s.period == p], result, f"{p} ") for p in kept
    ]
    result.source_scores[f"{source.key}.periods"] = len(values)
    if not values:
        return None
    value = mean(values)
    result.note(
        f"{source.title}: {len(values)} 个月平均 / mean of {len(values)} months = {fmt(value)}",
        round2(value),
        source.key,
    )
    return value


def _raters(source: Source, rubric, sheets, result: Result, prefix: str) -> float | None:
    if not sheets:
        return None
    values = []
    for sheet in sorted(sheets, key=lambda s: s.rater):
        value, lines = sheet_value(sheet, source, rubric)
        result.explanation.extend(lines)
        values.append(value)
    if len(values) == 1:
        return values[0]
    if source.aggregation == "trimmed_mean":
        value, dropped = trimmed_mean(values, source.trim_from)
        how = (
            f"去掉最高 {fmt(dropped[1])}、最低 {fmt(dropped[0])} 后平均 / trimmed mean"
            if dropped
            else "平均 / mean"
        )
    else:
        value, how = mean(values), "平均 / mean"
    result.note(
        f"{prefix}{source.title}: {len(values)} 位评分人{how} = {fmt(value)}",
        round2(value),
        source.key,
    )
    return value


def _composite(track: Track, result: Result) -> None:
    counted = [s for s in track.sources if s.counted]
    missing = [s for s in counted if s.key not in result.source_scores]
    if missing:
        names = "、".join(s.title for s in missing)
        result.flag(
            "missing_source",
            f"缺少评分:{names} / missing: {', '.join(s.key for s in missing)}",
            rule="composite",
        )
        return
    total = 0.0
    for source in counted:
        part = result.source_scores[source.key] * source.weight
        total += part
        if len(counted) > 1:
            result.note(
                f"{source.title} {fmt(result.source_scores[source.key])} × "
                f"{fmt(source.weight * 100)}% = {fmt(part)}",
                round2(part),
                source.key,
            )
    result.total = round2(total)
    result.note(f"总分 / total {fmt(result.total)}", result.total, rule="composite")
    apply_band(track, result)


def band_for(track: Track, total: float) -> Band | None:
    for band in sorted(track.bands, key=lambda b: b.minimum, reverse=True):
        if total >= band.minimum:
            return band
    return track.floor


def apply_band(track: Track, result: Result) -> None:
    band = band_for(track, result.total)
    if band is None:
        return
    result.stars, result.grade = band.stars, band.grade
    what = " / ".join(x for x in (f"{band.stars}★" if band.stars else "", band.grade or "") if x)
    floor = f"≥{fmt(band.minimum)}" if band is not track.floor else "below every band"
    result.note(f"{fmt(result.total)} 分 → {what} ({floor})", rule="bands")


def gap_text(track: Track, result: Result) -> str | None:
    """How far the next band is: '3.5 more points for 5★ (7 more in 考核组 …)'."""
    higher = sorted(
        (
            b
            for b in track.bands
            if b.minimum > result.total and (b.stars or 0) > (result.stars or 0)
        ),
        key=lambda b: b.minimum,
    )
    if not higher:
        return None
    need = round2(higher[0].minimum - result.total)
    label = f"{higher[0].stars}★" if higher[0].stars else higher[0].grade
    options = []
    for source in track.sources:
        if source.counted and source.weight > 0 and source.key in result.source_scores:
            more = round2(need / source.weight)
            if result.source_scores[source.key] + more <= source.scale:
                options.append(f"{source.title} +{fmt(more)}")
    hint = f"({'; '.join(options)})" if options else ""
    return f"距{label}还差 {fmt(need)} 分{hint} / {fmt(need)} more points for {label}"
