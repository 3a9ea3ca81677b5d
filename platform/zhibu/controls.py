"""Control characters: refused on the way in, never able to break a workbook on the way out.

A C0 control character (U+0000–U+001F) or DEL is invisible, cannot be typed on a form and
is not allowed in an XML document, so a workbook (openpyxl raises
``IllegalCharacterError``) or a report holding one cannot be written. Input: the request
hook of :mod:`zhibu.web.inputs` refuses any of them in a query string, a path, a form or
a JSON body, naming the field (tab, line feed and carriage return are let through in the
multi-line fields of :data:`MULTILINE` only). Output: rows written before that check
still hold some, so every workbook writer passes each cell's value through :func:`cell`.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# what a multi-line text may hold besides: tab, line feed, carriage return
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# the characters an XML 1.0 document (a workbook's sheet) cannot hold (openpyxl's own set)
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# fields whose text may run over several lines (a reason, a finding, a note …)
MULTILINE = frozenset(
    {"note", "reason", "finding", "measure", "issue", "description", "text", "comment"}
)


def is_multiline(field: str) -> bool:
    """``reason``, ``reason_A1``, ``deductions.0.reason`` … are multi-line texts."""
    last = field.rpartition(".")[2]
    return last in MULTILINE or last.partition("_")[0] in MULTILINE


def has_control(value: str, field: str = "") -> bool:
    """``value`` holds a control character not allowed in ``field``."""
    pattern = CONTROL_IN_TEXT if field and is_multiline(field) else CONTROL
    return pattern.search(value) is not None


def find(data: Any, field: str = "") -> Iterator[str]:
    """The fields of ``data`` (a JSON value: keys joined with ``.``, list items by index)
    whose text holds a control character; a key holding one is named too."""
    if isinstance(data, str):
        if has_control(data, field):
            yield field
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{field}.{key}" if field else str(key)
            if isinstance(key, str) and CONTROL.search(key):
                yield name
            else:
                yield from find(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find(value, f"{field}.{index}" if field else str(index))


def visible(text: str) -> str:
    """``text`` with each control character written out (``\\x01``): to name a field
    that holds one without sending it back."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cell(value: Any) -> Any:
    """``value`` as a workbook's cell may hold it: a text without the characters XML cannot
    hold (they are dropped: invisible, they carried nothing a reader could see); anything
    else as it is."""
    if isinstance(value, str):
        return NOT_IN_XML.sub("", value)
    return value


def cells(values) -> list:
    """A row of :func:`cell` values (for ``sheet.append``)."""
    return [cell(v) for v in values]
