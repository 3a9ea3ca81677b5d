"""The member roster workbook (党员花名册, .xlsx): its columns, reading it with every
problem reported, and writing it the way people expect to see it (export, template).

Reading goes through :mod:`zhibu.workbooks` (the safe, fast reader and the one
normalization of what offices type). The header row is the one of the first ten rows of
the first sheet that has one naming the most roster columns (title rows above it are
fine); columns may come in any order under any of the titles in :data:`ROSTER`; other
columns are listed as ignored, with the reason. Every cell is parsed and *all* problems
are collected as :class:`RowError` values naming the Excel row, the column letter and the
header as written. ``RosterParse.rows`` holds only the rows without a problem, and none at
all when the header itself is wrong.

Parsed values: text fields are stripped strings (names without the spaces that line
them up); dates are :class:`datetime.date` (a :class:`~zhibu.workbooks.normalize.MonthDate`
when written to the month only); gender ``"男"``/``"女"``; status
``"full"``/``"probationary"``; category ``"serving"``/``"retired"``/``"mobile"``; phone,
archive code and ID-card number digit strings; an empty cell is ``None``. Every column's
key is a key of ``RosterRow.values``.

Two rows of one file that are the same person (the same ID-card number, the same
archive code, or the same name and birth date with nothing telling them apart) are
reported on the later row, naming the earlier one. A row whose 序号 is ``示例`` (the
template's example) is skipped.

Pure functions over bytes: no Flask, no database, no clock.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from itertools import chain, islice
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from zhibu import controls
from zhibu.i18n import _, _l
from zhibu.members.idcard import birth_and_gender
from zhibu.workbooks import normalize as n
from zhibu.workbooks.normalize import Column, HeaderTable, Ignored, Located, MonthDate
from zhibu.workbooks.reader import Limits, WorkbookError, open_workbook

GENDERS = {"男": "男", "男性": "男", "女": "女", "女性": "女"}
STATUSES = {"正式党员": "full", "正式": "full", "预备党员": "probationary", "预备": "probationary"}
STATUS_LABELS = {"full": "正式党员", "probationary": "预备党员"}
CATEGORIES = {
    **{label: "serving" for label in ("在职", "在职党员")},
    **{label: "retired" for label in ("离退休", "离退休党员", "退休")},
    **{label: "mobile" for label in ("流动", "流动党员")},
}
CATEGORY_LABELS = {"serving": "在职", "retired": "离退休", "mobile": "流动"}

ROSTER = HeaderTable(
    _l("党员花名册"),
    (
        Column("name", "姓名", ("名字", "党员姓名"), n.name, True, _l("必填。"), "王建军"),
        Column("gender", "性别", (), n.choice(GENDERS), False, _l("男 或 女。"), "男"),
        Column("ethnicity", "民族", (), n.text, False, _l("如 汉族。"), "汉族"),
        Column(
            "birth_date",
            "出生日期",
            ("出生年月", "出生时间", "出生年月日"),
            n.parse_date,
            False,
            _l("写到月或日:1983.02、1983年2月、1983-02-01 均可。"),
            date(1983, 2, 1),
        ),
        Column(
            "joined_on",
            "入党时间",
            ("入党日期", "入党年月"),
            n.parse_date,
            False,
            _l("同出生日期的写法。"),
            date(2005, 7, 1),
        ),
        Column(
            "full_member_on",
            "转正时间",
            ("转正日期", "转正年月"),
            n.parse_date,
            False,
            _l("预备党员可不填。"),
            date(2006, 7, 1),
        ),
        Column(
            "branch",
            "所在支部",
            ("所在党支部", "支部", "党支部", "所在党组织", "所属支部", "所属党支部", "党组织"),
            n.text,
            True,
            _l("必填。组织的名称或编码(与“组织架构”一致);同名组织请写编码。"),
            "机关第一党支部",
        ),
        Column("position", "党内职务", ("职务",), n.text, False, _l("如 支部书记,可不填。")),
        Column("education", "学历", ("文化程度",), n.text, False, _l("如 本科。"), "本科"),
        Column(
            "phone",
            "联系电话",
            ("手机", "手机号", "手机号码", "电话", "电话号码", "联系方式"),
            n.phone,
            False,
            _l("11位手机号,或带区号的固定电话(0997-1234567)。"),
            "13800000000",
        ),
        Column(
            "archive_code",
            "档案编码",
            ("档案号", "档案编号", "一人一档编码"),
            n.code,
            False,
            _l("一人一档编码;新党员可不填,由系统生成。已有党员的编码不会被改动。"),
        ),
        Column(
            "status",
            "党员状态",
            ("党籍状态", "类型"),
            n.choice(STATUSES),
            False,
            _l("正式党员 或 预备党员;不填为正式党员。"),
            "full",
        ),
        Column(
            "category",
            "党员类别",
            (),
            n.choice(CATEGORIES),
            False,
            _l("在职、离退休 或 流动;不填为在职。"),
            "serving",
        ),
        Column(
            "id_card",
            "身份证号",
            ("身份证号码", "公民身份号码", "身份证"),
            n.id_card,
            False,
            _l("18位;本单位启用身份证号后才导入(加密保存)。"),
        ),
    ),
    ignored=(("序号", _l("序号,不导入")), ("备注", _l("备注,不导入"))),
)
COLUMNS: tuple[Column, ...] = ROSTER.columns
FIELDS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.required)
BY_FIELD = ROSTER.by_key
SERIAL = "序号"
EXAMPLE_MARK = "示例"
SHEET_TITLE = "党员花名册"


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as Excel numbers it (0: the file as a whole), ``column`` the
    Excel letter ("" when not about one cell), ``header`` the column's header."""

    row: int
    column: str
    header: str
    message: str

    def __str__(self) -> str:
        where = _("第%(row)s行", row=self.row) if self.row else ""
        if self.column:
            where = f"{where} " + _(
                "%(column)s列(%(header)s)", column=self.column, header=self.header
            )
        return f"{where.strip()}: {self.message}" if where else self.message


