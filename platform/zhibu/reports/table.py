"""The one shape every report takes: a titled table with grouped columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column; columns with the same ``group`` get one merged heading above theirs."""

    key: str
    header: str
    width: float = 12
    group: str = ""


@dataclass
class ReportTable:
    """A printable table: title row, issuing unit and date, grouped headers, rows.

    :param sheet: the worksheet (or page section) name, ≤ 31 characters.
    :param notes: lines printed under the table (公示期, 说明 …).
    """

    title: str
    sheet: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    issuer: str = ""
    date: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    """What a report builder reads: the tenant, the cycle, its units, members and current
    results (plain dicts), and the cycle's summary with the scheme's targets."""

    tenant: Any
    cycle: Any
    units: dict[Any, dict[str, Any]]
    members: dict[Any, dict[str, Any]]
    results: list[dict[str, Any]]
    summary: dict[str, Any]
    today: str

    def results_of(self, subject_kind: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["subject_kind"] == subject_kind]
