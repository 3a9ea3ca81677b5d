"""What people type into a workbook, made into values: one normalization for every
workbook the platform reads (the roster, a branch's month sheet …).

Cells arrive as the reader gives them: ``None`` or ``""`` (empty), ``str``, ``float``
(every number), ``bool``, ``date`` or ``datetime`` (a cell formatted as a date). Each
function here takes such a cell and returns a value, ``None`` for an empty cell, or
raises :class:`CellError` whose message says what is wrong and what was expected (the
caller adds the row, the column letter and the header).

Normalized as offices type: full-width digits and letters (``１９８３．０２``), spaces
anywhere in numbers, ``1983.02`` / ``1983.2`` / ``1983年2月`` / ``1983-02-01`` /
``19830201`` / Excel date cells, phone numbers with ``+86``, spaces or dashes, ID-card
numbers with a lower-case ``x``, names padded with spaces (``王  军``), header cells with
line breaks, a trailing ``*`` or ``(必填)``, or a hint in brackets (``出生年月（如1983.02）``).

Headers are found by :func:`find_header` in a :class:`HeaderTable`: the columns a
workbook knows, each with its canonical title and the other titles people write for it
(the tables are listed in ``docs/import.md``; a test keeps that page and the code alike).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl.utils import get_column_letter

from zhibu.i18n import _
from zhibu.members.idcard import normalize_id_card


class CellError(ValueError):
    """A cell that cannot be read; ``str(error)`` says what is wrong and what was expected."""


# --- plain cells -------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}·])\s+(?=[{_CJK}·])")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str | None:
    """A text cell, stripped (also of full-width spaces); a whole number without ``.0``;
    control characters dropped. ``None`` when empty."""
    if type(value) is str:
        found = value.strip()
        if not found.isprintable():
            found = _CONTROL.sub("", found).strip()
        return found or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    found = _CONTROL.sub("", str(value)).strip()
    return found or None


def name(value: object) -> str | None:
    """A person's name: spaces between Chinese characters (``王  军``, typed to line names
    up) are dropped, other runs of spaces become one."""
    found = text(value)
    if found is None:
        return None
    return _SPACES.sub(" ", _CJK_GAP.sub("", found))


def folded(value: str) -> str:
    """Full-width letters, digits and signs as their ASCII forms, spaces removed: how a
    code, a number or a header is compared."""
    return "".join(unicodedata.normalize("NFKC", value).split())


_EXACT_DIGITS = 15  # a number cell keeps 15 significant digits


def code(value: object) -> str | None:
    """A code or number kept as text (archive code, ID-card number, phone): a number cell
    turned back into its digits exactly, full-width characters folded, spaces removed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        found = text(value)
        return folded(found) or None if found is not None else None
    if not math.isfinite(value) or value < 0 or not float(value).is_integer():
        raise CellError(_("“%(value)s”不是编号;应为数字或字母组成的编号。", value=_shown(value)))
    if value >= 10**_EXACT_DIGITS:
        raise CellError(
            _(
                "数字超过15位,Excel 已丢失末尾几位;请把该列设为“文本”格式后重新输入"
                "(或在数字前加英文单引号 ')。"
            )
        )
    return str(int(value))


def number(value: object) -> float | None:
    """A number cell, or a number typed as text (full-width digits too)."""
    if value is None or isinstance(value, bool):
        return None if value is None else _not_a_number(value)
    if isinstance(value, int | float):
        return float(value)
    found = text(value)
    if found is None:
        return None
    try:
        result = float(folded(found))
    except ValueError:
        return _not_a_number(found)
    if not math.isfinite(result):
        return _not_a_number(found)
    return result


def _not_a_number(value: object):
    raise CellError(_("“%(value)s”不是数字;应填写数字,如 95 或 92.5。", value=_shown(value)))


