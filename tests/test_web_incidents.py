"""事件登记 at city size (issue 19), on both backends: the list a page at a time, filtered by
the database, its pager keeping the filter; the subject found by a search without any
script (at most a few units and members on the roll, never another tenant's) or typed as an
archive code; a refused form names the field, keeps what was typed and writes nothing."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from test_web_pages import login

from zhibu.accounts.access import system_access
from zhibu.db import db
from zhibu.evaluations import facts
from zhibu.models import Incident, Member, Tenant
from zhibu.tenancy import system_scope, use_scope
from zhibu.web.ledger import CHOICES, INCIDENT_PAGE


def _kinds(app, world) -> list[str]:
    with app.app_context(), use_scope(system_scope()):
        return list(facts.incident_kinds(db.session.get(Tenant, world.ids["A"])))


def _count(app, world) -> int:
    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(select(func.count()).where(Incident.tenant_id == world.ids["A"]))


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _options(page) -> list[str]:
    return re.findall(r'<option value="((?:org|member):[0-9a-f-]+)"', page.text)


def _more_members(app, world, count: int) -> None:
    with app.app_context(), use_scope(system_scope()):
        for n in range(count):
            db.session.add(
                Member(
                    tenant_id=world.ids["A"],
                    id=uuid.uuid4(),
                    org_id=world.ids["A-Z02"],
                    name=f"王同志{n:02d}",
                    archive_code=f"A-W{n:03d}",
                )
            )
        db.session.commit()


def test_the_search_offers_a_few_units_and_members_on_the_roll(app, client, world):
    _more_members(app, world, CHOICES + 5)
    with app.app_context(), use_scope(system_scope()):
        db.session.get(Member, (world.ids["A"], world.ids["A-M2"])).active = False  # 李四 left
        db.session.commit()
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/incidents"
    first = client.get(base)  # no search: the top of the tree, no member
    assert first.status_code == 200
    assert f"org:{world.id('A-DW')}" in _options(first)
    assert not [o for o in _options(first) if o.startswith("member:")]
    found = client.get(base, query_string={"q": "张"})
    assert _options(found) == [f"member:{world.id('A-M1')}"]
    assert "找到 0 个组织、1 名党员" in found.text
    by_code = client.get(base, query_string={"q": "A-M1"})
    assert f"member:{world.id('A-M1')}" in _options(by_code)
    assert f"member:{world.id('A-M2')}" not in _options(client.get(base, query_string={"q": "李"}))
    units = client.get(base, query_string={"q": "第一"})
    assert _options(units) == [f"org:{world.id('A-Z01')}"]
    many = client.get(base, query_string={"q": "王同志"})
    assert len(_options(many)) == CHOICES and "只列出前 20 个" in many.text
    other = client.get(base, query_string={"q": "王五"})  # tenant B's member
    assert _options(other) == [] and "没有找到名称或档案编码含“王五”" in other.text
    assert "乙公司" not in client.get(base, query_string={"q": "乙"}).text.split("</h1>")[-1]


def test_a_subject_chosen_or_typed_as_an_archive_code_is_registered(app, client, world):
    kind = _kinds(app, world)[0]
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/incidents"
    searched = client.get(base, query_string={"q": "张"})
    chosen = client.post(
        f"{base}?q=张",
        data={
            "csrf_token": _token(searched),
            "subject": f"member:{world.id('A-M1')}",
            "kind": kind,
            "occurred_on": "2021-05-04",
            "note": "选中的",
        },
    )
    assert chosen.status_code == 302 and chosen.location.endswith(base)
    typed = client.post(
        base,
        data={
            "csrf_token": _token(searched),
            "archive_code": " A-M2 ",
            "kind": kind,
            "occurred_on": "2021-05-05",
            "note": "按编码",
        },
    )
    assert typed.status_code == 302
    unit = client.post(
        base,
        data={
            "csrf_token": _token(searched),
            "subject": f"org:{world.id('A-Z01')}",
            "kind": kind,
            "occurred_on": "2021-05-06",
        },
    )
    assert unit.status_code == 302
    with app.app_context(), use_scope(system_scope()):
        rows = {
            i.note: (i.subject_kind, i.subject_id) for i in db.session.scalars(select(Incident))
        }
    assert rows["选中的"] == ("member", world.ids["A-M1"])
    assert rows["按编码"] == ("member", world.ids["A-M2"])
    assert rows[""] == ("org", world.ids["A-Z01"])
    listing = client.get(base)
    assert "张三" in listing.text and "李四" in listing.text and "机电系第一党支部" in listing.text


BAD = {
    "no subject": ({}, 422, "对象:请选择发生事件的组织或党员"),
    "unknown code": ({"archive_code": "A-X9"}, 422, "档案编码:本单位没有档案编码为“A-X9”的党员"),
    "left member": ({"subject": "member:{A-M2}"}, 422, "对象:党员李四(A-M2)已不在册"),
    "left member's code": ({"archive_code": "A-M2"}, 422, "档案编码:党员李四(A-M2)已不在册"),
    "another tenant's member": ({"subject": "member:{B-M1}"}, 404, "对象:本单位没有编号为"),
    "another tenant's unit": ({"subject": "org:{B-Z01}"}, 404, "对象:本单位没有编号为"),
    "another tenant's code": ({"archive_code": "B-M1"}, 422, "档案编码:本单位没有档案编码为"),
    "not a subject": ({"subject": "org:12"}, 422, "对象:“org:12”不是可选的组织或党员"),
    "code and choice differ": (
        {"subject": "org:{A-Z01}", "archive_code": "A-M1"},
        422,
        "档案编码:“A-M1”是张三的档案编码,与所选的对象不一致",
    ),
    "no date": ({"subject": "org:{A-Z01}", "occurred_on": ""}, 400, "日期:“”不是日期"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_names_the_field_keeps_the_form_and_writes_nothing(app, client, world, case):
    fields, status, message = BAD[case]
    with app.app_context(), use_scope(system_scope()):
        db.session.get(Member, (world.ids["A"], world.ids["A-M2"])).active = False
        db.session.commit()
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/incidents"
    form = {"kind": _kinds(app, world)[0], "occurred_on": "2021-05-04", "note": "留着的说明"}
    form |= {key: value.format(**world.ids) for key, value in fields.items()}
    page = client.get(base)
    refused = client.post(base, data={"csrf_token": _token(page), **form})
    assert refused.status_code == status, refused.text[:500]
    assert message in refused.text
    assert 'id="register-form"' in refused.text and 'value="留着的说明"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "subject_kind" not in refused.text.split('role="alert"')[1].split("</p>")[0]
    if form.get("subject", "").startswith("member:") and status != 404:  # chosen: kept
        assert f'value="{form["subject"]}" selected' in refused.text
    assert _count(app, world) == 0


def _many(app, world, kinds: list[str]) -> None:
    """INCIDENT_PAGE + 10 units' incidents (first kind), 5 members' (last kind)."""
    with app.app_context(), use_scope(system_scope()):
        access = system_access(world.ids["A"])
        start = date(2021, 1, 1)
        for n in range(INCIDENT_PAGE + 10):
            day = start + timedelta(days=n)
            facts.add_incident(access, "org", world.ids["A-Z01"], kinds[0], day, f"单位{n}")
        for n in range(5):
            day = date(2020, 6, 1) + timedelta(days=n)
            facts.add_incident(access, "member", world.ids["A-M1"], kinds[-1], day, f"个人{n}")


def test_the_list_is_paged_and_filtered_by_the_database(app, client, world):
    kinds = _kinds(app, world)
    _many(app, world, kinds)
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/incidents"
    rows = lambda page: page.text.count("<tr><td>20")  # noqa: E731  (a row starts with its date)
    first = client.get(base)
    assert rows(first) == INCIDENT_PAGE and "共 65 条" in first.text and "第 1 / 2 页" in first.text
    assert "单位59" in first.text and "个人0" not in first.text  # newest first
    second = client.get(base, query_string={"page": 2})
    assert rows(second) == 15 and "个人0" in second.text
    members = client.get(base, query_string={"subject_kind": "member"})
    assert rows(members) == 5 and "单位" not in members.text.split("<tbody>")[1]
    dated = client.get(base, query_string={"since": "2021-01-01", "until": "2021-01-10"})
    assert rows(dated) == 10 and "共 10 条" in dated.text
    org_kind = client.get(base, query_string={"kind": kinds[0], "subject_kind": "org"})
    assert "共 60 条" in org_kind.text
    following = re.search(r'rel="next" href="([^"]+)"', org_kind.text).group(1)
    assert "page=2" in following and f"kind={kinds[0]}" in following
    assert "subject_kind=org" in following
    assert rows(client.get(following.replace("&amp;", "&"))) == 10
    year = client.get(base, query_string={"since": "2021-01-01", "until": "2021-12-31"})
    following = re.search(r'rel="next" href="([^"]+)"', year.text).group(1)
    assert "since=2021-01-01" in following and "until=2021-12-31" in following
    assert rows(client.get(following.replace("&amp;", "&"))) == 10  # the dates kept
    nothing = client.get(base, query_string={"since": "2030-01-01"})
    assert "没有符合条件的事件。" in nothing.text and 'rel="next"' not in nothing.text
    beyond = client.get(base, query_string={"page": 10**20})
    assert beyond.status_code == 200 and rows(beyond) == 0


def test_an_overseer_pages_through_units_incidents_only(app, client, world):
    kinds = _kinds(app, world)
    _many(app, world, kinds)
    login(client, "overseer_c")
    base = f"/t/{world.id('A')}/incidents"
    page = client.get(base, query_string={"subject_kind": "member"})  # asked: ignored
    assert page.status_code == 200 and "共 60 条" in page.text
    assert "张三" not in page.text and "单位" not in page.text.split("<tbody>")[1]
    assert 'name="q"' not in page.text and "register-form" not in page.text
    assert 'name="subject_kind"' not in page.text
