"""Large downloads are written row by row (openpyxl's write-only mode) and streamed
(issue 19): the audit export, the roster export (API and page) and a report still open
as workbooks and hold every row."""

from __future__ import annotations

import io
import uuid
from datetime import date

from openpyxl import load_workbook
from reports_world import scored_cycle
from test_web_pages import login

from zhibu import audit
from zhibu.db import db
from zhibu.members.roster import WIDTH_SAMPLE
from zhibu.models import Member
from zhibu.tenancy import system_scope, use_scope

MEMBERS = WIDTH_SAMPLE + 150  # past the rows that set the widths


def _add_members(app, world, count: int) -> None:
    with app.app_context(), use_scope(system_scope()):
        db.session.add_all(
            Member(
                tenant_id=world.ids["A"],
                id=uuid.uuid4(),
                org_id=world.ids["A-Z01"],
                name=f"成员{n:04d}",
                archive_code=f"X{n:05d}",
                gender="男",
                birth_date=date(1980, 1, 1 + n % 28),
                joined_on=date(2005, 7, 1),
                phone="0" + str(13900000000 + n),  # a leading zero survives as text
            )
            for n in range(count)
        )
        db.session.commit()


def _rows(response) -> list[tuple]:
    assert response.status_code == 200, response.text[:300]
    assert response.is_streamed  # sent from the file, not built as one body in memory
    data = b"".join(response.response)
    assert data[:2] == b"PK" and len(data) == response.content_length
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_the_audit_export_holds_every_entry(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        audit.record_many(
            db.session,
            entity="members",
            tenant_id=world.ids["A"],
            changes=[("update", f"m{n}", {"phone": "1"}, {"phone": str(n)}) for n in range(3000)],
        )
        db.session.commit()
    response = client.get(
        f"/api/v1/tenants/{world.id('A')}/audit/export", headers=world.headers["admin_a"]
    )
    rows = _rows(response)
    assert rows[0][:3] == ("时间", "用户", "操作")
    written = [r[4] for r in rows[1:] if r[3] == "members" and r[2] == "update"]
    assert sorted(written) == sorted(f"m{n}" for n in range(3000))
    assert "audit-log.xlsx" in response.headers["Content-Disposition"]


def test_the_roster_export_holds_every_member_api_and_page(app, client, world):
    _add_members(app, world, MEMBERS)
    api = _rows(
        client.get(
            f"/api/v1/tenants/{world.id('A')}/members/export", headers=world.headers["admin_a"]
        )
    )
    login(client, "admin_a")
    page = _rows(client.get(f"/t/{world.id('A')}/members/export.xlsx"))
    for rows in (api, page):
        header = rows[1]  # under the title row
        name, phone = header.index("姓名"), header.index("联系电话")
        names = {r[name] for r in rows[2:]}
        assert {f"成员{n:04d}" for n in range(MEMBERS)} <= names
        assert "张三" in names and "李四" in names
        last = next(r for r in rows if r[name] == f"成员{MEMBERS - 1:04d}")
        assert last[phone] == "0" + str(13900000000 + MEMBERS - 1)


def test_a_report_workbook_is_streamed_and_keeps_its_layout(app, client, world):
    cycle = scored_cycle(app, client, world)
    response = client.get(
        f"{cycle.url}/reports/core.ranking.xlsx", headers=world.headers["admin_a"]
    )
    assert response.status_code == 200 and response.is_streamed
    book = load_workbook(io.BytesIO(b"".join(response.response)))
    sheet = book.worksheets[0]
    assert "考评排名表" in sheet["A1"].value
    assert "A1" in {str(r).split(":")[0] for r in sheet.merged_cells.ranges}
    names = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert "机电系第一党支部" in names and "机电系第二党支部" in names
    assert sheet.print_title_rows and sheet.freeze_panes


def test_a_download_named_in_chinese_keeps_its_header_to_latin_1(app, client, world):
    """A server writes headers in latin-1: a cycle labelled in Chinese (县's
    2021年第三季度内部观摩) put its label in the ASCII fallback name and every workbook of
    the cycle failed to download. The fallback keeps to ASCII; the name stays Chinese."""
    from urllib.parse import unquote

    from zhibu.api.downloads import disposition
    from zhibu.models import Cycle

    cycle = scored_cycle(app, client, world)
    with app.app_context(), use_scope(system_scope()):
        found = db.session.get(Cycle, (world.ids["A"], uuid.UUID(cycle.id)))
        found.label = "2021年第三季度内部观摩"
        db.session.commit()
    for key in ("core.ranking", "core.stars", "core.ledger"):
        response = client.get(f"{cycle.url}/reports/{key}.xlsx", headers=world.headers["admin_a"])
        assert response.status_code == 200, response.text[:200]
        header = response.headers["Content-Disposition"]
        header.encode("latin-1")  # what the server does: no UnicodeEncodeError
        assert "2021年第三季度内部观摩" in unquote(header.split("filename*=UTF-8''", 1)[1])
    assert disposition("花名册.xlsx", "") == (
        "attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C.xlsx"
    )
    assert 'filename="report-2021.xlsx"' in disposition("x.xlsx", 'report-2021年"第三季度.xlsx')
