"""The platform's workbook reader and normalization: a roster as offices keep it (title
rows, synonyms, full-width digits, every way of writing a date, phone and ID-card numbers
typed loosely, 序号 and 备注 columns), and files that must be refused with a clear message
(not a workbook, corrupt, too large, a sheet that would need billions of cells, a zip
bomb, no header). Every workbook is made here with openpyxl or by hand."""

import re
import time
import zipfile
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from zhibu.members.idcard import check_digit
from zhibu.members.roster import ROSTER, read_roster, template
from zhibu.workbooks import normalize as n
from zhibu.workbooks.reader import Limits, WorkbookError, open_workbook

MAN_1983 = "11010519830215123" + check_digit("11010519830215123")  # born 1983-02-15
DOCS = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def saved(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messy_roster() -> bytes:
    """Two title rows, a blank row, headers as offices write them (synonyms, a line break,
    a required mark, a hint in brackets, full-width spaces), then rows typed loosely."""
    book = Workbook()
    sheet = book.active
    sheet.append(["XX学院党委党员花名册"])
    sheet.merge_cells("A1:K1")
    sheet.append(["填报单位:机关党委", None, None, "填报日期:2024年7月"])
    sheet.append([])
    sheet.append(
        [
            "序号",
            "名字",
            "性\u3000别",
            "出生年月\n(如1983.02)",
            "入党日期",
            "所在党组织*",
            "手机号",
            "公民身份号码",
            "备注",
            "籍贯",
            "转正时间",
        ]
    )
    rows = [
        [1, "王  建军", "男", "1983.02", "2005.7", "第一支部", "138 0000 0001", None, "新调入"],
        [2, "李四", "女", "1983.2", "2005年7月", "第一支部", "+86 138-0000-0002", None],
        [3, "张三", "男", "1983年2月", "20050701", "第一支部", "１３８００００００03", None],
        [4, "赵六", "女", 19830201, date(2005, 7, 1), "第一支部", 13800000004, None],
        [5, "钱七", "男", datetime(1983, 2, 1), "２００５．０７．０１", "第一支部", None, None],
        [6, "孙八", "男", 1983.02, 2005.07, "第一支部", "(0997)1234567", MAN_1983.lower()],
        [7, "周九", "男", None, None, "第一支部", None, f" {MAN_1983[:6]} {MAN_1983[6:]} "],
        ["示例", "例子", "男", "1990.01", None, "第一支部"],
    ]
    for row in rows:
        sheet.append(row)
    sheet["K10"] = "2006.07"
    return saved(book)


def test_a_roster_as_offices_keep_it_is_read():
    result = read_roster(messy_roster())
    assert result.header_row == 4
    assert [(e.row, e.column, e.header) for e in result.errors] == [(11, "H", "公民身份号码")]
    assert "与第10行是同一人(身份证号相同)" in result.errors[0].message
    values = {row.row_number: row.values for row in result.rows}
    assert [v["name"] for v in values.values()] == [
        "王建军",
        "李四",
        "张三",
        "赵六",
        "钱七",
        "孙八",
    ]
    births = [v["birth_date"] for v in values.values()]
    assert births == [date(1983, 2, 1)] * 6
    assert [isinstance(b, n.MonthDate) for b in births] == [True] * 3 + [False, False, True]
    assert [v["joined_on"] for v in values.values()][:5] == [date(2005, 7, 1)] * 5
    assert [v["phone"] for v in values.values()] == [
        "13800000001",
        "13800000002",
        "13800000003",
        "13800000004",
        None,
        "0997-1234567",
    ]
    assert values[10]["id_card"] == MAN_1983 and values[10]["full_member_on"] == date(2006, 7, 1)
    assert values[5]["branch"] == "第一支部"
    ignored = {(c.letter, c.header): c.reason for c in result.ignored}
    assert ignored == {
        ("A", "序号"): "序号,不导入",
        ("I", "备注"): "备注,不导入",
        ("J", "籍贯"): "无法识别的列,未导入",
    }
    assert result.examples == [12]  # the template's example row is not imported


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1983.02", date(1983, 2, 1)),
        ("1983.2", date(1983, 2, 1)),
        ("1983.10", date(1983, 10, 1)),
        ("1983年2月", date(1983, 2, 1)),
        ("1983年02月份", date(1983, 2, 1)),
        ("1983-02-01", date(1983, 2, 1)),
        ("1983/2/1", date(1983, 2, 1)),
        ("1983年2月1号", date(1983, 2, 1)),
        ("19830201", date(1983, 2, 1)),
        ("198302", date(1983, 2, 1)),
        ("１９８３．０２", date(1983, 2, 1)),
        ("１９８３年２月", date(1983, 2, 1)),
        (1983.02, date(1983, 2, 1)),
        (1983.2, date(1983, 2, 1)),
        (1983.12, date(1983, 12, 1)),
        (19830201.0, date(1983, 2, 1)),
        (30348.0, date(1983, 2, 1)),  # an Excel serial day
        (datetime(1983, 2, 1, 9, 30), date(1983, 2, 1)),
    ],
)
def test_dates_as_offices_write_them(value, expected):
    assert n.parse_date(value) == expected


def test_a_month_only_date_matches_any_day_of_that_month():
    written = n.parse_date("1983.02")
    assert isinstance(written, n.MonthDate)
    assert n.same_day(written, date(1983, 2, 15)) and not n.same_day(written, date(1983, 3, 1))
    assert not n.same_day(n.parse_date("1983-02-01"), date(1983, 2, 15))