def choice(choices: dict[str, str]) -> Callable[[object], str | None]:
    """A cell that must be one of ``choices`` (written form → value)."""

    def parse(value: object) -> str | None:
        found = text(value)
        if found is None:
            return None
        key = folded(found)
        if key in choices:
            return choices[key]
        accepted = "、".join(choices)
        raise CellError(
            _("“%(value)s”无法识别;应为 %(accepted)s。", value=found, accepted=accepted)
        )

    return parse


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- dates -------------------------------------------------------------------------------


class MonthDate(date):
    """A date written to the month only (``1983.02``, ``1983年2月``): the first of the
    month, marked so that it matches and keeps any stored day of that month."""

    __slots__ = ()


def same_day(written: date, stored: date | None) -> bool:
    """Whether a date read from a cell says what is stored: equal, or written to the month
    only and the stored date falls in that month."""
    if stored is None:
        return False
    if isinstance(written, MonthDate):
        return (written.year, written.month) == (stored.year, stored.month)
    return written == stored


def date_forms() -> str:
    return _("1983.02、1983.2、1983年2月、1983-02-01、1983/2/1、19830201 或 Excel 日期格式")


_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_SERIAL = (date(2100, 12, 31) - _EXCEL_EPOCH).days
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_FULL_DATE = (
    re.compile(r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
_MONTH = (
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月?(?:份)?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
)
FIRST_YEAR, LAST_YEAR = 1900, 2100


def parse_date(value: object) -> date | None:
    """A date from a cell; a :class:`MonthDate` when only the year and month are written.
    ``None`` for an empty cell; :class:`CellError` for anything else, impossible dates,
    and years outside 1900–2100."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return _in_range(value.date(), value)
    if isinstance(value, date):
        return _in_range(value, value)
    if isinstance(value, bool):
        raise _unreadable(value)
    if isinstance(value, int | float):
        return _in_range(_date_from_number(value), value)
    return _in_range(_date_from_text(str(value)), value)


def _date_from_text(value: str) -> date:
    written = _TIME_OF_DAY.sub("", unicodedata.normalize("NFKC", _CONTROL.sub("", value)).strip())
    written = "".join(written.split())
    for pattern in _FULL_DATE:
        match = pattern.fullmatch(written)
        if match:
            return _make(date, match["y"], match["m"], match["d"], value)
    for pattern in _MONTH:
        match = pattern.fullmatch(written)
        if match:
            return _make(MonthDate, match["y"], match["m"], "1", value)
    raise _unreadable(value)


def _make(kind: type[date], year: str, month: str, day: str, value: object) -> date:
    try:
        return kind(int(year), int(month), int(day))
    except ValueError:
        raise _impossible(value) from None


def _date_from_number(value: int | float) -> date:
    """A number cell: 8 digits are YYYYMMDD, 6 digits YYYYMM, a year with a fraction is a
    year and month (1983.02, 1983.2; 1983.1 is refused: it may have been 1983.10, whose
    trailing zero Excel drops); anything else an Excel serial day (1900 date system,
    with its phantom 1900-02-29). A bare year is refused rather than read as a day of
    1905."""
    if not math.isfinite(value):
        raise _unreadable(value)
    if float(value).is_integer() and len(str(int(value))) in (6, 8):
        return _date_from_text(str(int(value)))
    if FIRST_YEAR <= value < LAST_YEAR + 1:
        return _year_and_month(value)
    days = int(value)
    if days < 1 or days == 60 or days > _LAST_SERIAL:
        raise _unreadable(value)
    return _EXCEL_EPOCH + timedelta(days=days + 1 if days < 60 else days)


def _year_and_month(value: float) -> date:
    if float(value).is_integer():
        raise CellError(
            _("“%(value)s”只有年份;应写到月,如 %(value)s.02 或 %(value)s年2月。", value=int(value))
        )
    year, digits = repr(float(value)).split(".")
    if digits == "1":
        raise CellError(
            _(
                "“%(value)s”可能是1月,也可能是被 Excel 去掉末尾0的10月;"
                "请写成 %(year)s.01 或 %(year)s年10月(或把单元格设为“文本”格式)。",
                value=_shown(value),
                year=year,
            )
        )
    return _make(MonthDate, year, digits, "1", value)


def _in_range(day: date, value: object) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CellError(
            _(
                "日期“%(value)s”超出范围;年份应在 %(first)s 至 %(last)s 之间。",
                value=_shown(value),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    return day


def _unreadable(value: object) -> CellError:
    return CellError(
        _("无法识别的日期“%(value)s”;应为 %(forms)s。", value=_shown(value), forms=date_forms())
    )


def _impossible(value: object) -> CellError:
    return CellError(
        _(
            "日期“%(value)s”不存在(月份或日子不对);应为 %(forms)s。",
            value=_shown(value),
            forms=date_forms(),
        )
    )


# --- phone numbers and ID cards ----------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_COUNTRY = re.compile(r"^(?:\+86|0086|86)(?=1[3-9]\d{9}$)")
_LANDLINE = re.compile(r"\(?(0\d{2,3})\)?-?(\d{7,8})")


def phone(value: object) -> str | None:
    """An 11-digit mobile number (``+86``, spaces and dashes dropped) or a landline with
    its area code as ``0997-1234567``."""
    found = code(value) if isinstance(value, int | float) else text(value)
    if found is None:
        return None
    compact = folded(found)
    digits = _COUNTRY.sub("", compact.replace("-", ""))
    if _MOBILE.fullmatch(digits):
        return digits
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        return f"{landline[1]}-{landline[2]}"
    raise CellError(
        _(
            "电话号码“%(value)s”不正确;应为11位手机号(如 13800000000)"
            "或带区号的固定电话(如 0997-1234567)。",
            value=found,
        )
    )


def id_card(value: object) -> str | None:
    """An 18-character ID-card number (full-width digits, spaces, a lower-case x fixed)."""
    found = code(value)
    if found is None:
        return None
    try:
        return normalize_id_card(found)
    except ValueError as error:
        raise CellError(str(error)) from None


# --- headers -----------------------------------------------------------------------------

_REQUIRED_MARK = re.compile(r"(?:[*]|\(必填\))+$")
_HINT = re.compile(r"\([^()]*\)$")


def header_key(value: object) -> str:
    """A header cell as compared: folded (full-width as ASCII, no spaces or line breaks)
    and without a trailing ``*`` or ``(必填)``."""
    if value is None:
        return ""
    return _REQUIRED_MARK.sub("", folded(_CONTROL.sub("", str(value))))


@dataclass(frozen=True)
class Column:
    """A column a workbook knows: the key of the value it fills, its canonical title, the
    other titles people write for it, how its cells are read, and what the template's
    column guide says about it."""

    key: str
    title: str
    synonyms: tuple[str, ...] = ()
    read: Callable[[object], Any] = text
    required: bool = False
    guide: Any = ""  # lazy text: what to write
    example: Any = None

    @property
    def titles(self) -> tuple[str, ...]:
        return (self.title, *self.synonyms)


@dataclass(frozen=True)
class HeaderTable:
    """The columns of one kind of workbook, and the columns it knows it ignores (序号 …)
    with the reason the preview gives."""

    name: Any  # lazy text: the workbook's name, for the docs
    columns: tuple[Column, ...]
    ignored: tuple[tuple[str, Any], ...] = ()
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)
    _titles: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        titles: dict[str, Column] = {}
        for column in self.columns:
            for title in column.titles:
                key = header_key(title)
                if titles.setdefault(key, column) is not column:
                    raise ValueError(f"header {title} names two columns")
        object.__setattr__(self, "_titles", titles)
        object.__setattr__(self, "by_key", {c.key: c for c in self.columns})

    def column(self, header: str) -> Column | None:
        """The column a cleaned header names: its title or a synonym, also with a hint in
        brackets after it (``出生年月(如1983.02)``)."""
        found = self._titles.get(header)
        if found is None and _HINT.search(header):
            found = self._titles.get(_HINT.sub("", header))
        return found

    def ignored_reason(self, header: str) -> Any | None:
        for title, reason in self.ignored:
            if header == header_key(title):
                return reason
        return None


@dataclass(frozen=True)
class Located:
    column: Column
    index: int  # 0-based
    header: str  # as the file writes it, cleaned

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass(frozen=True)
class Ignored:
    """A column the file has and the import leaves out, and why."""

    letter: str
    header: str
    reason: str
    index: int = -1


@dataclass
class Header:
    row: int  # Excel's row number
    cells: Sequence[object] = ()
    located: dict[str, Located] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # letter, header, text


HEADER_SEARCH_ROWS = 10


def find_header(
    rows: Iterator[tuple[int, Sequence[object]]],
    table: HeaderTable,
    search_rows: int = HEADER_SEARCH_ROWS,
) -> tuple[Header | None, Iterator[tuple[int, Sequence[object]]]]:
    """The header row among the first ``search_rows`` rows (title rows above it are fine):
    the one naming the most columns of ``table``. Returns it (``None``: no row names any
    required column) and the rows after it."""
    first: list[tuple[int, Sequence[object]]] = []
    for row in rows:
        first.append(row)
        if len(first) == search_rows:
            break
    best, best_count = None, 0
    required = {c.key for c in table.columns if c.required} or {c.key for c in table.columns}
    for position, (_number, cells) in enumerate(first):
        named = {table.column(header_key(cell)) for cell in cells} - {None}
        if named and {c.key for c in named} & required and len(named) > best_count:
            best, best_count = position, len(named)
    if best is None:
        return None, iter(())
    number, cells = first[best]
    return read_header(number, cells, table), _chain(first[best + 1 :], rows)


def _chain(buffered: list, rest: Iterator) -> Iterator:
    yield from buffered
    yield from rest


def read_header(number: int, cells: Sequence[object], table: HeaderTable) -> Header:
    header = Header(number, cells)
    for index, value in enumerate(cells):
        key = header_key(value)
        if not key:
            continue
        letter = get_column_letter(index + 1)
        column = table.column(key)
        if column is None:
            reason = table.ignored_reason(key) or _("无法识别的列,未导入")
            header.ignored.append(Ignored(letter, key, str(reason), index))
            continue
        here = Located(column, index, key)
        first = header.located.setdefault(column.key, here)
        if first is not here:
            header.problems.append(
                (
                    letter,
                    key,
                    _(
                        "%(first)s列“%(one)s”和%(second)s列“%(other)s”都是“%(title)s”;请删去一列。",
                        first=first.letter,
                        one=first.header,
                        second=letter,
                        other=key,
                        title=column.title,
                    ),
                )
            )
    for column in table.columns:
        if column.required and column.key not in header.located:
            header.problems.append(("", column.title, missing_column(column)))
    return header


def missing_column(column: Column) -> str:
    if column.synonyms:
        return _(
            "缺少必填列“%(title)s”(也可写作 %(others)s)。",
            title=column.title,
            others="、".join(column.synonyms),
        )
    return _("缺少必填列“%(title)s”。", title=column.title)


def no_header(table: HeaderTable, search_rows: int = HEADER_SEARCH_ROWS) -> str:
    wanted = [c for c in table.columns if c.required] or list(table.columns[:1])
    return _(
        "前%(rows)s行中找不到表头;表头行应有 %(titles)s 等列(可下载模板对照)。",
        rows=search_rows,
        titles="、".join(f"“{c.title}”" for c in wanted),
    )


def cell_at(cells: Sequence[object], index: int) -> object:
    return cells[index] if index < len(cells) else None


def markdown(table: HeaderTable) -> str:
    """The table as ``docs/import.md`` shows it (a test compares the two)."""
    lines = [
        f"#### {table.name}",
        "",
        "| 列名 | 也可写作 | 必填 |",
        "|---|---|---|",
    ]
    for column in table.columns:
        others = "、".join(column.synonyms) or "—"
        lines.append(f"| {column.title} | {others} | {'是' if column.required else ''} |")
    if table.ignored:
        listed = "、".join(title for title, _reason in table.ignored)
        lines += ["", f"列出但不导入的列:{listed}。"]
    return "\n".join(lines)
