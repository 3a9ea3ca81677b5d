"""Targets a scheme sets for a cycle (the share of model branches, of five-star branches,
no three-star branches …), measured on the cycle's results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zhibu.engine.model import Result


@dataclass(frozen=True)
class Target:
    """The share of the subjects on ``track`` with a level (rated: not retired, not
    exempt; vetoed ones included; a level decided: stars or a grade) that have the title
    ``title_key``, or the grade ``grade``, or ``stars`` — whichever field the scheme rates
    by — by period; ``at_most`` for a ceiling (no three-star branches: at most 0).

    The core assumes no stars: a pass/fail or graded scheme sets a grade share
    (``grade="unqualified", at_most=True``) or a title share as a starred one sets a star
    share.
    """

    key: str
    title: str
    track: str
    by_period: Mapping[str, float]
    title_key: str | None = None
    stars: int | None = None
    at_most: bool = False
    grade: str | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.title_key, self.stars, self.grade) if x is not None]
        if len(given) != 1:
            raise ValueError(f"target {self.key}: name exactly one of title_key, stars or grade")

    def counts(self, result: Result) -> bool:
        """The result has what the target counts."""
        if self.title_key is not None:
            return self.title_key in result.titles
        if self.grade is not None:
            return result.grade == self.grade
        return result.stars == self.stars

    def considers(self, result: Result) -> bool:
        """The result is one the share is over: on the track, rated, its level decided
        (stars or a grade; a result missing a source has neither)."""
        return (
            result.track == self.track
            and result.rated
            and (result.stars is not None or result.grade is not None)
        )


@dataclass(frozen=True)
class TargetStatus:
    key: str
    title: str
    target: float
    actual: float
    count: int
    rated: int
    met: bool


def measure(
    targets: Iterable[Target], period: str, results: Iterable[Result]
) -> list[TargetStatus]:
    """Each target set for ``period`` (by its year for shorter cycles), against the results."""
    return measure_counted(targets, period, ((r, 1) for r in results))


def measure_counted(
    targets: Iterable[Target], period: str, counted: Iterable[tuple[Result, int]]
) -> list[TargetStatus]:
    """:func:`measure` over results counted in groups: (a result standing for its group,
    how many results the group holds) — the database counts, a city's cycle is a few
    dozen groups."""
    counted = list(counted)
    out = []
    for target in targets:
        goal = target.by_period.get(period, target.by_period.get(period[:4]))
        if goal is None:
            continue
        rated = [(r, n) for r, n in counted if target.considers(r)]
        count = sum(n for r, n in rated if target.counts(r))
        total = sum(n for _r, n in rated)
        actual = count / total if total else 0.0
        met = actual <= goal + 1e-9 if target.at_most else actual >= goal - 1e-9
        out.append(
            TargetStatus(target.key, target.title, goal, round(actual, 4), count, total, met)
        )
    return out
