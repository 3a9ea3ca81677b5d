"""The core report set on a scored cycle of the tests' tiny scheme: what each report
says, its print layout, the star chart, and plugins replacing core reports."""

import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from reports_world import SCORES, raise_item, scored_cycle

CORE = {
    "core.ledger",
    "core.notice",
    "core.progress",
    "core.publicity",
    "core.ranking",
    "core.score_sheet",
    "core.stars",
    "core.weakness",
}


@pytest.fixture
def cycle(app, client, world):
    return scored_cycle(app, client, world)


def book(client, world, url, user="admin_a"):
    response = client.get(url, headers=world.headers[user])
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(response.data))


def body(sheet, first=4):
    return [r for r in sheet.iter_rows(min_row=first, values_only=True) if any(r)]


def merged(sheet) -> set[str]:
    return {str(r) for r in sheet.merged_cells.ranges}


def test_every_cycle_gets_the_core_reports(client, world, cycle):
    keys = {
        r["key"] for r in client.get(f"{cycle.url}/reports", headers=world.headers["admin_a"]).json
    }
    assert keys == CORE


def test_a_schemes_own_report_replaces_the_core_one(client, world):
    auth = world.headers["admin_a"]
    made = client.post(
        f"/api/v1/tenants/{world.id('A')}/cycles",
        json={"scheme_key": "akesu_college", "period": "2021"},
        headers=auth,
    )
    url = f"/api/v1/tenants/{world.id('A')}/cycles/{made.json['id']}/reports"
    keys = {r["key"] for r in client.get(url, headers=auth).json}
    assert "akesu_college.publicity" in keys and "core.publicity" not in keys
    assert {"core.ranking", "core.notice", "core.weakness"} <= keys


def test_ranking_is_by_total_and_laid_out_for_printing(client, world, cycle):
    sheet = book(client, world, f"{cycle.url}/reports/core.ranking.xlsx").active
    assert sheet["A1"].value == "支部考评排名表(2021)"
    assert sheet["A2"].value.startswith("填报单位:甲学院党委") and "日期:" in sheet["A2"].value
    assert sheet["D3"].value == "各项得分" and "D3:E3" in merged(sheet)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$3:$4" and sheet.freeze_panes == "A5"
    assert "&P" in sheet.oddFooter.center.text
    rows = body(sheet, 5)
    rated = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in rated] == [1, 2]
    assert [r[5] for r in rated] == sorted((r[5] for r in rated), reverse=True)
    assert any(r[1] == "离退休党支部" and r[0] == "—" for r in rows)


def test_star_distribution_counts_and_its_svg_chart(client, world, cycle):
    sheet = book(client, world, f"{cycle.url}/reports/core.stars.xlsx")["星级分布"]
    rows = {(r[0], r[1]): r[2] for r in body(sheet)}
    assert rows[("支部", "五星")] == len(SCORES)
    assert "A4:A9" in merged(sheet)  # the track is a category: one cell down its levels
    chart = client.get(f"{cycle.url}/reports/charts/stars.svg", headers=world.headers["overseer_c"])
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    root = ET.fromstring(chart.data)  # well-formed, standalone
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "五星" in texts and str(len(SCORES)) in texts
    page = client.get(f"{cycle.url}/reports/core.stars.html", headers=world.headers["admin_a"])
    assert "<svg" in page.text and "<script" not in page.text and "http" not in page.text


def test_publicity_merges_each_category(client, world, cycle):
    sheet = book(client, world, f"{cycle.url}/reports/core.publicity.xlsx").active
    assert sheet["A1"].value == "关于2021年度评星定级结果的公示"
    rows = body(sheet)
    names = [r[2] for r in rows if isinstance(r[0], int)]
    assert names == ["机电系第一党支部", "机电系第二党支部"]  # best first
    assert "B4:B5" in merged(sheet) and sheet["B4"].value == "五星支部"
    page = client.get(f"{cycle.url}/reports/core.publicity.html", headers=world.headers["admin_a"])
    assert 'rowspan="2"' in page.text and "公示期" in page.text


