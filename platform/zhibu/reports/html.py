"""A report table as a printable HTML page (A4 landscape; the header repeats on every
printed page)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template

from zhibu.reports.table import ReportTable


def group_spans(table: ReportTable) -> list[tuple[str, int, bool]]:
    """(heading, span, grouped) for the top heading row."""
    spans: list[tuple[str, int, bool]] = []
    for column in table.columns:
        if column.group and spans and spans[-1][0] == column.group and spans[-1][2]:
            heading, span, grouped = spans[-1]
            spans[-1] = (heading, span + 1, grouped)
        else:
            spans.append((column.group or column.header, 1, bool(column.group)))
    return spans


def render_html(tables: Iterable[ReportTable], title: str) -> str:
    tables = list(tables)
    return render_template("report.html", tables=tables, title=title, spans=group_spans)
