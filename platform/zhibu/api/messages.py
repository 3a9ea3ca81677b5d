"""marshmallow's, webargs' and flask-smorest's own messages, in the user's language.

The schemas' checks (a field required, unknown, not a UUID, not one of the choices, too
long …) answer with the libraries' English texts. Rather than give every field of every
schema its own ``error_messages``, the API's error answers pass what they carry through
:func:`translated`: each of those texts is known here by its English wording (its
placeholders, such as ``{min}``, matched as values) and comes out as the Chinese msgid of
the catalog, in the language of the request (Chinese for a token client; English for a
session that chose English). A text that is not one of them (the project's own
messages, already in the user's language) is left as it is; so are the keys that name
the fields, rows and list indexes.

``tests/test_api_messages.py`` fails when a default message of marshmallow's fields or
validators has no Chinese form here.
"""

from __future__ import annotations

import re
from typing import Any

from zhibu.i18n import _, _l

# the libraries' wording → the catalog's msgid; ``{name}`` placeholders become %(name)s
TEXTS = {
    # fields (marshmallow.fields.*.default_error_messages)
    "Missing data for required field.": _l("缺少必填项。"),
    "Field may not be null.": _l("不能为空值。"),
    "Invalid value.": _l("值无效。"),
    "Invalid type.": _l("类型不正确。"),
    "Not a valid list.": _l("须为列表。"),
    "Not a valid tuple.": _l("须为固定长度的列表。"),
    "Not a valid string.": _l("须为文本。"),
    "Not a valid utf-8 string.": _l("不是有效的 UTF-8 文本。"),
    "Not a valid UUID.": _l("不是有效的 UUID 编号。"),
    "Not a valid number.": _l("不是有效的数字。"),
    "Number too large.": _l("数字过大。"),
    "Not a valid integer.": _l("不是有效的整数。"),
    "Special numeric values (nan or infinity) are not permitted.": _l("不接受非数字值或无穷大。"),
    "Not a valid boolean.": _l("须为是或否(布尔值)。"),
    "Not a valid datetime.": _l("不是有效的日期时间。"),
    "Not a valid naive datetime.": _l("不是有效的日期时间(不应带时区)。"),
    "Not a valid aware datetime.": _l("不是有效的日期时间(须带时区)。"),
    "Not a valid time.": _l("不是有效的时间。"),
    "Not a valid naive time.": _l("不是有效的时间(不应带时区)。"),
    "Not a valid aware time.": _l("不是有效的时间(须带时区)。"),
    "Not a valid date.": _l("不是有效的日期。"),
    "Not a valid naive date.": _l("不是有效的日期(不应带时区)。"),
    "Not a valid aware date.": _l("不是有效的日期(须带时区)。"),
    '"{input}" cannot be formatted as a datetime.': _l("“%(input)s”无法写成日期时间。"),
    '"{input}" cannot be formatted as a time.': _l("“%(input)s”无法写成时间。"),
    '"{input}" cannot be formatted as a date.': _l("“%(input)s”无法写成日期。"),
    "Not a valid period of time.": _l("不是有效的时长。"),
    "{input} cannot be formatted as a timedelta.": _l("%(input)s 无法写成时长。"),
    "Not a valid mapping type.": _l("须为对象(键和值)。"),
    "Not a valid URL.": _l("不是有效的网址(URL)。"),
    "Not a valid email address.": _l("不是有效的电子邮箱地址。"),
    "Not a valid IP address.": _l("不是有效的 IP 地址。"),
    "Not a valid IPv4 address.": _l("不是有效的 IPv4 地址。"),
    "Not a valid IPv6 address.": _l("不是有效的 IPv6 地址。"),
    "Not a valid IP interface.": _l("不是有效的 IP 接口地址。"),
    "Not a valid IPv4 interface.": _l("不是有效的 IPv4 接口地址。"),
    "Not a valid IPv6 interface.": _l("不是有效的 IPv6 接口地址。"),
    # the schema (marshmallow.Schema.error_messages)
    "Unknown field.": _l("没有这一字段。"),
    "Invalid input type.": _l("输入的类型不正确。"),
    # validators (marshmallow.validate)
    "Must be one of: {choices}.": _l("须为以下之一:%(choices)s。"),
    "Shorter than minimum length {min}.": _l("长度不能少于 %(min)s。"),
    "Longer than maximum length {max}.": _l("长度不能超过 %(max)s。"),
    "Length must be between {min} and {max}.": _l("长度须在 %(min)s 到 %(max)s 之间。"),
    "Length must be {equal}.": _l("长度须为 %(equal)s。"),
    "Must be greater than or equal to {min}.": _l("须大于或等于 %(min)s。"),
    "Must be greater than {min}.": _l("须大于 %(min)s。"),
    "Must be less than or equal to {max}.": _l("须小于或等于 %(max)s。"),
    "Must be less than {max}.": _l("须小于 %(max)s。"),
    "Must be greater than or equal to {min} and less than or equal to {max}.": _l(
        "须大于或等于 %(min)s 且小于或等于 %(max)s。"
    ),
    "Must be greater than or equal to {min} and less than {max}.": _l(
        "须大于或等于 %(min)s 且小于 %(max)s。"
    ),
    "Must be greater than {min} and less than or equal to {max}.": _l(
        "须大于 %(min)s 且小于或等于 %(max)s。"
    ),
    "Must be greater than {min} and less than {max}.": _l("须大于 %(min)s 且小于 %(max)s。"),
    "Must be equal to {other}.": _l("须等于 %(other)s。"),
    "String does not match expected pattern.": _l("格式不符合要求。"),
    "Invalid input.": _l("输入无效。"),
    "One or more of the choices you made was not in: {choices}.": _l(
        "所选的值须在以下范围之内:%(choices)s。"
    ),
    "One or more of the choices you made was in: {values}.": _l(
        "所选的值不能是以下任何一个:%(values)s。"
    ),
    # webargs (a body that is not JSON)
    "Invalid JSON body.": _l("请求内容不是有效的 JSON。"),
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_BOUNDS = {"min", "max", "equal"}  # a number or a date: one word, so the wordings stay apart


def _pattern(english: str) -> re.Pattern:
    parts = _PLACEHOLDER.split(english)
    regex = "".join(
        f"(?P<{part}>{'[^ ]+' if part in _BOUNDS else '.*'})" if odd else re.escape(part)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )
    return re.compile(regex, re.DOTALL)


_FIXED = {english: text for english, text in TEXTS.items() if not _PLACEHOLDER.search(english)}
# the longest wording first: "greater than or equal to" is tried before "greater than"
_PATTERNS = [
    (_pattern(english), text)
    for english, text in sorted(
        ((e, t) for e, t in TEXTS.items() if _PLACEHOLDER.search(e)),
        key=lambda pair: -len(_PLACEHOLDER.sub("", pair[0])),
    )
]


def in_language(message: Any) -> Any:
    """One message of the libraries in the user's language; any other text as it is."""
    if not isinstance(message, str):
        return message
    if message in _FIXED:
        return str(_FIXED[message])
    for pattern, text in _PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return str(text) % found.groupdict()
    return message


def translated(errors: Any) -> Any:
    """``errors`` (marshmallow's nested messages: by location, field, row index …) with
    every message in the user's language and every key as it was."""
    if isinstance(errors, dict):
        return {key: translated(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translated(value) for value in errors]
    return in_language(errors)


# where webargs reads a request's values: not part of a field's name
LOCATIONS = {"json", "query", "querystring", "path", "view_args", "form", "files", "headers"}


def summary(errors: Any) -> str | None:
    """One sentence for an answer's ``message``: the first field at fault (its path, list
    indexes in brackets: ``rows[2].name``) and what is wrong with it, and how many
    problems there are in all; None when ``errors`` holds no message."""
    found = list(_leaves(errors, ()))
    if not found:
        return None
    path, problem = found[0]
    field = _field_name(path)
    if len(found) == 1:
        if not field:
            return _("请求有误:%(problem)s", problem=problem)
        return _("请求有误,“%(field)s”:%(problem)s", field=field, problem=problem)
    if not field:
        return _("请求有 %(count)s 处错误,第一处:%(problem)s", count=len(found), problem=problem)
    return _(
        "请求有 %(count)s 处错误,第一处在“%(field)s”:%(problem)s",
        count=len(found),
        field=field,
        problem=problem,
    )


def _leaves(errors: Any, path: tuple):
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(errors, list | tuple):
        if all(isinstance(value, str) for value in errors):
            for value in errors:
                yield path, value
        else:
            for index, value in enumerate(errors):
                yield from _leaves(value, (*path, index))
    elif isinstance(errors, str):
        yield path, errors


def _field_name(path: tuple) -> str:
    parts = list(path)
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    name = ""
    for part in parts:
        if part == "_schema":
            continue
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name
