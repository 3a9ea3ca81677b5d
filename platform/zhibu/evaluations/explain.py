"""The summary a result page, the API and the printed 反馈单 start with: total, level,
the distance to the next level and the margin to the line below, the indicators where
the most points were lost (with the deduction reasons), and the rules that applied —
built from the engine's structured scores (:mod:`zhibu.engine.summary`), never from the
explanation's text."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

from zhibu import engine, plugins
from zhibu.engine.summary import summarize
from zhibu.evaluations import compute
from zhibu.i18n import _
from zhibu.models import Cycle, EvaluationResult, SchemeVersion
from zhibu.reports import names


def _english() -> bool:
    """In a request whose user chose English (outside a request: Chinese)."""
    try:
        locale = get_locale()
    except RuntimeError:
        return False
    return locale is not None and locale.language == "en"


def band_name(band: engine.Band | None, scheme: Any = None, english: bool | None = None) -> str:
    """五星 / 先进: a band by the level it gives."""
    if band is None:
        return "—"
    return level_name(band, scheme, english)


def level_name(result: Any, scheme: Any = None, english: bool | None = None) -> str:
    """五星 / 先进 / — for a stored result (or a band: anything with ``stars``, ``grade``).

    :param english: the reader's language, when the caller knows it (else looked up)."""
    english = _english() if english is None else english
    if result.stars is not None:
        if english and result.stars in names.STARS_EN:
            return names.STARS_EN[result.stars]
        return names.STARS.get(result.stars, f"{result.stars}星")
    return names.grade_name(result.grade, scheme, english) if result.grade else "—"


def points_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


class Explainer:
    """Summaries of a cycle's results: the definition and scheme looked up once."""

    def __init__(self, cycle: Cycle, version: SchemeVersion | None = None):
        self.cycle = cycle
        self.definition, _settings, _version = compute.definition_for(cycle, version)
        self.scheme = plugins.registry().scheme(cycle.scheme_key)
        self.tracks = {t.key: t for t in reversed(self.definition.tracks)}
        self.rubrics = {r.key: r for r in self.definition.rubrics}
        # the reader's language and the sentences in it, looked up once for the page
        self.english = _english()
        self.gap_text = _("再得 %(points)s 分可评%(level)s")
        self.margin_text = _("比%(level)s线高 %(points)s 分")
        self.on_line_text = _("正好达到%(level)s线")

    def scores(self, result: EvaluationResult) -> list[engine.IndicatorScore]:
        track = self.tracks.get(result.track)
        if track is None:
            return []
        lines = compute.explanation_of(result)
        return engine.indicator_scores(track, self.rubrics, lines, result.source_scores)

    def summary(self, result: EvaluationResult, top: int = 5) -> dict[str, Any]:
        """The summary as plain data (what the API returns and the pages show). A result
        loaded as history is a closed year's fact: no distance to another level."""
        track = None if compute.historical(result) else self.tracks.get(result.track)
        rules = [*result.titles, *result.flags, *result.actions]
        found = summarize(
            track,
            self.rubrics,
            total=result.total,
            stars=result.stars,
            grade=result.grade,
            lines=compute.explanation_of(result),
            rules=rules,
            top=top,
            source_scores=result.source_scores,
        )
        sources = {s.key: s.title for s in track.sources} if track else {}
        gap = margin = None
        if found.gap_to_next is not None:
            points, band = found.gap_to_next
            level = band_name(band, self.scheme, self.english)
            gap = {
                "points": points,
                "level": level,
                "stars": band.stars,
                "grade": band.grade,
                "minimum": band.minimum,
                "text": self.gap_text % {"points": points_text(points), "level": level},
            }
        if found.margin_below is not None:
            points, band = found.margin_below
            level = band_name(band, self.scheme, self.english)
            margin = {
                "points": points,
                "level": level,
                "minimum": band.minimum,
                "text": self.margin_text % {"points": points_text(points), "level": level}
                if points > 0
                else self.on_line_text % {"level": level},
            }
        applied = [
            {
                "key": key,
                "kind": "title" if key in result.titles else "flag",
                "name": names.title_name(self.scheme, key)
                if key in result.titles
                else names.flag_name(key, self.scheme),
            }
            for key in dict.fromkeys(rules)
        ]
        return {
            "total": result.total,
            "level": self._level(track, result, applied),
            "stars": result.stars,
            "grade": result.grade,
            "rated": result.rated,
            "set_by_rules": found.ruled,
            "gap_to_next": gap,
            "margin_below": margin,
            "lost_points": [
                {
                    "source": s.source,
                    "source_title": sources.get(s.source, s.source),
                    "indicator": s.code,
                    "title": s.title,
                    "points": s.points,
                    "max_points": s.max_points,
                    "raters": s.raters,
                    "lost": s.lost,
                    "reasons": list(s.reasons),
                }
                for s in found.lost
            ],
            "rules_applied": applied,
        }

    def _level(self, track, result: EvaluationResult, applied: list) -> str:
        """The level's name; on a track that only checks (no levels, no total, as
        enterprise_5std's members), whether the check found anything instead of "—"."""
        level = level_name(result, self.scheme, self.english)
        if track is None or track.levels or result.total is not None or level != "—":
            return level
        return _("核查发现问题,见下方“适用的规则”") if applied else _("核查未发现问题")


def summary_of(cycle: Cycle, result: EvaluationResult) -> dict[str, Any]:
    return Explainer(cycle).summary(result)


def folded(
    lines: list[dict[str, Any]], track: engine.Track | None, rubrics: dict[str, Any]
) -> list[dict[str, Any]]:
    """The full trace folded for reading: by source (the lines of rules and of the total
    last), within a source by rater; each rater's lines at full points apart (shown
    collapsed). ``[{"source", "raters": [{"rater", "lines", "full"}], "lines"}]``: a
    source's own lines (its mean, its weighted share) in ``lines``."""
    maxima: dict[tuple[str, str], float] = {}
    for source in track.sources if track else ():
        rubric = rubrics.get(source.rubric) if source.rubric else None
        for indicator in rubric.indicators if rubric else ():
            maxima[(source.key, indicator.code)] = indicator.max_points
    groups: dict[str | None, dict[str, Any]] = {}
    for line in lines:
        source = line.get("source")
        group = groups.setdefault(source, {"source": source, "raters": {}, "lines": []})
        rater = line.get("rater")
        if rater is None and line.get("indicator") is None:
            group["lines"].append(line)
            continue
        own = group["raters"].setdefault(rater or "", {"rater": rater, "lines": [], "full": []})
        top = maxima.get((source, line.get("indicator")))
        untouched = line.get("reason") is None and top is not None and line.get("points") == top
        own["full" if untouched else "lines"].append(line)
    ordered = [g for key, g in groups.items() if key is not None]
    ordered += [g for key, g in groups.items() if key is None]
    for group in ordered:
        group["raters"] = list(group["raters"].values())
    return ordered