@dataclass(frozen=True)
class RosterRow:
    row_number: int
    values: dict[str, Any]
    cells: Sequence[object] = ()


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    header_row: int = 0
    sheet: str = ""
    columns: dict[str, Located] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)  # the header row as written
    bad_cells: dict[int, Sequence[object]] = field(default_factory=dict)
    examples: list[int] = field(default_factory=list)  # rows skipped as the example

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def ignored_headers(self) -> list[str]:
        return [column.header for column in self.ignored]

    def spot(self, key: str) -> tuple[str, str]:
        """(column letter, header as written) of a roster field, or ("", canonical title)."""
        located = self.columns.get(key)
        if located is None:
            return "", BY_FIELD[key].title if key in BY_FIELD else ""
        return located.letter, located.header


def parse_date(value: object) -> date | None:
    """A date cell as the roster reads it (see :func:`zhibu.workbooks.normalize.parse_date`)."""
    try:
        return n.parse_date(value)
    except n.CellError as error:
        raise ValueError(str(error)) from None


# --- reading -----------------------------------------------------------------------------


def read_roster(
    source: bytes | Any, limits: Limits | None = None, *, id_cards: bool = True
) -> RosterParse:
    """Parse a roster workbook; never raises for a bad file, reports it as a RowError.
    With ``id_cards`` off (the tenant keeps none), the ID-card column is listed as
    ignored and not read."""
    data = source if isinstance(source, bytes | bytearray) else source.read()
    try:
        book = open_workbook(bytes(data), limits)
        found = _header_sheet(book)
    except WorkbookError as error:
        return RosterParse(errors=[RowError(0, "", "", error.message)])
    if found is None:
        return RosterParse(errors=[RowError(0, "", "", n.no_header(ROSTER))])
    name, header, cells, body = found
    if not id_cards and "id_card" in header.located:
        spot = header.located.pop("id_card")
        reason = _("本单位未启用身份证号,此列未导入")
        header.ignored.append(Ignored(spot.letter, spot.header, reason, spot.index))
    parse = RosterParse(
        ignored=header.ignored,
        header_row=header.row,
        sheet=name,
        columns=header.located,
        headers=[n.text(cell) or "" for cell in cells],
        errors=[RowError(header.row, *problem) for problem in header.problems],
    )
    try:
        _read_body(parse, body, _serial_index(header.ignored))
    except WorkbookError as error:
        return RosterParse(errors=[RowError(0, "", "", error.message)])
    if header.problems:
        parse.rows = []
    return parse


