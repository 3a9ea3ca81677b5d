"""Chinese resident identity card numbers (公民身份号码, GB 11643-1999).

An 18-character number is six digits of address code, eight of birth date (YYYYMMDD),
three of sequence code (odd for men, even for women) and one check digit computed with
ISO 7064 MOD 11-2, where ``X`` stands for ten. Every error message says in Chinese and in
English exactly what is wrong, so it can be shown to the person who typed the number.

Pure functions: no Flask, no database, no clock.
"""

from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")
_EARLIEST_BIRTH_YEAR = 1800


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"需要17位数字 / need exactly 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_DIGITS[total % 11]


def normalize_id_card(raw: str) -> str:
    """The 18-character number in canonical form, or ``ValueError`` saying what is wrong.

    Spaces (also full-width ones) are removed, full-width digits and ``Ｘ`` become ASCII and
    a lowercase ``x`` becomes ``X``.
    """
    number = "".join(str(raw).split()).translate(_FULL_WIDTH)
    if not number:
        raise ValueError("身份证号为空 / the ID card number is empty")
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ValueError(
            "这是15位旧身份证号，请填写18位身份证号 / "
            "this is a legacy 15-digit number; please give the 18-digit number"
        )
    if len(number) != 18:
        raise ValueError(f"身份证号应为18位 / must be 18 characters, got {len(number)}")
    _check_characters(number)
    _birth_date(number)
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise ValueError(
            f"身份证号校验位应为 {expected} / check digit should be {expected}, got {number[17]}"
        )
    return number


def birth_date_of(number: str) -> date:
    """The birth date written in a valid number (``ValueError`` if the number is not valid)."""
    return _birth_date(normalize_id_card(number))


def gender_of(number: str) -> str:
    """``"男"`` when the 17th digit (sequence code) is odd, else ``"女"``."""
    return "男" if int(normalize_id_card(number)[16]) % 2 else "女"


def _check_characters(number: str) -> None:
    for position, character in enumerate(number, start=1):
        if character.isascii() and character.isdigit():
            continue
        if position == 18 and character == "X":
            continue
        raise ValueError(
            f'身份证号第{position}位 "{character}" 无效，只能是数字（末位可为X）/ '
            f'character {position} "{character}" is invalid: only digits, '
            "and X as the last character, are allowed"
        )


def _birth_date(number: str) -> date:
    text = number[6:14]
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        born = None
    if born is None or born.year < _EARLIEST_BIRTH_YEAR:
        raise ValueError(
            f"身份证号中的出生日期 {text} 不存在 / "
            f"the birth date {text} inside the number is impossible"
        )
    return born
