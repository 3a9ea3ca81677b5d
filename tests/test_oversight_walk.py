"""Issue 23, item 6: an overseer reads, never writes, and never sees personal data.

Both walks start from the app's URL map, not from a list kept by hand: every rule and
method is requested as ``overseer_c`` (a county department's overseer reading tenant A
through its oversight link, and in its own tenant C). The ids a rule takes come from the
scene of tests/authz_scene.py (every id names something real) and the bodies from the
authorization walk's cases, which tests/test_authz_walk.py keeps equal to the URL map.

- Every write (POST, PUT, PATCH, DELETE) is refused, and leaves every table as it was.
- No answer to a read — page, API answer, every report of every kind the cycle's scheme
  offers as .xlsx and as HTML, every stored report file, every oversight export — holds
  the name of a member of an overseen tenant, nor their phone number.

On both backends.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

from authz_scene import login
from sqlalchemy import select
from test_authz_walk import CASES, WRITES, Walk, answer_of, snapshot
from test_authz_walk import walk as walk  # the fixture

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import Member, ReportFile
from zhibu.reports import service as report_service
from zhibu.tenancy import system_scope, use_scope

OVERSEER = "overseer_c"
# one's own session, token and password: the overseer's own, not a tenant's data
OWN = {"/login", "/logout", "/password", "/api/v1/auth/tokens", "/api/v1/me/password"}
PHONE = "13912345678"  # every member of the world has it


def routes(app, methods) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & methods
        if not rule.rule.startswith(("/static", "/api/swagger-ui", "/api/docs-static"))
    )


def case_of(method: str, rule: str):
    """The authorization walk's case for the route (its body, ids it makes), or a bare
    one; tenant C for the oversight pages, A for everything else."""
    from test_authz_walk import Case

    found = [c for c in CASES if (c.method, c.rule) == (method, rule)]
    return found[0] if found else Case(method, rule, "read")


def ready(walk: Walk, method: str, rule: str, case=None, **values):
    """The request as the overseer, its ids made: to be sent."""
    from test_authz_walk import request

    case = case or case_of(method, rule)
    if values:
        case = type(case)(**{**case.__dict__, "path": {**case.path, **values}})
    return request(walk, case, OVERSEER)


def send(walk: Walk, method: str, rule: str, case=None, **values):
    return ready(walk, method, rule, case, **values)()


def text_of(response) -> str:
    """What a reader sees in the answer: the body, or every part of a workbook."""
    body = response.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    text = body.decode("utf-8", "replace")
    if response.is_json:  # "\u5f20\u4e09" is 张三 too
        return json.dumps(response.get_json(silent=True), ensure_ascii=False) + text
    return text


def members_of_a(app, walk: Walk) -> list[str]:
    """The names of tenant A's members, and their phone number."""
    with app.app_context(), use_scope(system_scope()):
        names = db.session.scalars(
            select(Member.name).where(Member.tenant_id == walk.scene.world.ids["A"])
        ).all()
    assert {"张三", "李四"} <= set(names)
    return [*names, PHONE]


def test_the_overseer_is_refused_every_write(app, walk):
    """Every write route of the URL map, as the overseer: refused, and nothing written."""
    found, wrote = [], []
    for method, rule in routes(app, WRITES):
        if rule in OWN:
            continue  # one's own session, token and password: not the tenant's data
        tenant = "C" if "/oversight" in rule and "platform" not in rule else "A"
        case = case_of(method, rule)
        if case.tenant not in (None, tenant):
            case = type(case)(**{**case.__dict__, "tenant": tenant})
        made = ready(walk, method, rule, case)
        before = snapshot(app)
        answer = answer_of(made())
        if answer not in ("403", "404", "login"):
            found.append(f"{method} {rule}: {answer}")
        if snapshot(app) != before:
            wrote.append(f"{method} {rule}")
    assert found == [], "an overseer may not write:\n" + "\n".join(found)
    assert wrote == [], "refused, and yet the database changed:\n" + "\n".join(wrote)
    assert len(routes(app, WRITES)) > 60  # the walk walked the map, not a handful


def test_no_answer_to_an_overseer_carries_a_members_name(app, walk):
    """Every read route of the URL map as the overseer (tenant A through the link, and
    its own tenant C), every report kind of the cycle in both formats and every stored
    file: not one member's name or phone number in any answer."""
    names = members_of_a(app, walk)
    seen, leaks, read = [], [], 0

    def look(what: str, response) -> None:
        nonlocal read
        if response.status_code == 200:
            read += 1
        body = text_of(response)
        leaks.extend(f"{what}: {name}" for name in names if name in body)
        seen.append(what)

    for method, rule in routes(app, {"GET"}):
        for tenant in ("A", "C"):
            case = case_of(method, rule)
            case = type(case)(**{**case.__dict__, "tenant": tenant, "unlike": {}})
            look(f"{rule} [{tenant}]", send(walk, method, rule, case))
    kinds = {}
    with app.app_context(), use_scope(system_scope()):
        for name in ("cycle", "djy"):  # akesu_college's and dujiangyan_quantified's
            cycle = cycles.get_cycle(walk.scene.world.ids["A"], walk.scene.ids[name])
            kinds[str(cycle.id)] = sorted(report_service.builders_for(cycle))
        files = db.session.scalars(select(ReportFile.id)).all()
    report = "/api/v1/tenants/<uuid:tenant_id>/cycles/<uuid:cycle_id>/reports"
    for cycle_id, keys in kinds.items():
        for key, fmt in ((k, f) for k in keys for f in ("xlsx", "html")):
            rule = f"{report}/<string:key>.<any(xlsx, html):fmt>"
            answer = send(walk, "GET", rule, key=key, fmt=fmt, cycle_id=cycle_id)
            look(f"report {key}.{fmt}", answer)
    for file_id in files:
        look(
            f"file {file_id}", send(walk, "GET", f"{report}/files/<uuid:file_id>", file_id=file_id)
        )
    assert leaks == [], "personal data shown to an overseer:\n" + "\n".join(leaks)
    assert sum(map(len, kinds.values())) >= 18 and files and read > 40


def test_the_walk_would_see_a_name(app, walk):
    """The same look, as the tenant's administrator, finds the names (the check can
    fail)."""
    names = members_of_a(app, walk)
    client = app.test_client()
    assert login(client, "admin_a").status_code == 302
    page = client.get(f"/t/{walk.id('A')}/members")
    assert page.status_code == 200 and "张三" in text_of(page)
    url = f"/api/v1/tenants/{walk.id('A')}/cycles/{walk.id('cycle')}/reports"
    book = client.get(f"{url}/akesu_college.member_summary.xlsx", headers=walk.bearer("admin_a"))
    assert book.status_code == 200 and {"张三", "李四"} <= set(names)
    assert re.search("张三", text_of(book)) and re.search("李四", text_of(book))