def test_a_number_cell_of_year_dot_one_is_ambiguous_and_says_why():
    with pytest.raises(n.CellError) as caught:
        n.parse_date(1983.1)
    assert "可能是1月,也可能是被 Excel 去掉末尾0的10月" in str(caught.value)
    assert "1983.01 或 1983年10月" in str(caught.value)
    with pytest.raises(n.CellError, match="只有年份"):
        n.parse_date(1983.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f" {MAN_1983[:6]} {MAN_1983[6:14]} {MAN_1983[14:]} ", MAN_1983),
        (MAN_1983.lower(), MAN_1983),
        ("".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in MAN_1983), MAN_1983),
    ],
)
def test_id_card_numbers_are_normalized(raw, expected):
    assert n.id_card(raw) == expected


def test_names_lose_the_spaces_that_line_them_up_only():
    assert n.name(" 王  军 ") == "王军"
    assert n.name("阿依古丽 · 买买提") == "阿依古丽·买买提"
    assert n.name("Anna  Maria") == "Anna Maria"


def test_headers_are_found_by_title_synonym_or_hint():
    assert ROSTER.column(n.header_key("出生年月\n(格式:1983.02)")).key == "birth_date"
    assert ROSTER.column(n.header_key("联系电话（必填）")).key == "phone"
    assert ROSTER.column(n.header_key("姓名＊")).key == "name"
    assert ROSTER.column(n.header_key("籍贯")) is None


def test_the_template_reads_back_as_empty_with_its_example_skipped():
    data = template()
    result = read_roster(data)
    assert result.errors == [] and result.rows == [] and result.examples == [3]
    guide = load_workbook(BytesIO(data))["填写说明"]
    titles = [row[0].value for row in guide.iter_rows(min_row=2, max_row=15)]
    assert titles == [c.title for c in ROSTER.columns]
    assert "出生年月" in guide["D5"].value  # the synonyms of 出生日期


def test_the_header_tables_in_the_docs_are_the_codes_tables():
    from dujiangyan_quantified.workbook import MONTH_SHEET

    page = DOCS.read_text(encoding="utf-8")
    for table in (ROSTER, MONTH_SHEET):
        assert n.markdown(table) in page, f"docs/import.md: update the table of {table.name}"


# --- files that are refused --------------------------------------------------------------


def refused(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(WorkbookError) as caught:
        book = open_workbook(data, limits or Limits())
        for index in range(len(book.sheets)):
            list(book.rows(index))
    return caught.value.message


def test_a_file_that_is_not_a_workbook():
    assert "不是 Excel 工作簿(.xlsx)" in refused(b"name,branch\n")
    assert "另存为" in refused(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))


def test_a_damaged_workbook():
    data = saved(Workbook())
    assert "文件已损坏" in refused(data[:600] + bytes(200) + data[800:]) or "不是" in refused(
        data[:600] + bytes(200) + data[800:]
    )
    cut = data[: len(data) // 2]
    assert "不是 Excel 工作簿" in refused(cut) or "文件已损坏" in refused(cut)


def test_a_file_over_the_size_limit():
    message = refused(messy_roster(), Limits(max_bytes=2000))
    assert message.startswith("文件有 ") and "超过上限 0.0 MB" in message


def test_a_sheet_whose_farthest_cell_would_need_billions_of_cells_is_refused_unread():
    book = Workbook()
    book.active.title = "名册"
    book.active["A1"] = "姓名"
    book.active["XFD1048576"] = "x"  # a few kilobytes that would need 17 billion cells
    data = saved(book)
    started = time.perf_counter()
    message = refused(data)
    assert time.perf_counter() - started < 5
    assert "工作表“名册”的数据区域有 1,048,576 行 × 16,384 列" in message
    assert "超过上限 2,000,000 个" in message


def test_cells_without_references_or_with_a_prefix_are_counted_too():
    """Cells written without ``r`` (placed after the previous one) and sheets written
    with a namespace prefix are walked tag by tag, as the parser places them."""
    book = Workbook()
    book.active["A1"] = "姓名"
    data = saved(book)
    far = (
        '<x:row r="3000"><x:c r="A3000" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row>'
    )
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode().replace("</sheetData>", "</sheetData>")
                text = re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{far}</sheetData>", text)
                text = text.replace(
                    "<worksheet ",
                    '<worksheet xmlns:x="http://schemas.'
                    'openxmlformats.org/spreadsheetml/2006/main" ',
                    1,
                )
                content = text.encode()
            target.writestr(item, content)
    message = refused(out.getvalue(), Limits(max_cells=5000))
    assert "3,000 行 × 2 列" in message


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    book = Workbook()
    book.active["A1"] = "姓名"
    data = saved(book)
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/media/padding.bin", bytes(8 * 1024 * 1024))  # 8 MB of zeros
    assert len(out.getvalue()) < 100_000
    message = refused(out.getvalue(), Limits(max_unpacked=4 * 1024 * 1024))
    assert "文件解压后有 8.0 MB,超过上限 4.0 MB" in message and "压缩炸弹" in message


def test_no_recognizable_header_is_one_clear_error():
    book = Workbook()
    for _ in range(3):
        book.active.append(["会议记录", "2024年"])
    result = read_roster(saved(book))
    assert [(e.row, e.column) for e in result.errors] == [(0, "")]
    assert "前10行中找不到表头" in result.errors[0].message
    assert "“姓名”、“所在支部”" in result.errors[0].message
