"""No page or API answer grows with the cycle (issue 19): the SQL statements each request
sends are counted at two sizes of the same tenant and must be the same number.

The tenant is tenant A of the world with the tests' scheme (targets included); each size
adds branches, with members, score sheets (one with a deduction), an overdue ledger item,
and a recompute. A per-row query (one per sheet, per result, per member) shows up as a
count that grows with the data."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from reports_world import enable
from sqlalchemy import event, select
from test_web_pages import login, token_of
from world import unit_under

from zhibu.db import db
from zhibu.evaluations import compute, cycles
from zhibu.evaluations.facts import incident_kinds
from zhibu.models import (
    Incident,
    Member,
    OrgUnit,
    RectificationItem,
    ScoreItem,
    ScoreSheet,
    Tenant,
)
from zhibu.tenancy import system_scope, use_scope


class Statements:
    """Every statement the app's engine sends while active (after the request's own)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.sent: list[str] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            self.sent.append(statement)

    def of(self, call) -> tuple[object, list[str]]:
        self.sent, self.active = [], True
        try:
            answer = call()
        finally:
            self.active = False
        return answer, self.sent


def grow(app, world, cycle_id: uuid.UUID, branches: int, start: int) -> None:
    """``branches`` more branches under 机电系党总支, three members each, their sheets (the
    panel's score, the check sheet with a deduction, each member's peer score), one
    overdue ledger item and two incidents (the branch's, a member's) per branch; then the
    cycle is computed again."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        incident = list(incident_kinds(tenant))[-1]
        parent = db.session.get(OrgUnit, (tenant.id, world.ids["A-ZZ1"]))
        for n in range(start, start + branches):
            org_id = unit_under(parent, tenant.id, f"A-G{n:03d}", f"增设第{n}党支部").id
            db.session.flush()
            members = []
            for m in range(3):
                member = Member(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    org_id=org_id,
                    name=f"党员{n}-{m}",
                    archive_code=f"A-G{n:03d}-{m}",
                    gender="女",
                    birth_date=date(1990, 1, 1),
                    joined_on=date(2015, 7, 1),
                )
                members.append(member)
            db.session.add_all(members)
            db.session.flush()
            panel = ScoreSheet(
                tenant_id=tenant.id,
                cycle_id=cycle_id,
                subject_kind="org",
                subject_id=org_id,
                source="panel",
                rater="R1",
                score=80 + n % 20,
            )
            sheet = ScoreSheet(
                tenant_id=tenant.id,
                cycle_id=cycle_id,
                subject_kind="org",
                subject_id=org_id,
                source="sheet",
                rater="R1",
            )
            db.session.add_all([panel, sheet])
            db.session.flush()
            db.session.add(
                ScoreItem(
                    tenant_id=tenant.id,
                    sheet_id=sheet.id,
                    indicator="A1",
                    kind="deduction",
                    points=1 + n % 5,
                    reason=f"记录缺第{n}页",
                )
            )
            for member in members:
                db.session.add(
                    ScoreSheet(
                        tenant_id=tenant.id,
                        cycle_id=cycle_id,
                        subject_kind="member",
                        subject_id=member.id,
                        source="peer",
                        rater="R1",
                        score=70 + n % 30,
                    )
                )
            db.session.add(
                RectificationItem(
                    tenant_id=tenant.id,
                    cycle_id=cycle_id,
                    org_id=org_id,
                    origin="manual",
                    issue=f"台账缺页{n}",
                    deadline=date(2020, 1, 31),
                )
            )
            for kind, subject in (("org", org_id), ("member", members[0].id)):
                db.session.add(
                    Incident(
                        tenant_id=tenant.id,
                        subject_kind=kind,
                        subject_id=subject,
                        kind=incident,
                        occurred_on=date(2020, 3, 1) + timedelta(days=n),
                        note=f"事件{n}",
                    )
                )
        db.session.commit()
        compute.recompute(cycles.get_cycle(tenant.id, cycle_id))
        db.session.commit()


def _urls(world, cycle_id) -> dict[str, tuple[str, str | None]]:
    """name → (url, who): a page as the logged-in admin (None) or the API with a token."""
    t = world.id("A")
    c = f"/t/{t}/cycles/{cycle_id}"
    api = f"/api/v1/tenants/{t}"
    return {
        "dashboard": (f"/t/{t}/dashboard", None),
        "results page": (f"{c}/results", None),
        "results page, filtered": (f"{c}/results?track=branch&level=s4&name=支部", None),
        "results page 2": (f"{c}/results?page=2&track=branch", None),
        "member list": (f"/t/{t}/members", None),
        "sheets list": (f"/t/{t}/sheets?cycle={cycle_id}", None),
        "ledger": (f"/t/{t}/ledger", None),
        "ledger, overdue": (f"/t/{t}/ledger?overdue=1&page=2", None),
        "org tree": (f"/t/{t}/orgs", None),
        "org tree, filtered": (f"/t/{t}/orgs?q=支部&kind=branch&page=2", None),
        "users": (f"/t/{t}/users", None),
        "incidents": (f"/t/{t}/incidents", None),
        "incidents, searched": (f"/t/{t}/incidents?q=党员&subject_kind=member", None),
        "incidents, filtered": (f"/t/{t}/incidents?q=支部&since=2020-03-02&until=2020-12-31", None),
        "users, filtered": (f"/t/{t}/users?q=a&role=tenant_admin", None),
        "totals, branches": (f"{c}/totals/branch/panel", None),
        "totals, members page 2": (f"{c}/totals/member/peer?page=2", None),
        "stars chart": (f"{api}/cycles/{cycle_id}/reports/charts/stars.svg", "admin_a"),
        "results API": (f"{api}/cycles/{cycle_id}/results", "admin_a"),
        "sheets API": (f"{api}/cycles/{cycle_id}/sheets", "admin_a"),
        "summary API": (f"{api}/cycles/{cycle_id}/summary", "admin_a"),
        "members API": (f"{api}/members", "admin_a"),
    }


def _count(app, client, world, counter, urls) -> dict[str, int]:
    counts = {}
    for name, (url, who) in urls.items():
        headers = world.headers[who] if who else {}
        client.get(url, headers=headers)  # warm: caches of the app, not of the data
        answer, sent = counter.of(lambda url=url, headers=headers: client.get(url, headers=headers))
        assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
        counts[name] = len(sent)
    return counts


def open_tiny_cycle(app, world) -> uuid.UUID:
    """The tests' scheme (with its targets) enabled in tenant A, and its 2021 cycle."""
    enable(app, world.ids["A"])
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        return cycles.open_cycle(tenant, "tiny", "2021").id