def test_one_subjects_score_sheet_lists_each_deduction_with_its_reason(client, world, cycle):
    url = f"{cycle.url}/reports/core.score_sheet.xlsx?subject_id={world.id('A-Z02')}"
    sheet = book(client, world, url).active
    assert sheet["A1"].value == "机电系第二党支部考评计分表(2021)"
    deductions = {(r[2], r[5], r[6]) for r in body(sheet) if r[5]}
    expected = next(taken for org, _, taken in SCORES if org == "A-Z02")
    assert {(code, points, reason) for code, points, reason in expected} == {
        (indicator.split()[0], points, reason) for indicator, points, reason in deductions
    }
    assert any(isinstance(r[0], str) and r[0].startswith("综合得分") for r in body(sheet))
    unknown = client.get(
        f"{cycle.url}/reports/core.score_sheet.html?subject_id={world.id('B-Z01')}",
        headers=world.headers["admin_a"],
    )
    assert unknown.status_code == 404 and "subject_id" in str(unknown.json)
    bad = client.get(
        f"{cycle.url}/reports/core.score_sheet.html?subject_id=nope",
        headers=world.headers["admin_a"],
    )
    assert bad.status_code == 422 and "subject_id" in str(bad.json)


def test_all_score_sheets_merge_each_subject(client, world, cycle):
    sheet = book(client, world, f"{cycle.url}/reports/core.score_sheet.xlsx").active
    first = [str(r) for r in sheet.merged_cells.ranges if str(r).startswith("A") and r.min_row > 3]
    assert len(first) == len(SCORES)  # one merged cell per scored branch


def test_notice_per_unit_that_lost_points_in_rubric_order(client, world, cycle):
    workbook = book(client, world, f"{cycle.url}/reports/core.notice.xlsx")
    assert workbook.sheetnames == [org for org, _, taken in SCORES if taken]
    sheet = workbook["A-Z02"]
    assert sheet["A1"].value == "整改通知单(机电系第二党支部)"
    assert sheet["A2"].value.startswith("填报单位:机电系党总支")
    rows = [r for r in body(sheet) if isinstance(r[0], int)]
    assert [r[2].split()[0] for r in rows] == ["A1", "A2"]  # the rubric's order
    assert {r[4] for r in rows} == {"学习记录不全", "台账不规范"}


def test_ledger_shows_status_last_check_and_overdue(app, client, world, cycle):
    raise_item(app, client, world, cycle)
    sheet = book(client, world, f"{cycle.url}/reports/core.ledger.xlsx").active
    rows = [r for r in body(sheet) if isinstance(r[0], int)]
    assert len(rows) == 1
    assert rows[0][1] == "机电系第二党支部" and rows[0][2] == "A2 台账资料 扣 5 分:台账不规范"
    assert rows[0][6] == "整改中" and "仍有缺页" in rows[0][7] and rows[0][9] == "逾期"
    notes = [r[0] for r in body(sheet) if isinstance(r[0], str) and r[0].startswith("共")]
    assert notes == ["共 1 项:已销号 0 项,未销号 1 项,其中逾期 1 项。"]


def test_progress_against_the_targets(client, world, cycle):
    summary = client.get(f"{cycle.url}/summary", headers=world.headers["admin_a"]).json
    sheet = book(client, world, f"{cycle.url}/reports/core.progress.xlsx")["目标进度"]
    rows = {r[0]: r for r in body(sheet) if r[1] == "支部"}
    for target in summary["targets"]:
        row = rows[target["title"]]
        assert (row[4], row[5]) == (target["count"], target["rated"])
        assert row[7] == ("已达到" if target["met"] else "未达到")
    model = rows["样板支部占比"]
    assert model[6] == 1  # 30 % of two branches: one model branch short


def test_weakness_ranks_the_indicators_that_lose_most(client, world, cycle):
    sheet = book(client, world, f"{cycle.url}/reports/core.weakness.xlsx").active
    rows = {r[1].split()[0]: r for r in body(sheet) if r[1] and r[1][:1] == "A"}
    lost = {}
    for _, _, taken in SCORES:
        for code, points, _ in taken:
            lost[code] = lost.get(code, 0) + points
    for code, points in lost.items():
        assert rows[code][6] == pytest.approx(points / len(SCORES))
    worst = max(lost, key=lost.get)
    assert rows[worst][8] == 1
    assert "会议记录缺失(1)" in rows["A1"][9]


