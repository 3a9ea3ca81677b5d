"""A report table as an ``.xlsx`` workbook, set up for printing: A4 landscape, fitted to
the page width, title and issuing unit above, grouped headers merged, header rows
repeated on every page and frozen on screen."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhibu.reports.table import ReportTable

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FONT = "宋体"


def render_xlsx(tables: Iterable[ReportTable]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        _sheet(book.create_sheet(table.sheet[:31]), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: Worksheet, table: ReportTable) -> None:
    width = len(table.columns)
    last = get_column_letter(width)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = table.title
    sheet["A1"].font = Font(name=FONT, size=16, bold=True)
    sheet["A1"].alignment = CENTER
    sheet.row_dimensions[1].height = 30
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"] = f"填报单位:{table.issuer}    日期:{table.date}".strip()
    sheet["A2"].font = Font(name=FONT, size=10)
    header = _headers(sheet, table)
    for row in table.rows:
        sheet.append([row.get(c.key) for c in table.columns])
        for cell in sheet[sheet.max_row]:
            cell.border, cell.font = BOX, Font(name=FONT, size=10)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for note in table.notes:
        sheet.append([note])
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width
        )
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    _print_setup(sheet, header)


def _headers(sheet: Worksheet, table: ReportTable) -> int:
    """Grouped heading row (merged per group) and column heading row; returns the last
    heading row."""
    grouped = any(c.group for c in table.columns)
    top = 3
    bottom = top + 1 if grouped else top
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=bottom, column=index, value=column.header)
        cell.font, cell.alignment, cell.border = Font(name=FONT, size=10, bold=True), CENTER, BOX
        if grouped and not column.group:  # no group: the heading spans both rows
            sheet.cell(row=top, column=index, value=column.header)
            sheet.merge_cells(start_row=top, start_column=index, end_row=bottom, end_column=index)
    if grouped:
        start = 1
        columns = table.columns
        while start <= len(columns):
            group = columns[start - 1].group
            end = start
            while end < len(columns) and group and columns[end].group == group:
                end += 1
            if group:
                cell = sheet.cell(row=top, column=start, value=group)
                cell.font, cell.alignment = Font(name=FONT, size=10, bold=True), CENTER
                if end > start:
                    sheet.merge_cells(
                        start_row=top, start_column=start, end_row=top, end_column=end
                    )
                for index in range(start, end + 1):
                    sheet.cell(row=top, column=index).border = BOX
            start = end + 1
    return bottom


def _print_setup(sheet: Worksheet, header: int) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"3:{header}"
    sheet.freeze_panes = f"A{header + 1}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
