"""A report table as a printable HTML page (A4 landscape; the header repeats on every
printed page; category cells span their runs of rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError

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


def body_rows(table: ReportTable) -> list[list[tuple[Any, int]]]:
    """Each row's cells as (value, rowspan); a cell inside a category run is left out."""
    spans: dict[tuple[int, int], int] = {}
    for at, column in enumerate(table.columns):
        if column.category:
            for start, length in table.runs(column.key):
                for row in range(start, start + length):
                    spans[(row, at)] = length if row == start else 0
    rows = []
    for index, row in enumerate(table.rows):
        cells = []
        for at, column in enumerate(table.columns):
            span = spans.get((index, at), 1)
            if span:
                value = row.get(column.key)
                cells.append(("" if value is None else value, span))
        rows.append(cells)
    return rows


def render_html(tables: Iterable[ReportTable], title: str, back: str | None = None) -> str:
    """The page, from the app's template environment but without the request's context
    processors: a job renders it too, outside any request.

    :param back: where the page's back link leads (shown on screen, hidden in print);
        default, in a request: the cycle's reports page, else the tenant's home; a job's
        stored file has none."""
    if back is None and has_request_context():
        back = _back_of(request.view_args or {})
    template = current_app.jinja_env.get_template("report.html")
    return template.render(
        tables=list(tables), title=title, spans=group_spans, body_rows=body_rows, back=back
    )


def _back_of(args: dict) -> str | None:
    tenant, cycle = args.get("tenant_id"), args.get("cycle_id")
    try:
        if tenant and cycle:
            return url_for("results.reports", tenant_id=tenant, cycle_id=cycle)
        if tenant:
            return url_for("pages.tenant_home", tenant_id=tenant)
    except BuildError:  # an app without the pages
        return None
    return None
