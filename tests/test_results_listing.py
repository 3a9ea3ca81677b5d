"""The results page and the results API filter and paginate on the server (issue 19):
level, track, flag, unit, name; the page's links keep the filter."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import func, select
from test_statement_counts import grow, open_tiny_cycle
from test_web_pages import login

from zhibu.db import db
from zhibu.evaluations import compute, cycles
from zhibu.models import EvaluationResult
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def city(app, world):
    cycle_id = open_tiny_cycle(app, world)
    grow(app, world, cycle_id, branches=60, start=0)
    return cycle_id


def _count(app, world, cycle_id, *where) -> int:
    with app.app_context(), use_scope(system_scope()):
        current = compute.current_set(cycles.get_cycle(world.ids["A"], cycle_id))
        return db.session.scalar(
            select(func.count())
            .select_from(EvaluationResult)
            .where(EvaluationResult.result_set_id == current.id, *where)
        )


def _codes(page) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', page.text)


def test_the_results_page_filters_and_its_links_keep_the_filter(app, client, world, city):
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/cycles/{city}/results"
    branches = _count(app, world, city, EvaluationResult.track == "branch")
    assert branches > 50  # more than one page
    first = client.get(f"{base}?track=branch")
    assert len(_codes(first)) == 50 and f"共 {branches} 条" in first.text
    following = html.unescape(re.search(r'rel="next" href="([^"]+)"', first.text).group(1))
    assert "track=branch" in following and "page=2" in following
    second = client.get(following)
    assert len(_codes(second)) == branches - 50
    assert not set(_codes(first)) & set(_codes(second))

    five = _count(app, world, city, EvaluationResult.stars == 5)
    shown = client.get(f"{base}?level=5")
    assert f"共 {five} 条" in shown.text and shown.text.count("★★★★★") >= min(five, 50)

    named = client.get(f"{base}?name=增设第7党")
    assert _codes(named) == ["A-G007"]

    unit = client.get(f"{base}?unit={world.id('A-Z09')}")
    assert _codes(unit) == ["A-Z09"]
    under = client.get(f"{base}?unit={world.id('A-ZZ1')}&track=branch")
    assert "A-Z09" not in _codes(under) and "A-G000" in _codes(under)
    assert client.get(f"{base}?unit=not-an-id").status_code == 200  # filters to nothing


def test_the_results_api_filters_on_the_server(app, client, world, city):
    url = f"/api/v1/tenants/{world.id('A')}/cycles/{city}/results"
    auth = world.headers["admin_a"]
    four = client.get(f"{url}?level=4&subject_kind=org&page_size=100", headers=auth).json
    assert (
        four and {r["stars"] for r in four} == {4} and {r["subject_kind"] for r in four} == {"org"}
    )
    flagged = client.get(f"{url}?flag=missing_source&page_size=100", headers=auth).json
    expected = _count(
        app, world, city, func.cast(EvaluationResult.flags, db.Text).like('%"missing_source"%')
    )
    assert len(flagged) == min(expected, 100) and expected > 0
    assert all("missing_source" in r["flags"] + r["actions"] for r in flagged)
    named = client.get(f"{url}?name=党员7-", headers=auth).json
    assert {r["subject_code"] for r in named} == {f"A-G007-{m}" for m in range(3)}
    assert client.get(f"{url}?flag=x'%20or%201=1", headers=auth).json == []


def test_the_ledger_is_paginated_and_keeps_the_overdue_filter(client, world, city):
    login(client, "admin_a")
    first = client.get(f"/t/{world.id('A')}/ledger?overdue=1")
    assert first.text.count("台账缺页") == 50 and "共 60 条" in first.text
    following = html.unescape(re.search(r'rel="next" href="([^"]+)"', first.text).group(1))
    assert "show=overdue" in following and "page=2" in following
    second = client.get(following)
    assert second.text.count("台账缺页") == 10


def test_the_member_list_filters_by_unit_and_its_links_keep_it(client, world, city):
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/members"
    first = client.get(f"{base}?unit={world.id('A-ZZ1')}&q=党员")
    assert "党员0-0" in first.text and "张三" not in first.text
    following = html.unescape(re.search(r'href="([^"]*page=2[^"]*)"', first.text).group(1))
    assert f"unit={world.id('A-ZZ1')}" in following and "q=" in following
    assert "党员" in client.get(following).text
    one = client.get(f"{base}?unit={world.id('A-Z01')}")
    assert "张三" in one.text and "李四" not in one.text


def _schema_pages(app, world, cycle_id, size: int, **where) -> list[list[dict]]:
    """The set's results read whole in the lists' order, as SummarizedResultSchema dumps
    them, ``size`` to a page."""
    from zhibu.api.cycles import SummarizedResultSchema

    with app.test_request_context(), use_scope(system_scope()):
        current = compute.current_set(cycles.get_cycle(world.ids["A"], cycle_id))
        rows = db.session.scalars(
            select(EvaluationResult)
            .filter_by(result_set_id=current.id, **where)
            .order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
        ).all()
        dumped = json.loads(json.dumps(SummarizedResultSchema(many=True).dump(rows)))
    return [dumped[n : n + size] for n in range(0, len(dumped), size)]


@pytest.mark.parametrize("where", [{}, {"track": "branch"}], ids=["all", "branches"])
def test_every_page_of_the_results_api_is_its_part_of_the_whole(app, client, world, city, where):
    """A page's ids are found first, from the order's index, then its rows are read
    (listing.page_select): page by page, the API answers the set read whole, in the
    same order, nothing missed or repeated."""
    url = f"/api/v1/tenants/{world.id('A')}/cycles/{city}/results"
    expected = _schema_pages(app, world, city, 7, **where)
    assert len(expected) > 3 and expected[0][0]["summary"]["lost_points"]
    for number, page in enumerate(expected, start=1):
        asked = {"page": number, "page_size": 7, **where}
        answer = client.get(url, query_string=asked, headers=world.headers["admin_a"])
        assert answer.status_code == 200 and answer.json == page, number
        assert json.loads(answer.headers["X-Pagination"])["total"] == sum(map(len, expected))
