"""Benchmark: the pure engine alone on the cycle of bench/recompute_cycle.py (2,000
branches, 60,000 members, 12 monthly scores and a year-end score each), built in memory
as the loader gives it (each member's months as one ScoreSeries): no database, so a
change to the engine can be measured in seconds.

    .venv/bin/python bench/engine_cycle.py [--branches 2000] [--profile tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from pathlib import Path

from zhibu import engine
from zhibu.evaluations.compute import bulk_work, encode_explanation

sys.path.insert(0, str(Path(__file__).parent))
from recompute_cycle import BENCH, cpu_reference


def build(branches: int, per_branch: int) -> engine.Cycle:
    rng = random.Random(7)
    subjects, scores = [], []
    for i in range(branches):
        branch = f"Z{i:05d}"
        subjects.append(engine.Subject(branch, "branch", f"第{i}党支部", "DW"))
        for source in ("democratic", "assessment_team", "superior"):
            scores.append(engine.ScoreRow(branch, source, "", rng.uniform(55, 100)))
    for i in range(branches):
        for j in range(per_branch):
            code = f"M{i:05d}{j:03d}"
            subjects.append(engine.Subject(code, "member", f"党员{i}-{j}", f"Z{i:05d}"))
            months = tuple(f"2021-{month:02d}" for month in range(1, 13))
            monthly = tuple(rng.uniform(50, 100) for _ in months)
            scores.append(engine.ScoreSeries(code, "monthly", "", months, monthly))
            scores.append(engine.ScoreRow(code, "annual", "", rng.uniform(50, 100)))
    return engine.Cycle("2021", "2021-01-01", "2021-12-31", tuple(subjects), tuple(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    parser.add_argument("--profile", choices=("tottime", "cumulative"))
    args = parser.parse_args()
    cycle = build(args.branches, args.per_branch)
    definition = BENCH.definition({"monthly_share": 0.8})
    print(f"{len(cycle.subjects)} subjects, {len(cycle.scores)} score rows and series")
    with bulk_work():
        started = time.perf_counter()
        if args.profile:
            with cProfile.Profile() as profiler:
                results = engine.evaluate(definition, cycle)
            pstats.Stats(profiler).sort_stats(args.profile).print_stats(30)
        else:
            results = engine.evaluate(definition, cycle)
        took = time.perf_counter() - started
        started = time.perf_counter()
        size = sum(len(encode_explanation(r.explanation)) for r in results)
        encoded = time.perf_counter() - started
    lines = sum(len(r.explanation) for r in results)
    print(f"evaluate: {len(results)} results, {lines} explanation lines in {took:.2f} s")
    print(f"explanations encoded: {size / 2**20:.1f} MiB in {encoded:.2f} s")
    print(cpu_reference())


if __name__ == "__main__":
    main()
