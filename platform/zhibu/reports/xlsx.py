"""A report table as an ``.xlsx`` workbook, set up for printing: A4 landscape, fitted to
the page width, title and issuing unit above, grouped headers merged, category cells
merged down their runs, header rows repeated on every page and frozen on screen, page
numbers in the footer."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from zhibu import controls
from zhibu.reports.table import ReportTable

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FONT = "宋体"
TITLE, ISSUER, HEADER = "zhibu-title", "zhibu-issuer", "zhibu-header"
BODY, CATEGORY, NOTE = "zhibu-body", "zhibu-category", "zhibu-note"


def _named_styles() -> list[NamedStyle]:
    font = Font(name=FONT, size=10)
    return [
        NamedStyle(TITLE, font=Font(name=FONT, size=16, bold=True), alignment=CENTER),
        NamedStyle(ISSUER, font=font),
        NamedStyle(HEADER, font=Font(name=FONT, size=10, bold=True), border=BOX, alignment=CENTER),
        NamedStyle(
            BODY, font=font, border=BOX, alignment=Alignment(vertical="center", wrap_text=True)
        ),
        NamedStyle(CATEGORY, font=font, border=BOX, alignment=CENTER),
        NamedStyle(NOTE, font=font, alignment=Alignment(vertical="top", wrap_text=True)),
    ]


def render_xlsx(tables: Iterable[ReportTable]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for style in _named_styles():
        book.add_named_style(style)
    names: set[str] = set()
    for table in tables:
        _sheet(book.create_sheet(sheet_name(table.sheet, names)), table)
    if not book.worksheets:  # a workbook needs one sheet: say there is nothing
        book.create_sheet("无数据")["A1"] = "本期无数据"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in
    the workbook (``name (2)`` …)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", controls.cell(wanted)).strip("'") or "Sheet"
    name, number = base[:31], 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put(cell, value) -> None:
    """Write a value; text that a spreadsheet would take for a formula (beginning with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: a reason typed as
    ``=HYPERLINK(…)``) is stored as text, never as a formula."""
    cell.value = value = controls.cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"


def _text(sheet: Worksheet, row: int, column: int, value):
    cell = sheet.cell(row=row, column=column)
    put(cell, value)
    return cell


def _merge(sheet: Worksheet, top: int, left: int, bottom: int, right: int) -> None:
    """Merge a range whose cells are already written and styled. Added to the sheet's
    set directly: a report's ranges never overlap, and openpyxl's own ``merge_cells``
    checks every earlier range and redraws borders (quadratic over a 2,000-unit table)."""
    coord = f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
    sheet.merged_cells.ranges.add(MergedCellRange(sheet, coord))


def _sheet(sheet: Worksheet, table: ReportTable) -> None:
    width = len(table.columns)
    _text(sheet, 1, 1, table.title).style = TITLE
    _merge(sheet, 1, 1, 1, width)
    sheet.row_dimensions[1].height = 30
    issuer = f"填报单位:{table.issuer}    日期:{table.date}".strip()
    _text(sheet, 2, 1, issuer).style = ISSUER
    _merge(sheet, 2, 1, 2, width)
    header = _headers(sheet, table)
    after = _body(sheet, table, header + 1)
    line = sum(c.width for c in table.columns) / 2  # CJK characters per printed line
    for at, note in enumerate(table.notes, start=after):
        _text(sheet, at, 1, note).style = NOTE
        _merge(sheet, at, 1, at, width)
        sheet.row_dimensions[at].height = 15 * max(1, math.ceil(len(note) / line))
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    _print_setup(sheet, header)


def _body(sheet: Worksheet, table: ReportTable, first: int) -> int:
    """The rows from row ``first``, each run of a category column merged into one cell
    (the cells under its top one left empty, as printed); returns the next free row."""
    tops: dict[tuple[int, int], int] = {}
    for index, column in enumerate(table.columns):
        if column.category:
            for start, length in table.runs(column.key):
                for offset in range(start, start + length):
                    tops[(offset, index)] = length if offset == start else 0
    for offset, row in enumerate(table.rows):
        for index, column in enumerate(table.columns):
            span = tops.get((offset, index), 1)
            cell = sheet.cell(row=first + offset, column=index + 1)
            cell.style = BODY if span == 1 else CATEGORY
            if span:
                put(cell, row.get(column.key))
            if span > 1:
                _merge(sheet, first + offset, index + 1, first + offset + span - 1, index + 1)
    return first + len(table.rows)


def _headers(sheet: Worksheet, table: ReportTable) -> int:
    """Grouped heading row (one merged cell per group; a column without a group spans
    both rows) and column heading row; returns the last heading row."""
    grouped = any(c.group for c in table.columns)
    top = 3
    bottom = top + 1 if grouped else top
    for index, column in enumerate(table.columns, start=1):
        for row in range(top, bottom + 1):
            sheet.cell(row=row, column=index).style = HEADER
        if not grouped or column.group:
            _text(sheet, bottom, index, column.header)
        else:
            _text(sheet, top, index, column.header)
            _merge(sheet, top, index, bottom, index)
    if grouped:
        for start, length in _group_runs(table):
            _text(sheet, top, start, table.columns[start - 1].group)
            if length > 1:
                _merge(sheet, top, start, top, start + length - 1)
    return bottom


def _group_runs(table: ReportTable) -> list[tuple[int, int]]:
    """(first column, number of columns) of each group of consecutive columns."""
    runs: list[tuple[int, int]] = []
    for index, column in enumerate(table.columns, start=1):
        previous = table.columns[index - 2].group if index > 1 else ""
        if (
            column.group
            and runs
            and previous == column.group
            and runs[-1][0] + runs[-1][1] == index
        ):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        elif column.group:
            runs.append((index, 1))
    return runs


def _print_setup(sheet: Worksheet, header: int) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"3:{header}"
    sheet.freeze_panes = f"A{header + 1}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页,共 &N 页"