def test_the_plugin_example_in_docs_builds_its_table(app, client, world, cycle):
    import re
    import uuid
    from pathlib import Path

    from zhibu.evaluations.cycles import get_cycle
    from zhibu.reports.service import report_data
    from zhibu.reports.xlsx import render_xlsx
    from zhibu.tenancy import system_scope, use_scope

    text = (Path(__file__).parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    namespace: dict = {}
    exec(re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)[0], namespace)
    (builder,) = namespace["zhibu_report_builders"]()
    with app.app_context(), use_scope(system_scope()):
        data = report_data(get_cycle(world.ids["A"], uuid.UUID(cycle.id)))
        tables = builder.build(data)
    sheet = load_workbook(io.BytesIO(render_xlsx(tables))).active
    assert sheet["A1"].value == "先进党支部名册(2021)"
    assert {r[2] for r in body(sheet)} >= {org_name for org_name in ("机电系第一党支部",)}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_html_escapes_what_users_typed_and_renders_outside_a_request(app):
    from zhibu.reports import Column, ReportTable
    from zhibu.reports.html import render_html

    table = ReportTable("标题", "s", [Column("a", "原因")], [{"a": "<script>x</script>"}])
    with app.app_context():  # as a job: no request, no session
        page = render_html([table], "标题")
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_ranking_puts_a_higher_level_before_a_higher_total(client, world, cycle):
    """A-Z01 has the best total (95.5), but a downgrade rule took it to 4★ while A-Z02
    (92.5) keeps 5★: the ranking and the publicity follow the declared levels first (by
    total alone, A-Z01 would rank first)."""
    auth = world.headers["admin_a"]
    incident = {
        "subject_kind": "org",
        "subject_id": world.id("A-Z01"),
        "kind": "down.petition",
        "occurred_on": "2021-05-01",
    }
    assert client.post(f"{cycle.base}/incidents", json=incident, headers=auth).status_code == 201
    assert client.post(f"{cycle.url}/recompute", headers=auth).status_code == 200
    sheet = book(client, world, f"{cycle.url}/reports/core.ranking.xlsx").active
    rated = [r for r in body(sheet, 5) if isinstance(r[0], int)]
    by_name = {r[1]: r for r in rated}
    first, second = by_name["机电系第二党支部"], by_name["机电系第一党支部"]
    assert first[5] < second[5]  # the lower total …
    assert (first[0], first[6]) == (1, "五星") and (second[0], second[6]) == (2, "四星")
    assert [r[1] for r in rated][:2] == ["机电系第二党支部", "机电系第一党支部"]


def test_a_printable_page_fits_a_phone_and_leads_back_but_prints_as_before(client, world, cycle):
    """On screen a report's table scrolls in its own box and a back link leads to the
    cycle's reports; in print the link is hidden and the A4 layout stays."""
    page = client.get(f"{cycle.url}/reports/core.ranking.html", headers=world.headers["admin_a"])
    text = page.text
    assert 'name="viewport"' in text and '<div class="table-box"><table>' in text
    tenant, cycle_id = world.id("A"), cycle.url.rstrip("/").split("/")[-1]
    assert f'<nav class="back"><a href="/t/{tenant}/cycles/{cycle_id}/reports">' in text
    assert "@page { size: A4 landscape;" in text
    print_rules = text[text.index("@media print") :].split("</style>")[0]
    assert "nav.back { display: none; }" in print_rules
    assert "overflow-x: auto" in text[text.index("@media screen") : text.index("@media print")]


def test_a_charts_legend_wraps_rather_than_running_off_its_right_edge():
    """都江堰 has five tracks with long names: the legend takes a second row (and the chart
    grows by it) instead of cutting the fifth name at the edge."""
    import re

    from zhibu.reports.charts import Series, share_chart, text_width

    names = ["社区党支部", "党员量化考评", "机关党支部", "农村党支部", "“两新”组织党支部"]
    svg = share_chart("星级和等次分布", ["五星", "优秀"], [Series(n, [1, 2]) for n in names])
    height = int(re.search(r'<svg[^>]* height="(\d+)"', svg).group(1))
    entries = re.findall(r'<text x="(\d+)" y="(\d+)">([^<]+)</text>', svg)
    legend = [(int(x), int(y), label) for x, y, label in entries if "(共 " in label]
    assert [label for _x, _y, label in legend] == [f"{n}(共 3)" for n in names]
    assert all(x + text_width(label) <= 760 for x, _y, label in legend)
    assert len({y for _x, y, _label in legend}) == 2 and height > 380
    one_row = share_chart("t", ["五星"], [Series("党支部", [1])])
    assert 'height="380"' in one_row
