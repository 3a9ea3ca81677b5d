"""Benchmark: the ten-second summary of results (issue 22) — per-indicator scores and
distances read from the explanation's fields — against the engine's evaluation of the
same cycle, measured in the same run.

A cycle of dujiangyan_quantified branches (a 40-line quantified sheet, three raters with
deductions each, a satisfaction score) is evaluated; then every result's summary is made
from the engine's lines and from the lines as stored (lists), as the pages and the API
make it. The summary is made a page at a time by the API and for one branch's units by
本支部, so what matters is its cost per result beside the evaluation's.

    .venv/bin/python bench/result_summary.py [--subjects 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from dujiangyan_quantified import SCHEME
from zhibu.engine import Cycle, Deduction, ScoreRow, Subject, evaluate, summarize


def build(count: int) -> tuple:
    settings = SCHEME.resolve_settings({})
    definition = SCHEME.definition(settings)
    track = definition.track_of_kind("village")
    rubric = next(r for r in definition.rubrics if r.key == track.source("quantified").rubric)
    rng = random.Random(22)
    subjects = [Subject("SW", "committee")]
    rows = []
    for n in range(count):
        code = f"V{n:05d}"
        subjects.append(Subject(code, "village", f"村{n}", unit="SW"))
        for rater in ("考核组1", "考核组2", "考核组3"):
            lines = rng.sample(rubric.indicators, 4)
            taken = tuple(
                Deduction(i.code, min(i.max_points, rng.choice((0.5, 1, 2))), "台账不全")
                for i in lines
            )
            rows.append(ScoreRow(code, "quantified", rater, deductions=taken))
        rows.append(ScoreRow(code, "satisfaction", score=rng.uniform(70, 100)))
    cycle = Cycle(
        "2021", "2021-01-01", "2021-12-31", tuple(subjects), tuple(rows), settings=settings
    )
    return definition, cycle, track


def timed(runs: int, work) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def show(name: str, times: list[float], baseline: float | None = None) -> None:
    ratio = f"  ×{statistics.median(times) / baseline:.2f} of the evaluation" if baseline else ""
    print(
        f"{name:<34} min {min(times):.3f}s  median {statistics.median(times):.3f}s  "
        f"max {max(times):.3f}s{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    definition, cycle, track = build(args.subjects)
    rubrics = {r.key: r for r in definition.rubrics}
    results = [r for r in evaluate(definition, cycle) if r.track == track.key]
    stored = [
        [
            [x.text, x.points, x.source, x.rater, x.indicator, x.reason, x.rule]
            for x in r.explanation
        ]
        for r in results
    ]

    def summaries(lines_of):
        for result, lines in zip(results, lines_of, strict=False):  # (a page: the first)
            summarize(
                track,
                rubrics,
                total=result.total,
                stars=result.stars,
                grade=result.grade,
                lines=lines,
                rules=result.flags,
            )

    print(f"{len(results)} villages, {sum(len(s) for s in stored) // len(stored)} lines each")
    base = timed(args.runs, lambda: evaluate(definition, cycle))
    show("evaluate (baseline)", base)
    median = statistics.median(base)
    show(
        "summaries from engine lines",
        timed(args.runs, lambda: summaries(r.explanation for r in results)),
        median,
    )
    show("summaries from stored lines", timed(args.runs, lambda: summaries(stored)), median)
    page = timed(args.runs, lambda: summaries(stored[:50]))
    show("one API page (50 summaries)", page, median)


if __name__ == "__main__":
    main()
