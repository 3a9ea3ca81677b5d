"""What a result is made of, as data: each indicator's score and the short summary a
person reads first (how far the next level is, where the points were lost, which rules
applied).

Both read the explanation's :class:`~zhibu.engine.model.Line` fields (source, rater,
indicator, points, reason), never its text, so rules and reports need not parse words;
the stored explanation (lines as dicts or lists) is read the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zhibu.engine.model import Band, Line, Track
from zhibu.engine.numbers import round2

LINE_FIELDS = ("text", "points", "source", "rater", "indicator", "reason", "rule")


@dataclass(frozen=True)
class IndicatorScore:
    """One rubric line of one source, for one subject.

    :param points: the raters' mean, after deductions (a brief sheet's untouched line at
        full points, an additive line a rater left blank at 0).
    :param max_points: what the line is worth.
    :param raters: how many raters' sheets the mean is over.
    :param reasons: the deduction reasons the raters gave, in rater order, each once.
    :param lost: points the line cost the subject's total: ``max_points − points`` on the
        source's scale, times the source's weight (0 for a source not counted).
    """

    source: str
    code: str
    title: str
    points: float
    max_points: float
    raters: int
    reasons: tuple[str, ...] = ()
    lost: float = 0.0


@dataclass(frozen=True)
class Summary:
    """The ten-second summary of a result.

    :param level: the band the total reaches, in the scheme's words (``4★ (≥80)``).
    :param gap_to_next: points the total lacks for the next band up, and that band
        (``(0.02, Band(90, 5))``); None at the top, without a total, or when a rule set
        the level (the bands then do not say it).
    :param margin_below: points the total is above its own band's line, and that band.
    :param lost: the indicators that lost the most weighted points, most first.
    :param rules: the keys of what the rules did: flags, actions and titles, in order.
    """

    total: float | None
    stars: int | None
    grade: str | None
    band: Band | None
    gap_to_next: tuple[float, Band] | None
    margin_below: tuple[float, Band] | None
    lost: tuple[IndicatorScore, ...]
    rules: tuple[str, ...]
    ruled: bool = False  # a rule set the level, not the bands


def _scored(line: Any) -> tuple[Any, Any, Any, Any, Any]:
    """(source, rater, indicator, points, reason) of an explanation line: an engine
    :class:`Line`, a stored line as a dict, or as a list in :data:`LINE_FIELDS` order."""
    if isinstance(line, Line):
        return line.source, line.rater, line.indicator, line.points, line.reason
    if isinstance(line, Mapping):
        get = line.get
        return get("source"), get("rater"), get("indicator"), get("points"), get("reason")
    _text, points, source, rater, indicator, reason, *_rest = (*line, *_NONE)
    return source, rater, indicator, points, reason


_NONE = (None,) * len(LINE_FIELDS)


def indicator_scores(
    track: Track,
    rubrics: Mapping[str, Any],
    lines: Iterable[Any],
    source_scores: Mapping[str, Any] | None = None,
) -> list[IndicatorScore]:
    """Each rubric line's score of every source of ``track`` that is not periodic, from the
    explanation ``lines`` (engine :class:`Line` s or stored ones), in rubric order.

    :param rubrics: rubric key → :class:`~zhibu.engine.model.Rubric` (``Definition``'s).
    :param source_scores: the result's score of each source: where a source adds automatic
        indicators to its rubric, a rubric point is worth the source's score over the
        points of both (their maxima vary by subject: a check that does not apply counts
        nothing), not the rubric's share alone.
    """
    given: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    for line in lines:
        source, rater, indicator, points, reason = _scored(line)
        if indicator is None or source is None:
            continue
        if reason is not None:
            if reason not in reasons[(source, indicator)]:
                reasons[(source, indicator)].append(reason)
        elif points is not None:
            given[source][rater or ""][indicator] = points
    found = []
    for source in track.sources:
        rubric = rubrics.get(source.rubric) if source.rubric else None
        if rubric is None or source.periodic:
            continue
        codes = {i.code for i in rubric.indicators}
        lined = given.get(source.key, {})  # the automatic checks' lines are no rater's sheet
        sheets = {rater: sheet for rater, sheet in lined.items() if codes & sheet.keys()}
        if not sheets:
            continue
        scored = []
        for indicator in rubric.indicators:
            default = indicator.max_points if rubric.brief and indicator.mode == "deduction" else 0
            values = [sheet.get(indicator.code, default) for sheet in sheets.values()]
            if not any(indicator.code in sheet for sheet in sheets.values()) and not default:
                continue
            scored.append((indicator, round2(sum(values) / len(values)), len(values)))
        worth = _point_worth(source, rubric, lined, scored, source_scores)
        weight = source.weight if source.counted else 0.0
        found += [
            IndicatorScore(
                source.key,
                indicator.code,
                indicator.title,
                points,
                indicator.max_points,
                raters,
                tuple(reasons.get((source.key, indicator.code), ())),
                round2((indicator.max_points - points) * worth * weight),
            )
            for indicator, points, raters in scored
        ]
    return found


def _point_worth(source, rubric, lined, scored, source_scores) -> float:
    """What a rubric point is worth on the source's scale: its share of the rubric's
    maximum, or, with automatic indicators, the source's score over the points of the
    checks and the rubric together."""
    worth = source.scale / rubric.max_points if rubric.max_points else 1.0
    value = (source_scores or {}).get(source.key)
    if not source.automatic or value is None:
        return worth
    checks = lined.get("", {})
    points = sum(checks.get(key) or 0 for key in source.automatic)
    points += sum(points for _indicator, points, _raters in scored)
    return value / points if points > 0 else worth


def _band_for(track: Track, total: float) -> Band | None:
    for band in reversed(track.ascending):
        if total >= band.minimum:
            return band
    return track.floor


def summarize(
    track: Track | None,
    rubrics: Mapping[str, Any],
    *,
    total: float | None,
    stars: int | None,
    grade: str | None,
    lines: Iterable[Any] = (),
    rules: Iterable[str] = (),
    top: int = 5,
    source_scores: Mapping[str, Any] | None = None,
) -> Summary:
    """The summary of one result (an engine :class:`~zhibu.engine.model.Result`'s fields,
    or a stored result's): the distances to the bands around its total, the ``top``
    indicators that lost the most weighted points, and what the rules did."""
    band = gap = margin = None
    ruled = False
    lost: tuple[IndicatorScore, ...] = ()
    if track is not None and total is not None:
        band = _band_for(track, total)
        ruled = band is not None and (band.stars, band.grade) != (stars, grade)
        if band is not None and not ruled:
            above = next((b for b in track.ascending if b.minimum > total), None)
            if above is not None:
                gap = (round2(above.minimum - total), above)
            if band is not track.floor or band.minimum > 0:
                margin = (round2(total - band.minimum), band)
        scores = [s for s in indicator_scores(track, rubrics, lines, source_scores) if s.lost > 0]
        scores.sort(key=lambda s: -s.lost)
        lost = tuple(scores[:top])
    return Summary(total, stars, grade, band, gap, margin, lost, tuple(rules), ruled)
