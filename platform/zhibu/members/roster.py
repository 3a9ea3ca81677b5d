"""The member roster workbook (党员花名册, .xlsx): reading it with every problem reported,
and writing it the way people expect to see it.

Reading finds the header row (the first of the first ten rows that has a 姓名 column, so
a title row above it is fine), maps the Chinese headers people actually use to fields
(columns in any order; unknown columns are ignored and listed), parses every cell and
collects *all* problems as :class:`RowError` values naming the Excel row and column.
``RosterParse.rows`` holds only the rows without a problem, and none at all when the
header itself is wrong; an import should go ahead only when ``errors`` is empty.

Parsed values: text fields are stripped strings; dates are :class:`datetime.date`;
gender is ``"男"``/``"女"``; status ``"full"``/``"probationary"``; category
``"serving"``/``"retired"``/``"mobile"``; phone, archive code and ID card number are digit
strings (never numbers, so leading zeros survive); an empty cell is ``None``. Every field
of :data:`COLUMNS` is a key of ``RosterRow.values``.

Pure functions over bytes: no Flask, no database, no clock.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhibu.members.idcard import birth_date_of, gender_of, normalize_id_card

ColumnKind = Literal["text", "date", "gender", "status", "category", "phone", "code", "id_card"]


@dataclass(frozen=True)
class RosterColumn:
    """One roster column: the field it fills, its canonical header and the other headers
    people write for it, and how its cells are parsed."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    kind: ColumnKind = "text"

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn("name", "姓名", ("党员姓名", "名字")),
    RosterColumn("gender", "性别", (), "gender"),
    RosterColumn("ethnicity", "民族"),
    RosterColumn("birth_date", "出生日期", ("出生年月", "出生时间"), "date"),
    RosterColumn("joined_on", "入党时间", ("入党日期", "入党年月"), "date"),
    RosterColumn("full_member_on", "转正时间", ("转正日期",), "date"),
    RosterColumn("branch", "所在支部", ("所在党支部", "支部", "党支部", "所在党组织")),
    RosterColumn("position", "党内职务", ("职务",)),
    RosterColumn("education", "学历", ("文化程度",)),
    RosterColumn("phone", "联系电话", ("手机", "手机号", "电话", "联系方式"), "phone"),
    RosterColumn("archive_code", "档案编码", ("档案号", "一人一档编码"), "code"),
    RosterColumn("status", "党员状态", ("党籍状态", "类型"), "status"),
    RosterColumn("category", "党员类别", (), "category"),
    RosterColumn("id_card", "身份证号", ("身份证号码", "公民身份号码"), "id_card"),
)
REQUIRED_FIELDS: tuple[str, ...] = ("name", "branch")

GENDERS = {"男": "男", "男性": "男", "女": "女", "女性": "女"}
STATUSES = {"正式党员": "full", "正式": "full", "预备党员": "probationary", "预备": "probationary"}
STATUS_LABELS = {"full": "正式党员", "probationary": "预备党员"}
CATEGORIES = {
    **{label: "serving" for label in ("在职", "在职党员")},
    **{label: "retired" for label in ("离退休", "离退休党员", "退休")},
    **{label: "mobile" for label in ("流动", "流动党员")},
}
CATEGORY_LABELS = {"serving": "在职", "retired": "离退休", "mobile": "流动"}

