"""Cycle labels: ``2021`` (year), ``2021H1`` (half), ``2021Q3`` (quarter), ``2021-05``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_FORMS = (
    ("year", re.compile(r"^(\d{4})$")),
    ("half", re.compile(r"^(\d{4})H([12])$")),
    ("quarter", re.compile(r"^(\d{4})Q([1-4])$")),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
)
MONTHS_IN = {"year": 12, "half": 6, "quarter": 3, "month": 1}


@dataclass(frozen=True)
class Period:
    label: str
    kind: str
    start: date
    end: date

    def months(self) -> list[str]:
        """The sub-periods of monthly tracking: ``2021-01`` …"""
        out, year, month = [], self.start.year, self.start.month
        for _ in range(MONTHS_IN[self.kind]):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def previous(self, count: int) -> list[str]:
        """Labels of the ``count`` periods of the same kind before this one, newest first."""
        labels, current = [], self
        for _ in range(count):
            current = parse_period(_step_back(current))
            labels.append(current.label)
        return labels


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(label: str) -> Period:
    """:raises ValueError: naming the label and the accepted forms."""
    for kind, pattern in _FORMS:
        match = pattern.match(label)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "year":
            return Period(label, kind, date(year, 1, 1), date(year, 12, 31))
        part = int(match.group(2))
        first = {"half": (part - 1) * 6 + 1, "quarter": (part - 1) * 3 + 1, "month": part}[kind]
        last = first + MONTHS_IN[kind] - 1
        return Period(label, kind, date(year, first, 1), _month_end(year, last))
    raise ValueError(f"period {label!r}: use 2021, 2021H1, 2021Q3 or 2021-05")


def _step_back(period: Period) -> str:
    year = period.start.year
    if period.kind == "year":
        return str(year - 1)
    if period.kind == "month":
        month = period.start.month
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    part = (period.start.month - 1) // MONTHS_IN[period.kind] + 1
    letter = "H" if period.kind == "half" else "Q"
    if part > 1:
        return f"{year}{letter}{part - 1}"
    return f"{year - 1}{letter}{12 // MONTHS_IN[period.kind]}"
