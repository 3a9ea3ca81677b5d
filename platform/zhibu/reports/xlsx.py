"""A report table as an ``.xlsx`` workbook, set up for printing: A4 landscape, fitted to
the page width, title and issuing unit above, grouped headers merged, category cells
merged down their runs, header rows repeated on every page and frozen on screen, page
numbers in the footer.

Written in openpyxl's write-only mode: each row goes to the sheet's file as it is made
(:func:`write_xlsx`), so a city's 60,000-member table costs the rows, not a cell object
per value held until the end; a download is then streamed from that file."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
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
    out = io.BytesIO()
    write_xlsx(tables, out)
    return out.getvalue()


def write_xlsx(tables: Iterable[ReportTable], out: BinaryIO) -> None:
    """The workbook of ``tables`` written to ``out`` (a file open for writing), row by
    row in write-only mode."""
    book = Workbook(write_only=True)
    for style in _named_styles():
        book.add_named_style(style)
    names: set[str] = set()
    for table in tables:
        _sheet(book.create_sheet(sheet_name(table.sheet, names)), table)
    if not book.worksheets:  # a workbook needs one sheet: say there is nothing
        book.create_sheet("无数据").append(["本期无数据"])
    book.save(out)


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


def _cell(sheet, value=None, style: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    put(cell, value)
    if style:
        cell.style = style
    return cell


def _merge(sheet, top: int, left: int, bottom: int, right: int) -> None:
    """Merge a range (its cells are written as they are: the top left one holds the
    value). Added to the sheet's set directly: a report's ranges never overlap."""
    coord = f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
    sheet.merged_cells.ranges.add(CellRange(coord))


def _sheet(sheet, table: ReportTable) -> None:
    """Write-only: the widths, heights, merges and print setup are set before (or kept
    until) the rows are written; the rows go out in order."""
    width = len(table.columns)
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    grouped = any(c.group for c in table.columns)
    header = 4 if grouped else 3
    _print_setup(sheet, header)
    sheet.row_dimensions[1].height = 30
    sheet.append([_cell(sheet, table.title, TITLE)])
    _merge(sheet, 1, 1, 1, width)
    issuer = f"填报单位:{table.issuer}    日期:{table.date}".strip()
    sheet.append([_cell(sheet, issuer, ISSUER)])
    _merge(sheet, 2, 1, 2, width)
    _headers(sheet, table, grouped)
    after = _body(sheet, table, header + 1)
    line = sum(c.width for c in table.columns) / 2  # CJK characters per printed line
    for at, note in enumerate(table.notes, start=after):
        sheet.row_dimensions[at].height = 15 * max(1, math.ceil(len(note) / line))
        sheet.append([_cell(sheet, note, NOTE)])
        _merge(sheet, at, 1, at, width)


def _body(sheet, table: ReportTable, first: int) -> int:
    """The rows from row ``first``, each run of a category column merged into one cell
    (the cells under its top one left empty, as printed); returns the next free row."""
    tops: dict[tuple[int, int], int] = {}
    for index, column in enumerate(table.columns):
        if column.category:
            for start, length in table.runs(column.key):
                for offset in range(start, start + length):
                    tops[(offset, index)] = length if offset == start else 0
    for offset, row in enumerate(table.rows):
        cells = []
        for index, column in enumerate(table.columns):
            span = tops.get((offset, index), 1)
            cells.append(
                _cell(sheet, row.get(column.key) if span else None, BODY if span == 1 else CATEGORY)
            )
            if span > 1:
                _merge(sheet, first + offset, index + 1, first + offset + span - 1, index + 1)
        sheet.append(cells)
    return first + len(table.rows)


def _headers(sheet, table: ReportTable, grouped: bool) -> None:
    """Grouped heading row (one merged cell per group; a column without a group spans
    both rows) and column heading row (rows 3 and 4; row 3 alone without groups)."""
    top = 3
    if not grouped:
        sheet.append([_cell(sheet, c.header, HEADER) for c in table.columns])
        return
    upper = [_cell(sheet, None, HEADER) for _ in table.columns]
    lower = [_cell(sheet, None, HEADER) for _ in table.columns]
    for index, column in enumerate(table.columns, start=1):
        if column.group:
            put(lower[index - 1], column.header)
        else:
            put(upper[index - 1], column.header)
            _merge(sheet, top, index, top + 1, index)
    for start, length in _group_runs(table):
        put(upper[start - 1], table.columns[start - 1].group)
        if length > 1:
            _merge(sheet, top, start, top, start + length - 1)
    sheet.append(upper)
    sheet.append(lower)


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


def _print_setup(sheet, header: int) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"3:{header}"
    sheet.freeze_panes = f"A{header + 1}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页,共 &N 页"
