"""Reading an uploaded .xlsx: fast (python-calamine parses it in native code, read-only)
and in bounded memory, whatever the file claims.

Before the parser sees a byte, the file is checked as a zip archive: its size, the
unpacked size of every part it declares (a zip bomb declares little and unpacks a lot;
every part is unpacked once here, bounded by what it declares, and a part that unpacks to
more fails its checksum), and, for each sheet before it is parsed, the area the parser
would allocate: from the first to the last cell the sheet's XML names, which may be far
apart in a file of a few kilobytes (A1 and XFD1048576 would need 17 billion cells).
Every refusal is a :class:`WorkbookError` whose message says what is wrong and what to
do, in the user's language.

Rows come as Excel numbers them, cells as a list whose index 0 is column A.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from posixpath import join, normpath
from typing import Any
from xml.etree import ElementTree

import python_calamine

from zhibu.i18n import _

MB = 1024 * 1024
CHUNK = 4 * MB
MAX_PARTS = 5000


@dataclass(frozen=True)
class Limits:
    """What an upload may be: its size, what it unpacks to, and the cells of a sheet."""

    max_bytes: int = 16 * MB
    max_unpacked: int = 200 * MB
    max_cells: int = 2_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            max_bytes=int(config.get("MAX_CONTENT_LENGTH") or cls.max_bytes),
            max_unpacked=int(config.get("ZHIBU_WORKBOOK_MAX_UNPACKED_MB", 200)) * MB,
            max_cells=int(config.get("ZHIBU_WORKBOOK_MAX_CELLS", cls.max_cells)),
        )


def current_limits() -> Limits:
    """The limits of the running app (defaults outside one)."""
    from flask import current_app, has_app_context

    return Limits.from_config(current_app.config) if has_app_context() else Limits()


class WorkbookError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def not_a_workbook() -> WorkbookError:
    return WorkbookError(
        _(
            "无法读取文件:它不是 Excel 工作簿(.xlsx)。.xls、.et 或 .csv 文件请在 Excel 或 WPS "
            "中“另存为”Excel 工作簿(*.xlsx)后再上传。"
        )
    )


def _damaged() -> WorkbookError:
    return WorkbookError(
        _("文件已损坏,无法读取;请在 Excel 或 WPS 中打开后重新保存为 .xlsx,再上传。")
    )


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str | None  # the sheet's XML inside the archive


class Workbook:
    """An opened, checked workbook: its sheets' names, and each sheet's rows on demand."""

    def __init__(self, data: bytes, limits: Limits):
        self.limits = limits
        self._zip, self.sheets = _checked_archive(data, limits)
        try:
            self._book = python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
        except Exception:  # the parser's errors for a broken workbook are many
            raise _damaged() from None

    def rows(self, index: int) -> Iterator[tuple[int, list[Any]]]:
        """The rows of sheet ``index``: (Excel row number, cells from column A)."""
        info = self.sheets[index]
        _check_area(self._zip, info, self.limits)
        try:
            sheet = self._book.get_sheet_by_index(index)
        except Exception:
            raise _damaged() from None
        if sheet.start is None:
            return iter(())
        return _rows(sheet)


def _rows(sheet) -> Iterator[tuple[int, list[Any]]]:
    """calamine's rows start at row 1 and at the first column in use (so a sheet whose
    column A is empty starts at B): cells are shifted back to start at A."""
    pad = [""] * sheet.start[1]
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        yield number, pad + cells if pad else cells


def open_workbook(data: bytes, limits: Limits | None = None) -> Workbook:
    """A checked workbook, or :class:`WorkbookError` saying what is wrong with the file."""
    return Workbook(data, limits or current_limits())


# --- the archive -------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _checked_archive(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, list[SheetInfo]]:
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits.max_bytes)
    if data[:8] == _OLE:
        raise WorkbookError(
            _(
                "这是旧版 .xls 文件或设有打开密码的工作簿,无法读取;请取消密码,"
                "或“另存为”Excel 工作簿(*.xlsx)后再上传。"
            )
        )
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise not_a_workbook() from None
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        raise not_a_workbook()
    unpacked = sum(part.file_size for part in parts)
    if len(parts) > MAX_PARTS or unpacked > limits.max_unpacked:
        raise WorkbookError(
            _(
                "文件解压后有 %(size)s,超过上限 %(limit)s;这不是正常的名册表格"
                "(可能是压缩炸弹)。请删去多余的工作表、图片后再上传。",
                size=megabytes(unpacked),
                limit=megabytes(limits.max_unpacked),
            )
        )
    _verify(archive, parts)
    return archive, _sheets(archive)


def too_large(size: int, limit: int) -> WorkbookError:
    return WorkbookError(
        _(
            "文件有 %(size)s,超过上限 %(limit)s;请删去多余的工作表、图片,或分几次导入。",
            size=megabytes(size),
            limit=megabytes(limit),
        )
    )


def _verify(archive: zipfile.ZipFile, parts: Sequence[zipfile.ZipInfo]) -> None:
    """Unpack every part once, in chunks: no more than each declares (zipfile stops
    there), and the checksum must hold (it fails for a part that would unpack to more)."""
    try:
        for part in parts:
            if part.flag_bits & 0x1:
                raise WorkbookError(_("工作簿设有密码,无法读取;请取消密码后再上传。"))
            with archive.open(part) as stream:
                while stream.read(CHUNK):
                    pass
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
        raise _damaged() from None


_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheets(archive: zipfile.ZipFile) -> list[SheetInfo]:
    """The sheets in workbook order (as the parser numbers them) and their XML parts."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        raise _damaged() from None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(_RELS)}
    found = []
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_R_ID))
        part = None
        if target:
            part = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        found.append(SheetInfo(sheet.get("name", ""), part))
    return found


