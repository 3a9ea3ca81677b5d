"""The member roster workbook: dates, headers, cell checks and the lossless round trip.

Every workbook is built here with openpyxl; no binary fixture is committed.
"""

import re
import zipfile
from datetime import date, datetime, time
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from zhibu.members.idcard import check_digit
from zhibu.members.roster import (
    COLUMNS,
    ROSTER,
    RowError,
    parse_date,
    read_roster,
    write_roster,
)

FIELDS = [column.key for column in COLUMNS]
HEADERS = [column.title for column in COLUMNS]
LETTER = {column.key: "ABCDEFGHIJKLMN"[index] for index, column in enumerate(COLUMNS)}

WOMAN_1949 = "11010519491231002X"  # born 1949-12-31, 17th digit even
MAN_1985 = "65290119850615123" + check_digit("65290119850615123")  # born 1985-06-15
WOMAN_1990 = "11010119900307802" + check_digit("11010119900307802")  # born 1990-03-07


def xlsx(*rows: list, title: str | None = None, sheet_before: bool = False) -> bytes:
    """A workbook whose first (or, with sheet_before, second) sheet holds ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    if sheet_before:
        sheet.title = "填表说明"
        sheet.append(["请按模板填写，姓名必填"])
        sheet = workbook.create_sheet("花名册")
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def full_sheet(*records: dict) -> bytes:
    """The canonical headers, then one row per record (missing fields left empty)."""
    return xlsx(HEADERS, *[[record.get(field) for field in FIELDS] for record in records])


def member(**values) -> dict:
    """A complete parsed row: every field present, most of them None."""
    return dict.fromkeys(FIELDS) | {"name": "张三", "branch": "第一党支部"} | values


# --- COLUMNS -------------------------------------------------------------------------------


def test_columns_order_and_canonical_headers():
    assert FIELDS == [
        "name", "gender", "ethnicity", "birth_date", "joined_on", "full_member_on", "branch",
        "position", "education", "phone", "archive_code", "status", "category", "id_card",
    ]  # fmt: skip
    assert HEADERS[:4] == ["姓名", "性别", "民族", "出生日期"]
    assert HEADERS[-1] == "身份证号"


def test_roster_column_is_frozen():
    with pytest.raises(AttributeError):
        COLUMNS[0].title = "名字"  # type: ignore[misc]
    assert COLUMNS[0].titles == ("姓名", "名字", "党员姓名")


def test_no_header_is_claimed_by_two_columns():
    headers = [header for column in COLUMNS for header in column.titles]
    assert len(headers) == len(set(headers))
    assert {c.key for c in COLUMNS if c.required} == {"name", "branch"}
    assert ROSTER.column("所在党组织").key == "branch"


# --- parse_date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-07-01", date(2020, 7, 1)),
        ("2020/7/1", date(2020, 7, 1)),
        ("2020.07.01", date(2020, 7, 1)),
        ("2020年7月1日", date(2020, 7, 1)),
        ("2020年07月", date(2020, 7, 1)),
        ("2020年7月", date(2020, 7, 1)),
        ("2020-07", date(2020, 7, 1)),
        ("2020.7", date(2020, 7, 1)),
        ("2020/07", date(2020, 7, 1)),
        ("20200701", date(2020, 7, 1)),
        ("202007", date(2020, 7, 1)),
        ("1985.12.31", date(1985, 12, 31)),
        ("2020年12月", date(2020, 12, 1)),
        (" 2020 年 7 月 1 日 ", date(2020, 7, 1)),
        ("２０２０年７月１日", date(2020, 7, 1)),
        ("2020-07-01 00:00:00", date(2020, 7, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2100-12-31", date(2100, 12, 31)),
    ],
)
def test_parse_date_written_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2020, 7, 1), date(2020, 7, 1)),
        (datetime(2020, 7, 1, 8, 30), date(2020, 7, 1)),
        (43831, date(2020, 1, 1)),  # Excel serial numbers
        (44013, date(2020, 7, 1)),
        (44013.75, date(2020, 7, 1)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),  # after Excel's phantom 1900-02-29
        (20200701, date(2020, 7, 1)),  # typed as a number
        (20200701.0, date(2020, 7, 1)),
        (202007, date(2020, 7, 1)),
    ],
)
def test_parse_date_cells(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000"])
def test_parse_date_empty_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "2020年13月",
        "2021-02-30",
        "2023-02-29",
        "2020-00-10",
        "20201301",
        "2020-7/1",
        "2020-07-01-01",
        "July 2020",
        "2020",
        "20-7-1",
        "七月一日",
        60,  # Excel's phantom 1900-02-29
        0,
        -5,
        100000,
        float("nan"),
        True,
        time(8, 30),
    ],
)
def test_parse_date_rejects_unreadable(value):
    with pytest.raises(ValueError) as caught:
        parse_date(value)
    message = str(caught.value)
    assert message.startswith(("无法识别的日期“", "日期“")), message
    assert "1983.02、1983.2、1983年2月、1983-02-01" in message  # what was expected


@pytest.mark.parametrize(
    "value", ["1899-12-31", "2101-01-01", "18991231", date(1899, 1, 1), datetime(2101, 1, 1)]
)
def test_parse_date_rejects_years_outside_1900_2100(value):
    with pytest.raises(ValueError) as caught:
        parse_date(value)
    assert "1900" in str(caught.value)
    assert "2100" in str(caught.value)


# --- headers -------------------------------------------------------------------------------

RAW = {
    "name": " 张三 ",
    "gender": "男性",
    "ethnicity": "维吾尔族",
    "birth_date": "1985.06",
    "joined_on": "2010年7月1日",
    "full_member_on": date(2011, 7, 1),
    "branch": "第一党支部",
    "position": "支部书记",
    "education": "大学本科",
    "phone": "139 1234 5678",
    "archive_code": "A-0001",
    "status": "正式",
    "category": "在职党员",
    "id_card": MAN_1985.lower(),
}
PARSED = {
    "name": "张三",
    "gender": "男",
    "ethnicity": "维吾尔族",
    "birth_date": date(1985, 6, 1),
    "joined_on": date(2010, 7, 1),
    "full_member_on": date(2011, 7, 1),
    "branch": "第一党支部",
    "position": "支部书记",
    "education": "大学本科",
    "phone": "13912345678",
    "archive_code": "A-0001",
    "status": "full",
    "category": "serving",
    "id_card": MAN_1985,
}


@pytest.mark.parametrize(
    ("field", "header"), [(c.key, h) for c in COLUMNS for h in c.titles], ids=str
)
def test_every_header_and_alias_is_recognised(field, header):
    headers = {"name": "姓名", "branch": "所在支部", field: header}
    result = read_roster(xlsx(list(headers.values()), [RAW[f] for f in headers]))
    assert result.errors == []
    assert result.rows[0].values[field] == PARSED[field]


def test_shuffled_columns_marked_headers_and_ignored_columns():
    headers = [
        "序号", "身份证号码", "手机\n号", "党员姓名*", "备注", "所在党支部(必填)", "出生\u3000年月",
        " 入党 日期 ", "党籍状态（必填）", "党员类别＊", "性 别", "民族", "转正日期", "职务",
        "文化程度", "一人一档编码",
    ]  # fmt: skip
    fields = [
        None, "id_card", "phone", "name", None, "branch", "birth_date", "joined_on", "status",
        "category", "gender", "ethnicity", "full_member_on", "position", "education",
        "archive_code",
    ]  # fmt: skip
    row = [RAW[field] if field else "无关" for field in fields]
    result = read_roster(xlsx(headers, row))
    assert result.errors == []
    assert result.ignored_headers == ["序号", "备注"]
    assert result.rows[0].values == PARSED
    assert result.rows[0].row_number == 2


def test_title_row_above_the_header():
    data = xlsx([], ["姓名", "所在支部"], ["李四", "二支部"], title="XX党支部党员花名册")
    result = read_roster(data)
    assert result.header_row == 3
    assert [(row.row_number, row.values["name"]) for row in result.rows] == [(4, "李四")]
    assert result.errors == []


def test_roster_on_a_later_sheet_is_found():
    result = read_roster(xlsx(["姓名", "支部"], ["王五", "三支部"], sheet_before=True))
    assert result.rows[0].values["branch"] == "三支部"


def test_header_beyond_the_first_ten_rows_is_not_found():
    data = xlsx(*([["说明"]] * 10), ["姓名", "所在支部"], ["李四", "二支部"])
    result = read_roster(data)
    assert result.rows == []
    assert [(e.row, e.column, e.header) for e in result.errors] == [(0, "", "")]
    assert "前10行中找不到表头;表头行应有 “姓名”、“所在支部” 等列" in result.errors[0].message


def test_missing_required_column_is_one_error_on_the_header_row():
    data = xlsx(["姓名", "性别", "出生日期"], ["李四", "男", "1990-01-01"], ["王五", "女", None])
    result = read_roster(data)
    assert [(e.row, e.column, e.header) for e in result.errors] == [(1, "", "所在支部")]
    assert "缺少必填列“所在支部”(也可写作 所在党支部、" in result.errors[0].message
    assert str(result.errors[0]).startswith("第1行: 缺少必填列")
    assert result.rows == []  # nothing is importable from a broken header


def test_missing_column_under_a_title_and_bad_cells_are_all_reported():
    data = xlsx(["姓名", "出生日期"], ["李四", "1990-13-01"], title="花名册")
    result = read_roster(data)
    assert [(e.row, e.column) for e in result.errors] == [(2, ""), (3, "B")]


def test_duplicate_header_names_both_columns():
    data = xlsx(["姓名", "支部", "性别", "党支部"], ["李四", "一支部", "男", "二支部"])
    result = read_roster(data)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column, error.header) == (1, "D", "党支部")
    assert "B列“支部”和D列“党支部”都是“所在支部”" in error.message
    assert result.rows == []


# --- cells ---------------------------------------------------------------------------------

BAD_CELLS = [
    # (cells of the row besides name and branch, [(field in error, words in message)])
    ({"gender": "男的"}, [("gender", "“男的”无法识别;应为 男、男性、女、女性")]),
    ({"birth_date": "2020年13月"}, [("birth_date", "日期“2020年13月”不存在")]),
    ({"joined_on": "1899-07-01"}, [("joined_on", "1900")]),
    ({"full_member_on": "2021-02-30"}, [("full_member_on", "2021-02-30")]),
    ({"phone": "12345"}, [("phone", "电话号码“12345”不正确;应为11位手机号")]),
    ({"phone": "139123456789"}, [("phone", "11位手机号")]),
    ({"phone": "23912345678"}, [("phone", "11位手机号")]),
    ({"phone": "0997-12-34567"}, [("phone", "0997-1234567")]),
    ({"phone": "099-123"}, [("phone", "固定电话")]),
    ({"phone": "0997-123456789"}, [("phone", "固定电话")]),
    ({"phone": "123-4567"}, [("phone", "带区号")]),
    ({"phone": 13912345678.5}, [("phone", "不是编号")]),
    ({"status": "积极分子"}, [("status", "“积极分子”无法识别;应为 正式党员、正式、预备党员")]),
    ({"category": "在岗"}, [("category", "“在岗”无法识别")]),
    ({"id_card": "110105194912310021"}, [("id_card", "校验位(第18位)应为 X")]),
    ({"id_card": "110105491231002"}, [("id_card", "15位")]),
    ({"id_card": "11010519491231002"}, [("id_card", "应为18位")]),
    ({"id_card": 1.1010519491231e17}, [("id_card", "15位")]),  # Excel lost the digits
    ({"name": None, "ethnicity": "汉族"}, [("name", "“姓名”不能为空")]),
    ({"branch": "   "}, [("branch", "“所在支部”不能为空")]),
    (
        {"birth_date": "1990-01-01", "id_card": WOMAN_1949},
        [("birth_date", "与身份证号中的 1949-12-31 不一致")],
    ),
    ({"gender": "男", "id_card": WOMAN_1990}, [("gender", "应为“女”")]),
    ({"birth_date": "1990-05-01", "joined_on": "1989-07-01"}, [("joined_on", "应晚于出生日期")]),
    ({"joined_on": "1970-07-01", "id_card": MAN_1985}, [("joined_on", "1985-06-15")]),
    ({"joined_on": "2010-07-01", "full_member_on": "2010-06-30"}, [("full_member_on", "早于")]),
    (
        {"gender": "X", "birth_date": "soon", "phone": "1", "category": "?"},
        [("gender", "“X”"), ("birth_date", "soon"), ("phone", "1"), ("category", "?")],
    ),
]


def test_every_bad_cell_is_reported_with_row_and_column():
    records = [{"name": "张三", "branch": "一支部"} | cells for cells, _ in BAD_CELLS]
    result = read_roster(full_sheet(*records))
    expected = [
        (number, LETTER[field], words)
        for number, (_, problems) in enumerate(BAD_CELLS, start=2)
        for field, words in problems
    ]
    got = [(error.row, error.column) for error in result.errors]
    assert got == [(number, letter) for number, letter, _ in expected]
    for error, (_, _, words) in zip(result.errors, expected, strict=True):
        assert words in error.message, str(error)
    assert result.rows == []


def test_error_carries_the_header_as_written_and_reads_well():
    data = xlsx(
        [], [], [], ["序号", "所在支部", "姓名", "出生年月"], [1, "一支部", "张三", "2020年13月"]
    )
    (error,) = read_roster(data).errors
    assert (error.row, error.column, error.header) == (5, "D", "出生年月")
    assert str(error).startswith("第5行 D列(出生年月): 日期“2020年13月”不存在")


def test_good_rows_are_kept_and_bad_rows_left_out():
    result = read_roster(full_sheet(member(), member(gender="?"), member(name="李四")))
    assert [row.row_number for row in result.rows] == [2, 4]
    assert [error.row for error in result.errors] == [3]
    assert not result.ok


def test_year_month_birth_date_agrees_with_the_id_card():
    result = read_roster(full_sheet(member(birth_date="1985.06", id_card=MAN_1985)))
    assert result.errors == []
    assert result.rows[0].values["birth_date"] == date(1985, 6, 1)


def test_full_member_without_full_membership_date_is_allowed():
    result = read_roster(full_sheet(member(status="正式党员", joined_on="2000-07-01")))
    assert result.errors == []
    assert result.rows[0].values["status"] == "full"
    assert result.rows[0].values["full_member_on"] is None


def test_joined_and_full_member_on_the_same_day_is_allowed():
    result = read_roster(full_sheet(member(joined_on="2000-07-01", full_member_on="2000-07-01")))
    assert result.errors == []


def test_duplicate_archive_code_and_id_card_name_the_first_row():
    result = read_roster(
        full_sheet(
            member(archive_code="A001", id_card=WOMAN_1949),
            member(archive_code="A002"),
            member(archive_code="A001"),
            member(id_card=WOMAN_1949.lower()),
        )
    )
    assert [(e.row, e.column) for e in result.errors] == [(4, "K"), (5, "N")]
    assert "与第2行是同一人(档案编码相同)" in result.errors[0].message
    assert "与第2行是同一人(身份证号相同)" in result.errors[1].message
    assert [row.row_number for row in result.rows] == [2, 3]


def stored_as(data: bytes, numbers: dict[str, str]) -> bytes:
    """The workbook with number cells stored as the given text, the way other programs write
    them (openpyxl itself writes 13912345678.0 as "13912345678", which reads back as int)."""
    source = zipfile.ZipFile(BytesIO(data))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = _restore(content.decode(), numbers).encode()
            target.writestr(item, content)
    return buffer.getvalue()


def _restore(xml: str, numbers: dict[str, str]) -> str:
    for reference, text in numbers.items():
        xml, count = re.subn(
            rf'(<c r="{reference}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{text}\g<2>", xml
        )
        assert count == 1, reference
    return xml


def test_numbers_typed_as_numbers_become_digit_strings():
    """Up to 15 digits, as Excel keeps them. A longer number cell (which Excel never
    writes, but other programs may) is read as Excel would show it, and refused."""
    records = [
        member(phone=13912345678, archive_code=20240001, id_card=440524188001010014),
        member(phone=13912345678, archive_code=123),
        member(phone=13912345678, archive_code=0),
    ]
    stored = {
        "J3": "13912345678.0",
        "K3": "123.0",
        "J4": "1.3912345678E10",
        "N2": "440524188001010014",  # openpyxl itself would round an int this long
    }
    data = stored_as(full_sheet(*records), stored)
    cells = load_workbook(BytesIO(data)).active
    assert [type(cells[ref].value) for ref in ("J2", "J3", "J4", "N2")] == [int, float, float, int]
    result = read_roster(data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "N")]
    assert "“文本”格式" in result.errors[0].message
    values = [row.values for row in result.rows]
    assert [v["phone"] for v in values] == ["13912345678"] * 2
    assert [v["archive_code"] for v in values] == ["123", "0"]


def test_id_card_stored_by_excel_as_a_number_has_lost_digits():
    data = stored_as(full_sheet(member(id_card=1)), {"N2": "1.1010519491231E+17"})
    (error,) = read_roster(data).errors
    assert (error.row, error.column) == (2, "N")
    assert "“文本”格式" in error.message


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("0997-1234567", "0997-1234567"),
        ("010-12345678", "010-12345678"),
        (" 139 1234 5678 ", "13912345678"),
        ("13912345678\u3000", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("(0997)1234567", "0997-1234567"),
        ("（0997）1234567", "0997-1234567"),
        ("0997 1234567", "0997-1234567"),
    ],
)
def test_good_phone_numbers(phone, expected):
    result = read_roster(full_sheet(member(phone=phone)))
    assert result.errors == []
    assert result.rows[0].values["phone"] == expected


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        ("女性", "gender", "女"),
        ("预备党员", "status", "probationary"),
        ("预备", "status", "probationary"),
        ("正式党员", "status", "full"),
        ("离退休", "category", "retired"),
        ("离退休党员", "category", "retired"),
        ("退休", "category", "retired"),
        ("流动", "category", "mobile"),
        ("流动党员", "category", "mobile"),
        ("在职", "category", "serving"),
    ],
)
def test_choice_values(raw, field, expected):
    result = read_roster(full_sheet(member(**{field: raw})))
    assert result.rows[0].values[field] == expected


def test_empty_rows_are_skipped_and_row_numbers_are_excel_rows():
    data = xlsx(
        ["序号", "姓名", "所在支部"],
        [1, "甲", "一支部"],
        [None, None, None],
        [3, "  ", "\u3000"],  # only the ignored 序号 column filled in
        [4, "乙", "一支部"],
    )
    result = read_roster(data)
    assert result.errors == []
    assert [(row.row_number, row.values["name"]) for row in result.rows] == [(2, "甲"), (5, "乙")]


def test_every_field_is_a_key_of_the_values():
    result = read_roster(xlsx(["姓名", "支部"], ["甲", "一支部"]))
    assert result.rows[0].values == member(name="甲", branch="一支部")


@pytest.mark.parametrize(
    "source",
    [b"", b"not a workbook", "zip", "xls"],
)
def test_a_file_that_is_not_xlsx_is_one_error(source):
    if source == "zip":
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("readme.txt", "hello")
        source = buffer.getvalue()
    if source == "xls":
        source = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)  # an old .xls (OLE) header
    result = read_roster(source)
    assert result.rows == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (0, "")
    assert ".xlsx" in error.message
    assert str(error) == error.message


def test_reads_a_file_object():
    result = read_roster(BytesIO(full_sheet(member())))
    assert [row.values for row in result.rows] == [member()]


def test_row_error_str():
    assert str(RowError(5, "D", "出生日期", "坏")) == "第5行 D列(出生日期): 坏"
    assert str(RowError(2, "", "所在支部", "缺")) == "第2行: 缺"
    assert str(RowError(0, "", "", "坏文件")) == "坏文件"


# --- writing and the round trip ------------------------------------------------------------

ROUND_TRIP = [
    member(
        name="阿依古丽·买买提",
        gender="女",
        ethnicity="维吾尔族",
        birth_date=date(1949, 12, 31),
        joined_on=date(1970, 7, 1),
        full_member_on=date(1971, 7, 1),
        branch="阿克苏职业技术学院 第一党支部",
        position="支部书记",
        education="大学本科",
        phone="0997-1234567",
        archive_code="000123",
        status="full",
        category="retired",
        id_card=WOMAN_1949,
    ),
    member(
        name="王五",
        gender="男",
        birth_date=date(1985, 6, 15),
        joined_on=date(2024, 7, 1),
        phone="13912345678",
        status="probationary",
        category="mobile",
        id_card=MAN_1985,
    ),
    member(name="=SUM(A1:A9)", position="+党小组长", category="serving"),  # never formulas
    member(),  # every optional field None
]


@pytest.mark.parametrize("title", [None, "阿克苏地区某党支部党员花名册"])
def test_round_trip_is_lossless(title):
    result = read_roster(write_roster(ROUND_TRIP, title=title))
    assert result.errors == []
    assert result.ignored_headers == []
    assert [row.values for row in result.rows] == ROUND_TRIP
    first = 3 if title else 2
    assert [row.row_number for row in result.rows] == list(range(first, first + 4))


def test_round_trip_of_nothing():
    assert read_roster(write_roster([])).rows == []
    assert read_roster(write_roster([])).errors == []


def test_written_workbook_looks_as_people_expect():
    sheet = load_workbook(BytesIO(write_roster(ROUND_TRIP, title="花名册"))).active
    assert sheet["A1"].value == "花名册"
    assert [str(merged) for merged in sheet.merged_cells.ranges] == ["A1:N1"]
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert all(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert sheet["D3"].is_date and sheet["D3"].number_format == "yyyy-mm-dd"
    assert sheet["L3"].value == "正式党员" and sheet["L4"].value == "预备党员"
    assert [sheet[f"M{n}"].value for n in (3, 4, 5)] == ["离退休", "流动", "在职"]
    for coordinate in ("J3", "K3", "N3"):
        assert sheet[coordinate].data_type == "s"
        assert sheet[coordinate].number_format == "@"
    assert sheet["K3"].value == "000123"
    assert sheet["A5"].data_type == "s"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ADGN"}
    assert widths["N"] >= 18  # an 18-character ID card number fits
    assert widths["G"] > widths["A"] >= 6


def test_header_row_is_frozen_without_title():
    sheet = load_workbook(BytesIO(write_roster([member()]))).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b


def test_write_ignores_unknown_keys():
    data = write_roster([member() | {"id": "0c5e", "tenant_id": "t1"}])
    assert read_roster(data).rows[0].values == member()


@pytest.mark.parametrize(
    "bad", [{"status": "正式党员"}, {"category": "退休"}, {"joined_on": "2020-07-01"}]
)
def test_write_refuses_values_that_are_not_parsed_values(bad):
    with pytest.raises(ValueError):
        write_roster([member(**bad)])
