"""Resident ID card numbers: normalization, check digit, birth date and gender."""

from datetime import date

import pytest

from zhibu.members.idcard import birth_date_of, check_digit, gender_of, normalize_id_card

# Numbers published as examples of valid 18-digit numbers (GB 11643-1999 and others).
KNOWN_VALID = ["11010519491231002X", "440524188001010014", "11010119900307803X"]


def with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers_pass_unchanged(number):
    assert normalize_id_card(number) == number


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_check_digit_of_known_numbers(number):
    assert check_digit(number[:17]) == number[17]


def test_check_digit_covers_every_value():
    digits = {check_digit(f"652901198506151{n:02d}") for n in range(100)}
    assert digits == set("0123456789X")


def test_check_digit_needs_17_digits():
    with pytest.raises(ValueError, match="17"):
        check_digit("1234")


def test_number_built_with_own_check_digit():
    number = with_check_digit("65290119850615123")  # Aksu, born 1985-06-15, sequence 123
    assert normalize_id_card(number) == number
    assert birth_date_of(number) == date(1985, 6, 15)
    assert gender_of(number) == "男"  # 17th digit 3 is odd


def test_birth_date_and_gender_of_known_numbers():
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert gender_of("11010519491231002X") == "女"  # 17th digit 2 is even
    assert birth_date_of("440524188001010014") == date(1880, 1, 1)
    assert gender_of("440524188001010014") == "男"  # 17th digit 1 is odd


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105\u300019491231\u3000002X\n",
    ],
)
def test_normalizes_case_spaces_and_full_width(raw):
    assert normalize_id_card(raw) == "11010519491231002X"


def test_wrong_length_says_how_long():
    with pytest.raises(ValueError) as caught:
        normalize_id_card("11010519491231002")
    assert str(caught.value) == "身份证号应为18位,这里有 17 位。"


def test_too_long():
    with pytest.raises(ValueError, match="这里有 19 位"):
        normalize_id_card("11010519491231002X1")


def test_empty():
    with pytest.raises(ValueError, match="身份证号为空"):
        normalize_id_card("   ")


def test_legacy_15_digits_asks_for_18():
    with pytest.raises(ValueError) as caught:
        normalize_id_card("110105491231002")
    assert "15位旧身份证号;请填写18位身份证号" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "position", "character"),
    [
        ("11010519491231002Y", 18, "Y"),
        ("1101051949123100X2", 17, "X"),
        ("1A0105194912310021", 2, "A"),
        ("11010519491231-02X", 15, "-"),
    ],
)
def test_bad_characters_name_the_position(raw, position, character):
    with pytest.raises(ValueError) as caught:
        normalize_id_card(raw)
    assert f"身份证号第{position}位“{character}”无效" in str(caught.value)


@pytest.mark.parametrize(
    "first17",
    [
        "11010519491331002",  # month 13
        "11010520210230002",  # 30 February
        "11010519490000002",  # month 0
        "11010517991231002",  # before 1800
    ],
)
def test_impossible_birth_date(first17):
    with pytest.raises(ValueError) as caught:
        normalize_id_card(with_check_digit(first17))  # checksum right, date wrong
    assert first17[6:14] in str(caught.value)
    assert "出生日期" in str(caught.value)
    assert "不存在" in str(caught.value)


def test_wrong_check_digit_says_which_is_right():
    with pytest.raises(ValueError) as caught:
        normalize_id_card("110105194912310021")
    message = str(caught.value)
    assert "校验位(第18位)应为 X,这里是 1" in message


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_every_other_last_character_is_rejected(number):
    for last in "0123456789X":
        if last != number[17]:
            with pytest.raises(ValueError, match=f"应为 {number[17]},"):
                normalize_id_card(number[:17] + last)


def test_birth_date_and_gender_refuse_invalid_numbers():
    with pytest.raises(ValueError):
        birth_date_of("110105194912310021")
    with pytest.raises(ValueError):
        gender_of("110105491231002")
