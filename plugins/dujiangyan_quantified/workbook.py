"""The month workbook (党员每月记实考评表, .xlsx): a pre-filled template of a unit's month,
and reading it back — a preview with every problem by row and column, then an
all-or-nothing commit through :func:`dujiangyan_quantified.months.save_month`'s checks.

Layout: a title row; a row naming the unit code (组织编码) and the month (月份), which an
upload must match; the header row; one row per member on the month's sheet. Columns:
序号, 档案编码, 姓名, 所在支部, 月度得分, 扣分原因, then one 扣分 column per 四讲四有
indicator (``P01 坚定理想信念(2分)`` …). A row gives either 月度得分 (0–100), or the points
taken off some indicators with their reasons (the stored month is then the full 100 less
those points; a 月度得分 given as well must be that number). A row with neither is not
recorded: the month is left out for that member, never counted as zero. Only 档案编码 is
required among the headers; 姓名, when given, must be the member's (it catches shifted
rows); other columns are ignored.

扣分原因 is either one reason for every deduction of the row (``未参加志愿服务``) or a
reason per indicator: ``P07:原因;R02:原因`` (``:`` or ``:``; segments separated by ``;``,
``;`` or a line break). A pre-filled row whose deductions have different reasons, or that
holds indicator points entered through the API, is written in the second form, with only
the deductions' reasons (indicator points have none).

Uploading the pre-filled workbook unchanged changes nothing: a row that still shows what
is stored is kept as stored (not saved again), and in an edited row an indicator whose
points did not change keeps its stored entries (indicator points stay points, each
deduction keeps its reason) unless 扣分原因 gives it a new reason. Text is written as text:
a name or reason beginning with ``=``, ``+``, ``-`` or ``@`` is never a formula.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dujiangyan_quantified import months
from zhibu import controls, engine
from zhibu.errors import ServiceError
from zhibu.evaluations import phases, sheets
from zhibu.evaluations.cycles import ensure_open
from zhibu.i18n import _, _l
from zhibu.members.roster import BY_FIELD as ROSTER_COLUMNS
from zhibu.workbooks import normalize as n
from zhibu.workbooks.reader import WorkbookError, open_workbook

HEADER_ROWS = n.HEADER_SEARCH_ROWS
CODE, NAME, UNIT, SCORE, REASON = "档案编码", "姓名", "所在支部", "月度得分", "扣分原因"
MONTH_SHEET = n.HeaderTable(
    _l("党员每月记实考评表"),
    (
        n.Column(CODE, CODE, ROSTER_COLUMNS["archive_code"].synonyms, n.code, True),
        n.Column(NAME, NAME, ROSTER_COLUMNS["name"].synonyms, n.name),
        n.Column(UNIT, UNIT, ROSTER_COLUMNS["branch"].synonyms),
        n.Column(SCORE, SCORE, ("月得分", "本月得分", "得分"), n.number),
        n.Column(REASON, REASON, ("原因", "扣分说明")),
    ),
    ignored=(("序号", _l("序号,不导入")), ("备注", _l("备注,不导入"))),
)
INDICATOR = re.compile(r"^\s*([A-Z]\d{2})(?![0-9])")
REASON_CODE = re.compile(r"^\s*([A-Z]\d{2})\s*[::]\s*(.*)$", re.S)
REASON_SPLIT = re.compile(r"\s*[;;\n]\s*(?=[A-Z]\d{2}\s*[::])")
TOLERANCE = 0.005  # points compared at two decimals
SCORE_COLUMN = 5  # 月度得分; 扣分原因 follows, then the indicators
_HOW = (
    "每行二选一:填“月度得分”(0–100),或在指标列填扣分并写明扣分原因;"
    "都不填表示本月未记录(不计入,不按零分)。"
)


@dataclass
class WorkbookReport:
    """What an upload does (preview) or did (commit); errors name the row and column."""

    unit_code: str = ""
    month: str = ""
    rows: int = 0
    to_save: int = 0
    blank: int = 0
    unchanged: int = 0  # rows that show what is stored: kept as they are, not saved again
    errors: list[dict[str, Any]] = field(default_factory=list)
    sha256: str = ""
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


class WorkbookRejected(ServiceError):
    status = 422

    def __init__(self, report: WorkbookReport):
        count = len(report.errors)
        super().__init__(
            _("表格有 %(count)s 处错误,未导入任何数据。", count=count),
            errors=report.errors,
        )
        self.report = report


# --- the template ------------------------------------------------------------------------


def template(sheet: months.MonthSheet, rubric: engine.Rubric) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet.month
    headers = [
        "序号",
        CODE,
        NAME,
        UNIT,
        SCORE,
        REASON,
        *(f"{i.code} {i.title}({i.max_points:g}分)" for i in rubric.indicators),
    ]
    year, month = sheet.month.split("-")
    title = _put(ws, 1, 1, f"{sheet.unit.name}{year}年{int(month)}月党员“四讲四有”每月记实考评表")
    title.font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    for column, value in enumerate(
        ("组织编码", sheet.unit.code, "月份", sheet.month, "填写说明", _HOW), start=1
    ):
        _put(ws, 2, column, value).number_format = "@"
    for column, header in enumerate(headers, start=1):
        cell = _put(ws, 3, column, header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, person in enumerate(sheet.people, start=1):
        _write_person(ws, 3 + number, number, person, sheet.entered.get(person.id), rubric)
    for column, width in zip("ABCDEF", (6, 18, 10, 20, 10, 30), strict=True):
        ws.column_dimensions[column].width = width
    for column in range(7, len(headers) + 1):
        ws.column_dimensions[get_column_letter(column)].width = 9
    ws.row_dimensions[3].height = 60
    ws.freeze_panes = "E4"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _put(ws, row: int, column: int, value):
    """Write a cell; text stays text (``=…``, ``+…``, ``-…``, ``@…`` are not formulas)."""
    cell = ws.cell(row, column, controls.cell(value))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _write_person(ws, row: int, number: int, person, entry, rubric: engine.Rubric) -> None:
    for column, value in enumerate(
        (number, person.archive_code, person.name, person.unit_name), start=1
    ):
        _put(ws, row, column, value)
    ws.cell(row, 2).number_format = "@"
    if entry is None:
        return
    if not entry.items and not entry.deductions:
        ws.cell(row, SCORE_COLUMN, entry.score)
        return
    reason = reason_text(entry)
    if reason:
        _put(ws, row, SCORE_COLUMN + 1, reason)
    taken = taken_points(entry, rubric)
    for column, indicator in enumerate(rubric.indicators, start=SCORE_COLUMN + 2):
        if indicator.code in taken:
            ws.cell(row, column, taken[indicator.code])


def taken_points(entry: months.Entry, rubric: engine.Rubric) -> dict[str, float]:
    """The points a stored month takes off each indicator, as its workbook row shows them
    (indicator points as the full points less those kept, plus the deductions)."""
    lines = {i.code: i for i in rubric.indicators}
    taken = {c: lines[c].max_points - pts for c, pts in entry.items.items() if c in lines}
    for d in entry.deductions:
        taken[d["item"]] = taken.get(d["item"], 0) + d["points"]
    return {c: round(v, 4) for c, v in taken.items() if round(v, 4)}


def reason_text(entry: months.Entry) -> str:
    """扣分原因 of a stored month: its one reason when every deduction has the same and
    there are no indicator points, else ``P07:原因;R02:原因`` (one segment per deduction)."""
    reasons = [str(d["reason"]) for d in entry.deductions]
    if reasons and not entry.items and len(set(reasons)) == 1 and not REASON_CODE.match(reasons[0]):
        return reasons[0]
    return ";".join(f"{d['item']}:{d['reason']}" for d in entry.deductions)


# --- reading -----------------------------------------------------------------------------


@dataclass
class _Layout:
    header_row: int
    columns: dict[str, int]  # CODE/NAME/SCORE/REASON → 0-based index
    indicators: dict[int, str]  # 0-based index → indicator code, in column order
    headers: dict[int, str]

    def header(self, index: int | None) -> str:
        return self.headers.get(index, "") if index is not None else ""


@dataclass
class _Read:
    layout: _Layout | None = None
    rows: list[months.MonthRow] = field(default_factory=list)
    spots: list[tuple[int, dict[str, int]]] = field(default_factory=list)  # row, field → col
    errors: list[dict[str, Any]] = field(default_factory=list)
    blank: int = 0


def read(data: bytes, sheet: months.MonthSheet, rubric: engine.Rubric) -> _Read:
    """The workbook's rows as :class:`~dujiangyan_quantified.months.MonthRow` values, and
    every problem the cells themselves have (before the rows are checked against the
    month's sheet)."""
    found = _Read()
    try:  # the platform's safe, fast reader: sizes and the sheet's area checked first
        book = open_workbook(data)
        cells = [tuple(row) for _number, row in book.rows(0)] if book.sheets else []
    except WorkbookError as error:
        found.errors.append(_error(0, None, "", error.message))
        return found
    found.layout = _layout(cells, rubric, found)
    if found.layout is None:
        return found
    _check_banner(cells[: found.layout.header_row - 1], sheet, found)
    stored = {p.archive_code: sheet.entered[p.id] for p in sheet.people if p.id in sheet.entered}
    for number, row in enumerate(
        cells[found.layout.header_row :], start=found.layout.header_row + 1
    ):
        _read_row(number, row, found.layout, rubric, stored, found)
    return found


def _layout(cells: list[tuple], rubric: engine.Rubric, found: _Read) -> _Layout | None:
    for number, row in enumerate(cells[:HEADER_ROWS], start=1):
        texts = [_header(v) for v in row]
        if CODE not in texts:
            continue
        columns = {name: texts.index(name) for name in (CODE, NAME, SCORE, REASON) if name in texts}
        indicators = {}
        for index, text in enumerate(texts):
            match = INDICATOR.match(text)
            if match and rubric.indicator(match[1]) is None:
                found.errors.append(_error(number, index, text, months.unknown(match[1])))
            elif match:
                indicators[index] = match[1]
        return _Layout(number, columns, indicators, dict(enumerate(texts)))
    found.errors.append(_error(0, None, "", n.no_header(MONTH_SHEET)))
    return None


def _header(value) -> str:
    """A header cell as the normalization reads it, a synonym as its column's title."""
    key = n.header_key(value)
    column = MONTH_SHEET.column(key)
    return column.title if column is not None else key


def _check_banner(rows: list[tuple], sheet: months.MonthSheet, found: _Read) -> None:
    """The 组织编码 / 月份 row of the template must name this unit and month."""
    expected = {"组织编码": sheet.unit.code, "月份": sheet.month}
    for number, row in enumerate(rows, start=1):
        for index in range(len(row) - 1):
            label, given = _text(row[index]), _text(row[index + 1]) or ""
            if label in expected and given != expected[label]:
                found.errors.append(
                    _error(
                        number,
                        index + 1,
                        label,
                        _(
                            "此表是 %(given)s 的,不是 %(expected)s 的",
                            given=given,
                            expected=expected[label],
                        ),
                    )
                )


def _read_row(number: int, row: tuple, layout: _Layout, rubric, stored, found: _Read) -> None:
    def cell(index: int | None):
        return row[index] if index is not None and index < len(row) else None

    code, reason = _code(cell(layout.columns.get(CODE))), _text(cell(layout.columns.get(REASON)))
    raw_score = cell(layout.columns.get(SCORE))
    given = {i: cell(i) for i in layout.indicators if _text(cell(i)) is not None}
    if code is None and not given and _text(raw_score) is None:
        return  # an empty line (perhaps with a 序号 or a name left over)
    before = len(found.errors)
    score = _number(number, layout, layout.columns.get(SCORE), raw_score, found)
    taken: dict[str, float] = {}
    for index, raw in given.items():
        points = _number(number, layout, index, raw, found, deduction=True)
        if points:
            taken[layout.indicators[index]] = taken.get(layout.indicators[index], 0) + points
    if code is not None and score is None and not taken and not reason:
        found.blank += 1
        return  # a member with nothing entered: not recorded this month
    if taken and score is not None:
        expected = rubric.max_points - sum(taken.values())
        if abs(score - expected) > TOLERANCE:
            found.errors.append(
                _at(
                    number,
                    layout,
                    layout.columns.get(SCORE),
                    _(
                        "月度得分 %(score)s 与扣分不符,应为 %(expected)s",
                        score=f"{score:g}",
                        expected=f"{expected:g}",
                    ),
                )
            )
        score = None  # the deductions say it all
    items: dict[str, float] = {}
    deductions: list[dict[str, Any]] = []
    if taken:
        detail = _detail(number, layout, taken, reason, stored.get(code), rubric, found)
        if detail is not None:
            items, deductions = detail
    if len(found.errors) > before:
        return
    found.rows.append(
        months.MonthRow(
            archive_code=code,
            score=score,
            items=items,
            deductions=deductions,
            name=_text(cell(layout.columns.get(NAME))) if NAME in layout.columns else None,
        )
    )
    column_of = {c: i for i, c in layout.indicators.items()}
    spots = {"archive_code": CODE, "name": NAME, "score": SCORE}
    found.spots.append(
        (
            number,
            {field: layout.columns.get(header, -1) for field, header in spots.items()}
            | {f"items.{c}": column_of.get(c, -1) for c in items}
            | {
                f"deductions.{n}": column_of.get(d["item"], -1)
                for n, d in enumerate(deductions, start=1)
            },
        )
    )


def _detail(
    number: int,
    layout: _Layout,
    taken: dict[str, float],
    reason: str | None,
    entry: months.Entry | None,
    rubric: engine.Rubric,
    found: _Read,
) -> tuple[dict[str, float], list[dict[str, Any]]] | None:
    """A row's indicator points and deductions from its 扣分 columns and 扣分原因, keeping
    what is stored for every indicator whose points did not change (and, when the row shows
    exactly what is stored, the whole month as stored)."""
    stored = taken_points(entry, rubric) if entry is not None else {}
    if entry is not None and _same(taken, stored) and (reason or "") == reason_text(entry).strip():
        return dict(entry.items), [dict(d) for d in entry.deductions]
    at = layout.columns.get(REASON, -1)
    per_item = _reasons(number, layout, at, reason, set(taken), rubric, found)
    if per_item is False:
        return None
    items: dict[str, float] = {}
    deductions: list[dict[str, Any]] = []
    missing = []
    for code in (i.code for i in rubric.in_order(set(taken))):
        kept_items = {code: entry.items[code]} if entry and code in entry.items else {}
        kept = [dict(d) for d in entry.deductions if d["item"] == code] if entry else []
        reasons = per_item.get(code) if per_item is not None else ([reason] if reason else None)
        unchanged = code in stored and abs(stored[code] - taken[code]) <= TOLERANCE
        if unchanged and _keeps(kept, reasons, per_item is not None):
            items |= kept_items
            deductions += kept
        elif reasons:
            deductions.append({"item": code, "points": taken[code], "reason": ";".join(reasons)})
        else:
            missing.append(code)
    if missing and not reason:
        found.errors.append(_at(number, layout, at, _("按指标扣分须注明扣分原因")))
    elif missing:
        found.errors.append(
            _at(
                number,
                layout,
                at,
                _(
                    "%(codes)s 扣分须注明原因,写作 %(first)s:原因",
                    codes="、".join(missing),
                    first=missing[0],
                ),
            )
        )
    return items, deductions


def _keeps(kept: list[dict[str, Any]], reasons: list[str] | None, per_item: bool) -> bool:
    """Whether an indicator whose points did not change keeps its stored entries: unless
    扣分原因 gives its deductions other reasons (a row-wide reason applies to deductions, not
    to indicator points, which have none)."""
    if reasons is None or (not per_item and not kept):
        return True
    stored = [d["reason"] for d in kept]
    return sorted(stored) == sorted(reasons) if per_item else set(stored) == set(reasons)


def _same(taken: dict[str, float], stored: dict[str, float]) -> bool:
    return taken.keys() == stored.keys() and all(
        abs(taken[c] - stored[c]) <= TOLERANCE for c in taken
    )


def _reasons(number, layout, at, reason, deducted: set[str], rubric, found: _Read):
    """扣分原因 read per indicator (``P07:原因;R02:原因``): code → reasons; ``None`` for one
    reason for the whole row (or none); ``False`` when the text does not parse."""
    if not reason or not REASON_CODE.match(reason):
        return None
    per_item: dict[str, list[str]] = {}
    problems = []
    for segment in REASON_SPLIT.split(re.sub(r"[;;\s]+$", "", reason)):
        match = REASON_CODE.match(segment)
        code, text = match[1], match[2].strip()
        if rubric.indicator(code) is None:
            problems.append(_("原因中的 %(code)s 不是指标", code=code))
        elif code not in deducted:
            problems.append(_("原因写了 %(code)s,但本行 %(code)s 列没有扣分", code=code))
        elif not text:
            problems.append(_("%(code)s 的原因是空的", code=code))
        else:
            per_item.setdefault(code, []).append(text)
    for problem in problems:
        found.errors.append(_at(number, layout, at, f"扣分原因写作“P07:原因;R02:原因”:{problem}"))
    return False if problems else per_item


def _number(number, layout, index, raw, found: _Read, deduction: bool = False) -> float | None:
    try:
        value = n.number(raw)
    except n.CellError as error:
        found.errors.append(_at(number, layout, index, str(error)))
        return None
    if value is None:
        return None
    if deduction and value < 0:
        found.errors.append(_at(number, layout, index, _("扣分不能为负数")))
        return None
    return value


def _code(value) -> str | None:
    try:
        return n.code(value)
    except n.CellError:
        return _text(value)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _at(number: int, layout: _Layout, index: int | None, message: str) -> dict[str, Any]:
    return _error(number, index, layout.header(index), message)


def _error(row: int, index: int | None, header: str, message: str) -> dict[str, Any]:
    column = get_column_letter(index + 1) if index is not None and index >= 0 else ""
    return {"row": row, "column": column, "header": header, "message": message}


# --- preview and commit ------------------------------------------------------------------


def _plan(tenant_id, unit_id, month: str, data: bytes):
    sheet = months.load_sheet(tenant_id, unit_id, month)
    rubric = months.member_rubric(sheet.cycle)
    found = read(data, sheet, rubric)
    inputs, problems = months.check_rows(sheet, found.rows, rubric)
    changed = [i for i in inputs if not _unchanged(i, sheet.entered.get(i.subject_id))]
    errors = list(found.errors)
    for problem in problems:
        number, spots = found.spots[problem.row - 1]
        errors.append(_at(number, found.layout, spots.get(problem.field, -1), problem.message))
    errors.sort(key=lambda e: (e["row"], len(e["column"]), e["column"]))
    bad_rows = (
        {e["row"] for e in found.errors if e["row"] > found.layout.header_row}
        if found.layout
        else set()
    )
    report = WorkbookReport(
        unit_code=sheet.unit.code,
        month=month,
        rows=len(found.rows) + found.blank + len(bad_rows),
        to_save=0 if errors else len(changed),
        blank=found.blank,
        unchanged=0 if errors else len(inputs) - len(changed),
        errors=errors,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return sheet, changed, report


def _unchanged(data: sheets.SheetInput, entry: months.Entry | None) -> bool:
    """The row saves exactly what is stored (then it is left as it is)."""

    def deductions(found) -> list[tuple]:
        return sorted((d["item"], d["points"], d["reason"]) for d in found)

    return (
        entry is not None
        and data.score == entry.score
        and data.items == entry.items
        and deductions(data.deductions) == deductions(entry.deductions)
    )


def preview(tenant_id, unit_id, month: str, data: bytes) -> WorkbookReport:
    """What uploading ``data`` would save, with every problem; nothing is written."""
    return _plan(tenant_id, unit_id, month, data)[2]


def commit(tenant_id, unit_id, month: str, data: bytes) -> WorkbookReport:
    """Save the workbook's month whole, or nothing (:class:`WorkbookRejected`, 422)."""
    sheet, inputs, report = _plan(tenant_id, unit_id, month, data)
    ensure_open(sheet.cycle)  # a final cycle takes nothing, not even an unchanged workbook
    # nor one whose months are closed (issue 18): 409 naming the phase
    subjects = [d.subject_id for d in inputs]
    phases.check_entry(sheet.cycle, "member", months.SOURCE, subjects, sheet.unit.id)
    if not report.ok:
        raise WorkbookRejected(report)
    if inputs:
        sheets.save_many(sheet.cycle, inputs, sheet.unit.id)
    report.committed = True
    return report
