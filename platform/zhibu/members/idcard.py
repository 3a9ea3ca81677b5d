"""Chinese resident identity card numbers (公民身份号码, GB 11643-1999).

An 18-character number is six digits of address code, eight of birth date (YYYYMMDD),
three of sequence code (odd for men, even for women) and one check digit computed with
ISO 7064 MOD 11-2, where ``X`` stands for ten. Every error message says exactly what is
wrong and what is expected, so it can be shown to the person who typed the number.

Pure functions: no Flask, no database, no clock.
"""

from __future__ import annotations

import re
from datetime import date
from operator import mul

from zhibu.i18n import _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ZERO_WEIGHT = ord("0") * sum(_WEIGHTS)  # the digits are summed as their character codes
_CHECK_DIGITS = "10X98765432"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")
_EARLIEST_BIRTH_YEAR = 1800
_WELL_FORMED = re.compile(r"[0-9]{17}[0-9X]")


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"need exactly 17 digits, got {first17!r}")
    total = sum(map(mul, first17.encode(), _WEIGHTS)) - _ZERO_WEIGHT
    return _CHECK_DIGITS[total % 11]


def normalize_id_card(raw: str) -> str:
    """The 18-character number in canonical form, or ``ValueError`` saying what is wrong.

    Spaces (also full-width ones) are removed, full-width digits and ``Ｘ`` become ASCII and
    a lowercase ``x`` becomes ``X``.
    """
    number = "".join(str(raw).split()).translate(_FULL_WIDTH)
    if not _WELL_FORMED.fullmatch(number):
        _refuse_form(number)
    _birth_date(number)
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise ValueError(
            _(
                "身份证号校验位(第18位)应为 %(expected)s,这里是 %(given)s;请核对号码。",
                expected=expected,
                given=number[17],
            )
        )
    return number


def _refuse_form(number: str) -> None:
    if not number:
        raise ValueError(_("身份证号为空;应为18位号码。"))
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ValueError(_("这是15位旧身份证号;请填写18位身份证号。"))
    if len(number) != 18:
        raise ValueError(_("身份证号应为18位,这里有 %(count)s 位。", count=len(number)))
    for position, character in enumerate(number, start=1):
        if not (character.isascii() and character.isdigit()) and not (
            position == 18 and character == "X"
        ):
            raise ValueError(
                _(
                    "身份证号第%(position)s位“%(character)s”无效;只能是数字,末位可为X。",
                    position=position,
                    character=character,
                )
            )


def birth_date_of(number: str) -> date:
    """The birth date written in a valid number (``ValueError`` if the number is not valid)."""
    return _birth_date(normalize_id_card(number))


def gender_of(number: str) -> str:
    """``"男"`` when the 17th digit (sequence code) is odd, else ``"女"``."""
    return "男" if int(normalize_id_card(number)[16]) % 2 else "女"


def birth_and_gender(number: str) -> tuple[date, str]:
    """Birth date and gender of a number already normalized (no second check)."""
    return _birth_date(number), "男" if int(number[16]) % 2 else "女"


def _birth_date(number: str) -> date:
    text = number[6:14]
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        born = None
    if born is None or born.year < _EARLIEST_BIRTH_YEAR:
        raise ValueError(_("身份证号中的出生日期 %(digits)s 不存在;请核对第7至14位。", digits=text))
    return born