@pytest.fixture
def cycle_id(app, world):
    return open_tiny_cycle(app, world)


def test_statements_per_request_do_not_grow_with_the_data(app, client, world, cycle_id):
    grow(app, world, cycle_id, branches=4, start=0)
    login(client, "admin_a")
    urls = _urls(world, cycle_id)
    with app.app_context():
        counter = Statements(db.engine)
    small = _count(app, client, world, counter, urls)
    grow(app, world, cycle_id, branches=36, start=4)
    large = _count(app, client, world, counter, urls)
    with app.app_context(), use_scope(system_scope()):
        sheets = db.session.scalar(select(db.func.count()).select_from(ScoreSheet))
    assert sheets > 150  # the larger size is ten times the smaller one
    grown = {name: (small[name], large[name]) for name in urls if small[name] != large[name]}
    assert not grown, f"statements per request (small, large) that grew: {grown}"
    assert all(count < 40 for count in large.values()), large


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_round_trip_sets_the_tenant_scope_per_request(app, world, cycle_id):
    """PostgreSQL: the scope for row-level security goes in one statement (every setting
    in one ``SELECT set_config(…), …``), once per request: the look-up of who is calling
    and what they may do reads under the tenant's own scope (the caller's role rows
    through their own-rows policy), and the writes the role grants wait for the first
    statement that writes. The pool's connections are reused from one request to the
    next."""
    grow(app, world, cycle_id, branches=2, start=0)
    page_client, api_client = app.test_client(), app.test_client()  # a cookie, a token
    login(page_client, "admin_a")
    with app.app_context():
        counter = Statements(db.engine)
        opened: list[int] = []
        event.listen(db.engine, "connect", lambda dbapi, record: opened.append(id(dbapi)))
    found = {}
    for round_ in range(2):
        for name, (url, who) in _urls(world, cycle_id).items():
            client = api_client if who else page_client
            headers = world.headers[who] if who else {}
            answer, sent = counter.of(lambda c=client, u=url, h=headers: c.get(u, headers=h))
            assert answer.status_code == 200, name
            found[name] = sum("set_config" in s for s in sent)
            assert all(s.count("set_config") == 4 for s in sent if "set_config" in s), (
                "every setting in one statement"
            )
        if round_ == 0:
            opened.clear()  # the first round may open the pool's connections
    assert found == dict.fromkeys(found, 1), found
    assert opened == [], "a request opened a new connection instead of reusing the pool's"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_write_sends_the_scope_it_may_write_before_writing(app, client, world, cycle_id):
    """A POST reads under the tenant's scope first; its first write sends the scope again,
    now with the tenant among those it may write (row-level security would refuse the
    write otherwise), and the write lands."""
    login(client, "admin_a")
    t = world.id("A")
    token = token_of(client.get(f"/t/{t}/ledger/new"))
    with app.app_context():
        counter = Statements(db.engine)
    deadline = (date.today() + timedelta(days=30)).isoformat()  # a past one is refused
    form = {"org_id": world.id("A-ZZ1"), "issue": "台账缺页", "deadline": deadline}
    answer, sent = counter.of(
        lambda: client.post(
            f"/t/{t}/ledger/new",
            data={**form, "csrf_token": token},
        )
    )
    assert answer.status_code in (200, 302, 303), answer.text[:300]
    configs = [s for s in sent if "set_config" in s]
    first_write = next(
        i for i, s in enumerate(sent) if s.lstrip().upper().startswith(("INSERT", "UPDATE"))
    )
    assert len(configs) == 2, configs
    assert any("set_config" in s for s in sent[:first_write]), "the write had no scope"
    with app.app_context(), use_scope(system_scope()):
        issues = db.session.scalars(select(RectificationItem.issue)).all()
    assert "台账缺页" in issues