DATE_FORMS = (
    "2020-07-01, 2020/7/1, 2020.07.01, 2020年7月1日, 2020年07月, 2020-07, 2020.7, 20200701, 202007"
)
HEADER_SEARCH_ROWS = 10
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
        where = f"第{self.row}行" if self.row else ""
        if self.column:
            where = f"{where} {self.column}列({self.header})".strip()
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class RosterRow:
    row_number: int
    values: dict[str, Any]


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    header_row: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- dates -------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_SERIAL = (date(2100, 12, 31) - _EXCEL_EPOCH).days
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?"),
)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_date(value: object) -> date | None:
    """A date from a cell: a date or datetime, an Excel serial number, or a string in one
    of :data:`DATE_FORMS` (year-month forms mean the first of the month). ``None`` for an
    empty cell; ``ValueError`` for anything else, impossible dates and years outside
    1900-2100."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return _in_range(value.date(), value)
    if isinstance(value, date):
        return _in_range(value, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _in_range(_date_from_number(value), value)
    if isinstance(value, str):
        return _in_range(_date_from_text(value), value)
    raise _unreadable_date(value)


def _date_from_text(value: str) -> date:
    text = _TIME_OF_DAY.sub("", value.strip())  # "2020-07-01 00:00:00" from other systems
    text = "".join(text.split()).translate(_FULL_WIDTH_DIGITS)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            day = int(match["d"]) if match.groupdict().get("d") else 1
            try:
                return date(int(match["y"]), int(match["m"]), day)
            except ValueError:
                break
    raise _unreadable_date(value)


def _date_from_number(value: int | float) -> date:
    """8 digits are YYYYMMDD and 6 digits YYYYMM (typed as a number); anything else is an
    Excel serial day number (1900 date system, including its phantom 1900-02-29). A bare
    year (1900-2100) is refused rather than read as a day of 1905."""
    if not math.isfinite(value) or 1900 <= value <= 2100:
        raise _unreadable_date(value)
    if float(value).is_integer() and len(str(int(value))) in (6, 8):
        return _date_from_text(str(int(value)))
    days = int(value)
    if days < 1 or days == 60 or days > _LAST_SERIAL:
        raise _unreadable_date(value)
    return _EXCEL_EPOCH + timedelta(days=days + 1 if days < 60 else days)


def _in_range(day: date, value: object) -> date:
    if not 1900 <= day.year <= 2100:
        raise ValueError(
            f'日期超出范围 "{_shown(value)}"，年份应在1900至2100之间 / '
            f'date "{_shown(value)}" is out of range: the year must be between 1900 and 2100'
        )
    return day


def _unreadable_date(value: object) -> ValueError:
    return ValueError(
        f'无法识别的日期 "{_shown(value)}" / cannot read date "{_shown(value)}"; '
        f"可用格式 / accepted forms: {DATE_FORMS}"
    )


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- cells -------------------------------------------------------------------------------

_EXCEL_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number
_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"\d+-\d+")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _digits(value: object) -> str | None:
    """A digit string from a text cell, or from a number cell turned back exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if isinstance(value, int) and value >= 0:
        return str(value)
    if value < 0 or not value.is_integer():
        raise ValueError(f'"{value}" 不是号码 / "{value}" is not a number of digits')
    if value >= 10**_EXCEL_EXACT_DIGITS:
        raise ValueError(
            "数字超过15位，Excel 已丢失末尾几位，请把单元格设为文本后重新输入 / the number has "
            "more than 15 digits and Excel has lost the last ones; format the cell as text "
            "and type it again"
        )
    return str(int(value))


def _choice(choices: dict[str, str], what: str, what_en: str) -> Callable[[object], str | None]:
    def parse(value: object) -> str | None:
        text = _text(value)
        if text is None:
            return None
        if text in choices:
            return choices[text]
        accepted = "、".join(choices)
        raise ValueError(
            f'{what}"{text}"无法识别，应为 {accepted} / unknown {what_en} "{text}"; '
            f"accepted: {accepted}"
        )

    return parse


def _phone(value: object) -> str | None:
    phone = _digits(value)
    if phone is None:
        return None
    phone = "".join(phone.split())
    if _MOBILE.fullmatch(phone):
        return phone
    if _LANDLINE.fullmatch(phone) and 7 <= len(phone) - 1 <= 12:
        return phone
    raise ValueError(
        f'电话号码"{phone}"不正确，应为11位手机号或带区号的固定电话（如 0997-1234567）/ '
        f'phone "{phone}" is neither an 11-digit mobile number nor a landline '
        "such as 0997-1234567"
    )


def _id_card(value: object) -> str | None:
    number = _digits(value)
    return None if number is None else normalize_id_card(number)


_PARSERS: dict[str, Callable[[object], Any]] = {
    "text": _text,
    "date": parse_date,
    "gender": _choice(GENDERS, "性别", "gender"),
    "status": _choice(STATUSES, "党员状态", "status"),
    "category": _choice(CATEGORIES, "党员类别", "category"),
    "phone": _phone,
    "code": _digits,
    "id_card": _id_card,
}


# --- headers -----------------------------------------------------------------------------

_REQUIRED_MARK = re.compile(r"(?:[*＊]|[(（]必填[)）])+$")


def _clean_header(value: object) -> str:
    """A header cell without any whitespace and without a trailing * or (必填)."""
    if value is None:
        return ""
    return _REQUIRED_MARK.sub("", "".join(str(value).split()))


_BY_HEADER = {_clean_header(h): column for column in COLUMNS for h in column.headers}
_BY_FIELD = {column.field: column for column in COLUMNS}


@dataclass(frozen=True)
class _Located:
    column: RosterColumn
    index: int  # 0-based
    header: str  # as the file writes it, cleaned

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class _Header:
    row: int
    located: dict[str, _Located] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _find_header(workbook: Workbook) -> tuple[Worksheet, int, tuple] | None:
    """The first sheet and row (among the first ten) with a 姓名 column."""
    names = {_clean_header(h) for h in _BY_FIELD["name"].headers}
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        for number, cells in enumerate(rows, start=1):
            if any(_clean_header(cell) in names for cell in cells):
                return sheet, number, cells
    return None