def _header_sheet(book) -> tuple[str, n.Header, Sequence[object], Iterator] | None:
    for index, info in enumerate(book.sheets):
        rows = book.rows(index)
        header, body = n.find_header(rows, ROSTER)
        if header is not None:
            return info.name, header, header.cells, body
    return None


def _serial_index(ignored: list[Ignored]) -> int | None:
    return next((c.index for c in ignored if c.header == SERIAL), None)


def _read_body(parse: RosterParse, body: Iterator, serial: int | None) -> None:
    seen = _Seen()
    located = parse.columns
    for number, cells in body:
        raw = {key: n.cell_at(cells, spot.index) for key, spot in located.items()}
        if all(n.is_blank(value) for value in raw.values()):
            continue  # also a row with only a pre-filled 序号 or other ignored column
        if serial is not None and n.text(n.cell_at(cells, serial)) == EXAMPLE_MARK:
            parse.examples.append(number)
            continue
        values, problems = _parse_row(raw)
        if not problems:
            problems = seen.duplicates(number, values)
        if problems:
            problems.sort(key=lambda problem: located[problem[0]].index)
            parse.errors += [_row_error(number, located[key], text) for key, text in problems]
            parse.bad_cells[number] = cells
        else:
            parse.rows.append(RosterRow(number, values, cells))


Problem = tuple[str, str]  # (field, message)


