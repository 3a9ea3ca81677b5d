"""The pure evaluation core: plain data in, plain data out. No Flask, no database, no clock.

definition = scheme.definition(scheme.resolve_settings(overrides))
results = evaluate(definition, cycle)
"""

from zhibu.engine.compute import Context, Definition, evaluate
from zhibu.engine.model import (
    AutomaticIndicator,
    Band,
    Computed,
    Cycle,
    Deduction,
    Incident,
    Indicator,
    Line,
    MemberFacts,
    Move,
    Past,
    Record,
    Result,
    Rubric,
    ScoreRow,
    ScoreSeries,
    Source,
    Subject,
    Track,
    Unit,
)
from zhibu.engine.scheme import Adjustable, Scheme, SettingsConflict
from zhibu.engine.sheets import InputError, Problem
from zhibu.engine.summary import IndicatorScore, Summary, indicator_scores, summarize
from zhibu.engine.targets import Target, TargetStatus, measure, measure_counted

__all__ = [
    "Adjustable",
    "AutomaticIndicator",
    "Band",
    "Computed",
    "Context",
    "Cycle",
    "Deduction",
    "Definition",
    "Incident",
    "Indicator",
    "IndicatorScore",
    "InputError",
    "Line",
    "MemberFacts",
    "Move",
    "Past",
    "Problem",
    "Record",
    "Result",
    "Rubric",
    "Scheme",
    "ScoreRow",
    "ScoreSeries",
    "SettingsConflict",
    "Source",
    "Subject",
    "Summary",
    "Target",
    "TargetStatus",
    "Track",
    "Unit",
    "evaluate",
    "indicator_scores",
    "measure",
    "measure_counted",
    "summarize",
]