def _read_header(row: int, cells: tuple) -> _Header:
    header = _Header(row)
    for index, value in enumerate(cells):
        text = _clean_header(value)
        column = _BY_HEADER.get(text)
        if column is None:
            if text:
                header.ignored.append(text)
            continue
        here = _Located(column, index, text)
        first = header.located.setdefault(column.field, here)
        if first is not here:
            header.errors.append(_duplicate_header(row, first, here))
    for name in REQUIRED_FIELDS:
        if name not in header.located:
            header.errors.append(_missing_header(row, _BY_FIELD[name]))
    return header


def _duplicate_header(row: int, first: _Located, second: _Located) -> RowError:
    canonical = first.column.header
    return RowError(
        row,
        second.letter,
        second.header,
        f'{first.letter}列"{first.header}"和{second.letter}列"{second.header}"都是"{canonical}"，'
        f"请删去一列 / columns {first.letter} and {second.letter} both mean {canonical}; "
        "remove one",
    )


def _missing_header(row: int, column: RosterColumn) -> RowError:
    others = "、".join(column.aliases)
    return RowError(
        row,
        "",
        column.header,
        f'缺少必填列"{column.header}"（也可写作 {others}）/ '
        f'required column "{column.header}" is missing (also accepted: {others})',
    )


# --- reading -----------------------------------------------------------------------------

_NOT_XLSX = (
    "无法读取文件：不是有效的 .xlsx 工作簿（.xls 文件请先另存为 .xlsx）/ cannot read the file: "
    "it is not a valid .xlsx workbook (save an .xls file as .xlsx first)"
)
_NO_HEADER = (
    f'前{HEADER_SEARCH_ROWS}行中找不到"姓名"表头 / '
    f"no header row with a 姓名 column in the first {HEADER_SEARCH_ROWS} rows"
)
_UNIQUE_FIELDS = {"archive_code": "archive code", "id_card": "ID card number"}

Problem = tuple[str, str]  # (field, message)


def read_roster(source: bytes | BinaryIO) -> RosterParse:
    """Parse a roster workbook; never raises for a bad file, reports it as a RowError."""
    workbook = _open_workbook(source)
    if workbook is None:
        return RosterParse(errors=[RowError(0, "", "", _NOT_XLSX)])
    found = _find_header(workbook)
    if found is None:
        return RosterParse(errors=[RowError(0, "", _BY_FIELD["name"].header, _NO_HEADER)])
    sheet, row, cells = found
    header = _read_header(row, cells)
    rows, errors = _read_body(sheet, header)
    return RosterParse(
        rows=[] if header.errors else rows,
        errors=header.errors + errors,
        ignored_headers=header.ignored,
        header_row=row,
    )


def _open_workbook(source: bytes | BinaryIO) -> Workbook | None:
    stream = BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        return load_workbook(stream, data_only=True)
    except Exception:  # a damaged or foreign file fails in many ways inside zipfile/openpyxl
        return None


def _read_body(sheet: Worksheet, header: _Header) -> tuple[list[RosterRow], list[RowError]]:
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    body = sheet.iter_rows(min_row=header.row + 1, values_only=True)
    for number, cells in enumerate(body, start=header.row + 1):
        raw = {name: _cell(cells, spot.index) for name, spot in header.located.items()}
        if all(_is_blank(value) for value in raw.values()):
            continue  # also a row with only a pre-filled 序号 or other ignored column
        values, problems = _parse_row(raw)
        problems += _duplicates(values, number, seen)
        problems.sort(key=lambda problem: header.located[problem[0]].index)
        errors += [_row_error(number, header.located[name], text) for name, text in problems]
        if not problems:
            rows.append(RosterRow(number, values))
    return rows, errors