def _parse_row(raw: dict[str, object]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = dict.fromkeys(FIELDS)
    problems: list[Problem] = []
    for key, value in raw.items():
        column = BY_FIELD[key]
        try:
            values[key] = column.read(value)
        except n.CellError as error:
            problems.append((key, str(error)))
            continue
        if values[key] is None and column.required:
            problems.append((key, _("“%(title)s”不能为空。", title=column.title)))
    return values, problems + _inconsistencies(values)


def _inconsistencies(values: dict[str, Any]) -> list[Problem]:
    """Disagreements between cells that are each fine (a bad cell is None here)."""
    number, born, gender = values["id_card"], values["birth_date"], values["gender"]
    joined, full = values["joined_on"], values["full_member_on"]
    on_card, card_gender = birth_and_gender(number) if number else (None, None)
    problems: list[Problem] = []
    if on_card and born and not n.same_day(born, on_card):
        problems.append(
            (
                "birth_date",
                _(
                    "出生日期 %(born)s 与身份证号中的 %(on_card)s 不一致;请核对两者。",
                    born=_day(born),
                    on_card=on_card.isoformat(),
                ),
            )
        )
    if number and gender and gender != card_gender:
        problems.append(
            (
                "gender",
                _(
                    "性别“%(gender)s”与身份证号不符,应为“%(expected)s”。",
                    gender=gender,
                    expected=card_gender,
                ),
            )
        )
    born = born or on_card
    if born and joined and joined <= born:
        problems.append(
            (
                "joined_on",
                _(
                    "入党时间 %(joined)s 应晚于出生日期 %(born)s。",
                    joined=_day(joined),
                    born=_day(born),
                ),
            )
        )
    if joined and full and full < joined:
        problems.append(
            (
                "full_member_on",
                _(
                    "转正时间 %(full)s 早于入党时间 %(joined)s;应在入党之后。",
                    full=_day(full),
                    joined=_day(joined),
                ),
            )
        )
    return problems


def _day(value: date) -> str:
    """A date as written back to the user: ``1983-02`` for a month, else ``1983-02-01``."""
    return value.strftime("%Y-%m") if isinstance(value, MonthDate) else value.isoformat()


class _Seen:
    """The rows read so far, by what makes two rows one person."""

    def __init__(self) -> None:
        self.cards: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.people: dict[tuple, list[tuple[int, dict[str, Any]]]] = defaultdict(list)

    def duplicates(self, number: int, values: dict[str, Any]) -> list[Problem]:
        card, code = values["id_card"], values["archive_code"]
        if card and self.cards.setdefault(card, number) != number:
            return [("id_card", _same(self.cards[card], _("身份证号相同")))]
        if code and self.codes.setdefault(code, number) != number:
            return [("archive_code", _same(self.codes[code], _("档案编码相同")))]
        born = values["birth_date"] or (birth_and_gender(card)[0] if card else None)
        key = (
            (values["name"], born.year, born.month)
            if born
            else (values["name"], None, values["branch"])
        )
        for first, other in self.people[key]:
            if _one_person(values, born, other):
                reason = (
                    _("姓名、出生日期相同") if born else _("姓名、所在支部相同且都没有出生日期")
                )
                return [("name", _same(first, reason))]
        self.people[key].append((number, values | {"birth_date": born}))
        return []


def _one_person(values: dict[str, Any], born: date | None, other: dict[str, Any]) -> bool:
    """Nothing tells two rows of the same name (and birth month, or branch) apart."""
    for key in ("id_card", "archive_code"):
        if values[key] and other[key] and values[key] != other[key]:
            return False
    if born and other["birth_date"]:
        loose = isinstance(born, MonthDate) or isinstance(other["birth_date"], MonthDate)
        return loose or born == other["birth_date"]
    return True


def _same(first: int, reason: str) -> str:
    return _(
        "与第%(first)s行是同一人(%(reason)s);请删去重复的一行,如确是两人,请填写档案编码或身份证号加以区分。",
        first=first,
        reason=reason,
    )


def _row_error(number: int, spot: Located, message: str) -> RowError:
    return RowError(number, spot.letter, spot.header, message)


# --- writing -----------------------------------------------------------------------------

_TEXT_READERS = (n.phone, n.code, n.id_card)
_MAX_WIDTH = 50


WIDTH_SAMPLE = 500  # rows whose contents set the columns' widths (write-only: before any row)


def write_roster(rows: Iterable[dict[str, Any]], *, title: str | None = None) -> bytes:
    """A roster workbook of ``rows`` (dicts of parsed values keyed by field; other keys are
    ignored), with the canonical headers in :data:`COLUMNS` order under an optional title
    row. ``read_roster`` gives the same values back."""
    buffer = BytesIO()
    write_roster_to(buffer, rows, title=title)
    return buffer.getvalue()


def write_roster_to(
    out: BinaryIO, rows: Iterable[dict[str, Any]], *, title: str | None = None
) -> None:
    """:func:`write_roster` into ``out`` (a file open for writing), row by row in openpyxl's
    write-only mode: a city's roster costs a row at a time, not a cell object per value.
    The columns are as wide as the first :data:`WIDTH_SAMPLE` rows need."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [_width(column.title) for column in COLUMNS]
    for row in sample:
        for index, column in enumerate(COLUMNS):
            widths[index] = max(widths[index], _width(_written_value(column, row.get(column.key))))
    _set_widths(sheet, [min(width + 2, _MAX_WIDTH) for width in widths])
    header_row = 2 if title else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    bold, centred = Font(bold=True), Alignment(horizontal="center", vertical="center")
    if title:
        sheet.row_dimensions[1].height = 28
        cell = WriteOnlyCell(sheet, title)
        cell.font, cell.alignment = Font(bold=True, size=14), centred
        sheet.append([cell])
        sheet.merged_cells.ranges.add(CellRange(f"A1:{get_column_letter(len(COLUMNS))}1"))
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, column.title)
        cell.font, cell.alignment = bold, centred
        header.append(cell)
    sheet.append(header)
    # one cell per column, its format set once: a row is written out as it is appended,
    # so the next row may use the same cells (a city's roster is 840,000 values)
    cells = [_formatted(WriteOnlyCell(sheet), column) for column in COLUMNS]
    for row in chain(sample, rows):
        sheet.append(
            [
                None if (value := row.get(column.key)) is None else _filled(cell, column, value)
                for cell, column in zip(cells, COLUMNS, strict=True)
            ]
        )
    workbook.save(out)


def _saved(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _set_widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _write_title(sheet: Worksheet, title: str, width: int) -> None:
    cell = sheet.cell(1, 1, controls.cell(title))
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.row_dimensions[1].height = 28


def _write_header(sheet: Worksheet, row: int, titles: list[str]) -> None:
    for index, title in enumerate(titles, start=1):
        cell = sheet.cell(row, index, controls.cell(title))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _write_cell(cell: Cell, column: Column, value: object) -> None:
    _filled(_formatted(cell, column), column, value)


def _formatted(cell: Cell, column: Column) -> Cell:
    """``cell`` with the number format of ``column``'s values."""
    if column.read is n.parse_date:
        cell.number_format = "yyyy-mm-dd"
    elif column.read in _TEXT_READERS:
        cell.number_format = "@"  # text: leading zeros and long numbers survive editing
    return cell


def _filled(cell: Cell, column: Column, value: object) -> Cell:
    cell.value = controls.cell(_written_value(column, value))
    if cell.data_type == "f":
        cell.data_type = "s"  # a text that starts with "=" stays text, never a formula
    return cell


def _written_value(column: Column, value: object) -> object:
    if value is None:
        return None
    if column.read is n.parse_date:
        if not isinstance(value, date):
            raise ValueError(f"{column.key} must be a date, got {value!r}")
        return value.date() if isinstance(value, datetime) else date(*value.timetuple()[:3])
    if column.key == "status":
        return _label(STATUS_LABELS, column, value)
    if column.key == "category":
        return _label(CATEGORY_LABELS, column, value)
    return str(value)


def _label(labels: dict[str, str], column: Column, value: object) -> str:
    if value not in labels:
        raise ValueError(f"{column.key} must be one of {', '.join(labels)}, got {value!r}")
    return labels[value]


def _width(value: object) -> int:
    """Display width: a Chinese character is two columns wide."""
    text = "" if value is None else str(value.date() if isinstance(value, datetime) else value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# --- the template ------------------------------------------------------------------------

_EXAMPLE_FILL = PatternFill("solid", fgColor="F2F2F2")


def template() -> bytes:
    """An empty roster to fill in: 序号 and the columns (required ones marked ``*``), one
    example row (序号 ``示例``, which an import skips), and a sheet with the column guide:
    what to write in each column and the other titles it may have."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    titles = [SERIAL, *(f"{c.title}*" if c.required else c.title for c in COLUMNS)]
    _write_title(sheet, _("党员花名册(请从第4行起填写,示例行可保留)"), len(titles))
    _write_header(sheet, 2, titles)
    example = [EXAMPLE_MARK, *(c.example for c in COLUMNS)]
    for index, (column, value) in enumerate(zip((None, *COLUMNS), example, strict=True), 1):
        cell = sheet.cell(3, index, value)
        cell.fill = _EXAMPLE_FILL
        if column is not None:
            cell.value = None
            _write_cell(cell, column, value)
    for row in range(4, 204):
        for index, column in enumerate(COLUMNS, start=2):
            _write_cell(sheet.cell(row, index), column, None)
    _set_widths(sheet, [6, *(max(_width(c.title), _width(c.example)) + 4 for c in COLUMNS)])
    sheet.freeze_panes = "B3"
    _write_guide(workbook.create_sheet(_("填写说明")))
    return _saved(workbook)


def _write_guide(sheet: Worksheet) -> None:
    headers = [_("列名"), _("必填"), _("填写说明"), _("也可写作"), _("示例")]
    _write_header(sheet, 1, headers)
    for number, column in enumerate(COLUMNS, start=2):
        example = _written_value(column, column.example)
        example = example.isoformat() if isinstance(example, date) else example
        values = [
            column.title,
            _("是") if column.required else "",
            str(column.guide),
            "、".join(column.synonyms),
            example,
        ]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(number, index, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = len(COLUMNS) + 3
    notes = [
        _("第1行标题、序号列和备注列不导入;表头可在前10行中的任意一行。"),
        _("已有党员按身份证号、档案编码、姓名+出生日期依次识别;识别不了的行在预览中由您确认。"),
        _("导入前会先预览每一行的变化,确认后才写入;名册中没有的党员只列出,不会被删除。"),
    ]
    for offset, note in enumerate(notes):
        sheet.cell(last + offset, 1, note)
    _set_widths(sheet, [12, 6, 50, 36, 16])


# --- the error report --------------------------------------------------------------------

_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_ASK_FILL = PatternFill("solid", fgColor="FFEB9C")


def error_workbook(
    headers: Sequence[str], rows: Iterable[dict[str, Any]], file_errors: Iterable[dict] = ()
) -> bytes:
    """The rows at fault as the file had them, under its own header, with the original
    row number first and the problems spelled out last; every bad cell filled red with
    its problem as a comment (a row waiting for a decision: its name yellow). Problems
    of the file as a whole come first."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("错误报告")
    top = 1
    for error in file_errors:
        where = str(RowError(error["row"], error["column"], error["header"], ""))[:-2]
        sheet.cell(top, 1, controls.cell(f"{where} {error['message']}".strip())).font = Font(
            color="9C0006"
        )
        top += 1
    titles = [_("原行号"), *headers, _("问题说明")]
    _write_header(sheet, top, titles)
    for number, row in enumerate(rows, start=top + 1):
        _write_bad_row(sheet, number, row, len(titles))
    widths = [8, *(min(max(_width(h), 8) + 4, _MAX_WIDTH) for h in headers), 60]
    _set_widths(sheet, widths)
    sheet.freeze_panes = sheet.cell(top + 1, 2)
    return _saved(workbook)


def _write_bad_row(sheet: Worksheet, number: int, row: dict[str, Any], width: int) -> None:
    sheet.cell(number, 1, row["row"])
    for index, value in enumerate(row.get("cells") or (), start=2):
        cell = sheet.cell(number, index, controls.cell(value))
        if cell.data_type == "f":
            cell.data_type = "s"
    notes = []
    problems = row.get("errors") or []
    if row.get("kind") == "pending":
        codes = "、".join(c["archive_code"] for c in row.get("candidates", []))
        problems = [
            {
                "column": row.get("name_column", ""),
                "header": row.get("name_header", ""),
                "message": _("待确认:可能是已有党员 %(codes)s", codes=codes),
            }
        ]
    for problem in problems:
        letter = problem.get("column") or ""
        notes.append(
            f"{letter}{_('列') if letter else ''}({problem['header']}){problem['message']}"
        )
        if letter:
            cell = sheet.cell(number, column_index_from_string(letter) + 1)
            cell.fill = _ASK_FILL if row.get("kind") == "pending" else _BAD_FILL
            cell.comment = Comment(controls.cell(problem["message"]), "Zhibu")
    note = sheet.cell(number, width, controls.cell(";".join(notes)))
    note.alignment = Alignment(wrap_text=True, vertical="top")