# --- the area of a sheet -----------------------------------------------------------------

_CELL_TAGS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"')
_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")


def _check_area(archive: zipfile.ZipFile, info: SheetInfo, limits: Limits) -> None:
    if info.part is None or info.part not in archive.NameToInfo:
        return
    rows, columns = _area(archive, info.part)
    if rows * columns > limits.max_cells:
        raise WorkbookError(
            _(
                "工作表“%(sheet)s”的数据区域有 %(rows)s 行 × %(columns)s 列,共 %(cells)s 个单元格,"
                "超过上限 %(limit)s 个;请删去多余的行和列(包括看不见内容的格式),或分几次导入。",
                sheet=info.name,
                rows=f"{rows:,}",
                columns=f"{columns:,}",
                cells=f"{rows * columns:,}",
                limit=f"{limits.max_cells:,}",
            )
        )


def _area(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """Rows × columns from A1 to the farthest cell the sheet's XML names, read in chunks.
    Cells written as Excel and most programs write them (``<c r="B7" …``) are measured
    by two regular expressions; a sheet with any other cell is walked tag by tag,
    placing a cell without a reference as the parser does (after the previous one)."""
    last_row = last_column = 0
    for chunk in _chunks(archive, part):
        columns = _PLAIN_REF.findall(chunk)
        cells = sum(chunk.count(tag) for tag in _CELL_TAGS)
        if len(columns) != cells or _PREFIXED.search(chunk):
            return _walked(_chunks(archive, part))
        if columns:
            last_column = max(last_column, *map(_column_number, set(columns)))
            last_row = max(last_row, *map(int, set(_PLAIN_ROW.findall(chunk))))
    return last_row, last_column


def _chunks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The part's XML in chunks that end after a ``>`` (no tag is cut in two)."""
    carry = b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(CHUNK)
            if not block:
                break
            block = carry + block
            end = block.rfind(b">") + 1
            carry = block[end:]
            yield block[:end]
    if carry:
        yield carry


def _walked(chunks: Iterator[bytes]) -> tuple[int, int]:
    last_row = last_column = 0
    row = 0
    column = 0
    for chunk in chunks:
        for tag in _TAG.finditer(chunk):
            ref = _REF.search(tag[2])
            letters, digits = (ref[1], ref[2]) if ref else (b"", b"")
            if tag[1] == b"row":
                row = int(digits) if digits else row + 1
                column = 0
                continue
            column = _column_number(letters.upper()) if letters else column + 1
            if digits:
                row = max(row, int(digits)) if not letters else int(digits)
            last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row, last_column


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