def _parse_row(raw: dict[str, object]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = dict.fromkeys(_BY_FIELD)
    problems: list[Problem] = []
    for name, value in raw.items():
        try:
            values[name] = _PARSERS[_BY_FIELD[name].kind](value)
        except ValueError as error:
            problems.append((name, str(error)))
            continue
        if values[name] is None and name in REQUIRED_FIELDS:
            label = _BY_FIELD[name].header
            problems.append((name, f"{label}不能为空 / {name} is required"))
    return values, problems + _inconsistencies(values)


_BIRTH_MISMATCH = (
    "出生日期 {born} 与身份证号中的 {on_card} 不一致 / "
    "birth date {born} does not match {on_card} in the ID card number"
)
_GENDER_MISMATCH = (
    '性别"{gender}"与身份证号不符（应为"{expected}"）/ '
    "gender {gender} does not match the ID card number ({expected})"
)
_JOINED_BEFORE_BIRTH = (
    "入党时间 {joined} 应晚于出生日期 {born} / joined on {joined}, not after the birth date {born}"
)
_FULL_BEFORE_JOINED = (
    "转正时间 {full} 早于入党时间 {joined} / "
    "full membership on {full} is before joining on {joined}"
)


def _inconsistencies(values: dict[str, Any]) -> list[Problem]:
    """Disagreements between cells that are each fine (a bad cell is None here)."""
    number, born, gender = values["id_card"], values["birth_date"], values["gender"]
    joined, full = values["joined_on"], values["full_member_on"]
    on_card = birth_date_of(number) if number else None
    problems: list[Problem] = []
    if on_card and born and not _same_birth(born, on_card):
        problems.append(("birth_date", _BIRTH_MISMATCH.format(born=born, on_card=on_card)))
    if number and gender and gender != gender_of(number):
        expected = gender_of(number)
        problems.append(("gender", _GENDER_MISMATCH.format(gender=gender, expected=expected)))
    born = born or on_card
    if born and joined and joined <= born:
        problems.append(("joined_on", _JOINED_BEFORE_BIRTH.format(joined=joined, born=born)))
    if joined and full and full < joined:
        problems.append(("full_member_on", _FULL_BEFORE_JOINED.format(full=full, joined=joined)))
    return problems


def _same_birth(written: date, on_card: date) -> bool:
    """Equal, or the sheet gives only the year and month (出生年月 "1990.07" means the 1st)."""
    if written == on_card:
        return True
    return written.day == 1 and (written.year, written.month) == (on_card.year, on_card.month)


def _duplicates(
    values: dict[str, Any], number: int, seen: dict[tuple[str, str], int]
) -> list[Problem]:
    problems: list[Problem] = []
    for name, english in _UNIQUE_FIELDS.items():
        value = values[name]
        first = number if value is None else seen.setdefault((name, value), number)
        if first != number:
            label = _BY_FIELD[name].header
            problems.append(
                (
                    name,
                    f'{label}"{value}"与第{first}行重复 / '
                    f'duplicate {english} "{value}", already on row {first}',
                )
            )
    return problems


def _row_error(number: int, spot: _Located, message: str) -> RowError:
    return RowError(number, spot.letter, spot.header, message)


def _cell(cells: tuple, index: int) -> object:
    return cells[index] if index < len(cells) else None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- writing -----------------------------------------------------------------------------

_TEXT_KINDS = ("phone", "code", "id_card")
_MAX_WIDTH = 50


def write_roster(rows: Iterable[dict[str, Any]], *, title: str | None = None) -> bytes:
    """A roster workbook of ``rows`` (dicts of parsed values keyed by field; other keys are
    ignored), with the canonical headers in :data:`COLUMNS` order under an optional title
    row. ``read_roster`` gives the same values back."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    header_row = 2 if title else 1
    if title:
        _write_title(sheet, title)
    _write_header(sheet, header_row)
    widths = _write_rows(sheet, header_row + 1, rows)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_title(sheet: Worksheet, title: str) -> None:
    cell = sheet.cell(1, 1, title)
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet.row_dimensions[1].height = 28


def _write_header(sheet: Worksheet, row: int) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row, index, column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _write_rows(sheet: Worksheet, first_row: int, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Write the rows; the column widths their contents need."""
    widths = [_width(column.header) for column in COLUMNS]
    for number, row in enumerate(rows, start=first_row):
        for index, column in enumerate(COLUMNS):
            cell = sheet.cell(number, index + 1)
            _write_cell(cell, column, row.get(column.field))
            widths[index] = max(widths[index], _width(cell.value))
    return [min(width + 2, _MAX_WIDTH) for width in widths]


def _write_cell(cell: Cell, column: RosterColumn, value: object) -> None:
    cell.value = _written_value(column, value)
    if column.kind == "date":
        cell.number_format = "yyyy-mm-dd"
    elif column.kind in _TEXT_KINDS:
        cell.number_format = "@"  # text: leading zeros and long numbers survive editing
    if cell.data_type == "f":
        cell.data_type = "s"  # a text that starts with "=" stays text, never a formula


def _written_value(column: RosterColumn, value: object) -> object:
    if value is None:
        return None
    if column.kind == "date":
        if not isinstance(value, date):
            raise ValueError(f"{column.field} must be a date, got {value!r}")
        return value.date() if isinstance(value, datetime) else value
    if column.kind == "status":
        return _label(STATUS_LABELS, column, value)
    if column.kind == "category":
        return _label(CATEGORY_LABELS, column, value)
    return str(value)


def _label(labels: dict[str, str], column: RosterColumn, value: object) -> str:
    if value not in labels:
        raise ValueError(f"{column.field} must be one of {', '.join(labels)}, got {value!r}")
    return labels[value]


def _width(value: object) -> int:
    """Display width: a Chinese character is two columns wide."""
    text = "" if value is None else str(value.date() if isinstance(value, datetime) else value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
