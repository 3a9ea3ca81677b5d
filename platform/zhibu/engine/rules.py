"""Rule helpers schemes build their rules from: veto, downgrade, cap, quota, runs over
history.

A scheme's rule is a small function of the :class:`~zhibu.engine.compute.Context` whose
docstring cites the seed sentence it implements, and which calls these helpers with the
scheme's own kinds, thresholds and names. The helpers carry no scheme's wording.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping

from zhibu.engine.compute import Context, Definition
from zhibu.engine.model import Past, Result
from zhibu.engine.numbers import fmt

__all__ = [
    "apply_cap",
    "apply_downgrades",
    "apply_quota",
    "apply_veto",
    "at_most",
    "below",
    "rank_within",
    "run_of",
    "vetoed",
]

VETOED = "vetoed"  # the flag :func:`apply_veto` gives a vetoed result


def vetoed(result: Result) -> bool:
    """The result was vetoed (flag :data:`VETOED`, by :func:`apply_veto`)."""
    return VETOED in result.flags


def apply_veto(ctx: Context, kinds: Mapping[str, str], rule: str) -> None:
    """An incident of a veto kind in the cycle cancels the rating: no stars, no grade,
    flag ``vetoed`` with the reason. Rules after this one leave vetoed results alone."""
    for result in ctx.rated():
        hits = [i for i in ctx.incidents_in_cycle(result.subject) if i.kind in kinds]
        if not hits:
            continue
        result.stars = result.grade = None
        reasons = "; ".join(f"{kinds[i.kind]}({i.date})" for i in hits)
        result.flag(VETOED, f"一票否决:{reasons}", rule=rule, en=f"vetoed: {reasons}")


def apply_downgrades(ctx: Context, kinds: Mapping[str, str], floor: int, rule: str) -> None:
    """Each incident of these kinds in the cycle lowers the stars by one, never below
    ``floor``; flag ``downgrade_floor`` when an incident could not lower them further."""
    for result in ctx.rated():
        if result.stars is None or vetoed(result):
            continue
        hits = [i for i in ctx.incidents_in_cycle(result.subject) if i.kind in kinds]
        for incident in hits:
            if result.stars > floor:
                result.stars -= 1
                what = f"{kinds[incident.kind]}({incident.date})"
                result.note(
                    f"降一个星级:{what} → {result.stars}★",
                    rule=rule,
                    en=f"downgraded one level: {what} → {result.stars}★",
                )
            else:
                what = f"{kinds[incident.kind]}({incident.date})"
                result.flag(
                    "downgrade_floor",
                    f"{what}:已是最低 {floor}★,不再降级",
                    rule=rule,
                    en=f"{what}: already at the floor of {floor}★",
                )


def apply_cap(ctx: Context, kinds: Mapping[str, str], stars: int, rule: str) -> None:
    """An incident of these kinds in the cycle holds the stars at ``stars`` at most ("不得
    评为四星级以上"): a result above is lowered to it, with a note naming the incidents; one
    at or below it is left alone (the incident costs nothing more)."""
    for result in ctx.rated():
        if result.stars is None or vetoed(result) or result.stars <= stars:
            continue
        hits = [i for i in ctx.incidents_in_cycle(result.subject) if i.kind in kinds]
        if not hits:
            continue
        what = "; ".join(f"{kinds[i.kind]}({i.date})" for i in hits)
        before, result.stars = result.stars, stars
        result.note(
            f"最高评为 {stars}★:{what}({before}★ → {stars}★)",
            rule=rule,
            en=f"capped at {stars}★: {what} ({before}★ → {stars}★)",
        )


def apply_quota(
    ctx: Context,
    track: str,
    *,
    stars: int,
    share: float,
    tiebreak: str | None,
    enforce: bool,
    rule: str,
) -> None:
    """At most ``share`` of each unit's rated subjects on ``track`` keep ``stars``.

    Enforced by rank: the lowest totals drop one star (flag ``quota_demoted``); equal
    totals are ranked by the ``tiebreak`` source; a tie that remains at the cut keeps its
    stars and is flagged ``quota_tie`` for a person to decide. Not enforced: the unit is
    flagged ``quota_exceeded`` and nobody loses stars.
    """
    by_unit: dict[str, list[Result]] = defaultdict(list)
    for result in ctx.rated(track):
        by_unit[ctx.subjects[result.subject].unit or ""].append(result)
    for unit, results in by_unit.items():
        counted = [r for r in results if r.stars is not None and not vetoed(r)]
        allowed = math.floor(share * len(counted) + 1e-9)
        top = [r for r in counted if r.stars == stars]
        if len(top) <= allowed:
            continue
        unit_result = ctx.results.get(unit)
        message = f"{stars}★ {len(top)} 人,超过 {fmt(share * 100)}% 上限 {allowed} 人"
        en = f"{len(top)} at {stars}★, at most {allowed} ({fmt(share * 100)}%)"
        if unit_result is not None:
            unit_result.flag("quota_exceeded", message, rule=rule, en=en)
        if enforce:
            _demote_beyond(top, allowed, stars, tiebreak, rule)


def _demote_beyond(top: list[Result], allowed: int, stars: int, tiebreak, rule: str) -> None:
    def key(r: Result) -> tuple[float, float]:
        return (r.total or 0.0, r.source_scores.get(tiebreak, 0.0) if tiebreak else 0.0)

    ranked = sorted(top, key=key, reverse=True)
    cut_key = key(ranked[allowed - 1]) if allowed else None
    for position, result in enumerate(ranked):
        if position < allowed:
            continue
        if cut_key is not None and key(result) == cut_key:
            result.flag(
                "quota_tie",
                f"与第 {allowed} 名同分(含测评分),待党组织研究确定",
                rule=rule,
                en=f"tied with place {allowed} at the quota cut: to be decided",
            )
            for other in ranked[:allowed]:
                if key(other) == cut_key:
                    other.flag("quota_tie", "名额线上同分", rule=rule, en="tied at the quota cut")
            continue
        result.stars = stars - 1
        result.flag(
            "quota_demoted",
            f"超出名额,按排名降为 {stars - 1}★",
            rule=rule,
            en=f"over the quota, ranked {position + 1}: {stars - 1}★",
        )


def run_of(
    ctx: Context, result: Result, cycles: int, holds: Callable[[Result | Past], bool]
) -> bool:
    """True when ``holds`` is true of this cycle's result and of each of the ``cycles - 1``
    cycles before it (a missing earlier result breaks the run)."""
    if not holds(result):
        return False
    return all(past is not None and holds(past) for past in ctx.past(result.subject, cycles - 1))


def at_most(stars: int) -> Callable[[Result | Past], bool]:
    """A test for :func:`run_of`: the result has ``stars`` or fewer."""

    def check(r: Result | Past) -> bool:
        return r.stars is not None and r.stars <= stars

    return check


def below(total: float) -> Callable[[Result | Past], bool]:
    """A test for :func:`run_of`: the result's total is under ``total``."""

    def check(r: Result | Past) -> bool:
        return r.total is not None and r.total < total

    return check


def rank_within(
    results: list[Result], group: str, rule: str, definition: Definition | None = None
) -> None:
    """Rank results best first, equal standings sharing a place (1, 2, 2, 4): by total,
    or, given the ``definition``, by the level its track declares first (a result a rule
    lowered or failed never above one at a higher level), then by total. Results without
    a total (vetoed, unrated) get no place."""

    def standing(result: Result) -> tuple:
        track = next((t for t in definition.tracks if t.key == result.track), None)
        if track is None:
            return (0, -result.total)
        return track.standing(result.stars, result.grade, result.total)

    key = standing if definition is not None else (lambda result: (0, -result.total))
    ranked = sorted(
        (r for r in results if r.total is not None and not vetoed(r)),
        key=key,
    )
    place = 0
    for position, result in enumerate(ranked, start=1):
        if position == 1 or key(result) != key(ranked[position - 2]):
            place = position
        result.rank = place
        result.note(
            f"{group}第 {place} 名(共 {len(ranked)} 个)",
            rule=rule,
            en=f"ranked {place} of {len(ranked)} in {group}",
        )
