"""The world of tests/world.py with something behind every id a route takes: tenant A's
akesu_college 2021 cycle scored, computed and published (A-Z01 and A-Z02 at one star, so
their results carry a rectification plan), a dujiangyan 2021 cycle, rectification items on
A-Z01 (with a follow-up) and A-Z02, a recompute job and a stored report set; tenant B has a
cycle of its own. Extra: empty units A-X1 and A-X2, a user ``spare_a`` (assessor, whose
roles the walk grants and revokes) and ``walker`` (no role: logs in)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from world import PASSWORD, World, _org, _user, build_world

from zhibu.db import db
from zhibu.evaluations import compute, cycles, phases, sheets
from zhibu.jobs import enqueue
from zhibu.models import EvaluationResult, ReportFile, ScoreItem, ScoreSheet, Tenant
from zhibu.tenancy import Scope, system_scope, use_scope
from zhibu.tenancy.service import enable_scheme

HALF = {f"A{n}": p / 2 for n, p in enumerate((15, 15, 15, 15, 10, 10, 10, 10), start=1)}
MEMBER_ITEMS = {f"B{n}": 20 for n in range(1, 6)}
REASONS = {"A-Z01": "支部台账缺页", "A-Z02": "会议记录缺失"}


@dataclass
class Scene:
    world: World
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    job: str = ""

    def id(self, key: str) -> str:
        return str(self.ids.get(key) or self.world.ids[key])


def _branch(world, code: str, low: float) -> list[sheets.SheetInput]:
    org = world.ids[code]
    reason = [{"item": "A1", "points": 2, "reason": REASONS[code]}]
    return [
        sheets.SheetInput("org", org, "democratic", score=low),
        sheets.SheetInput("org", org, "superior", score=low),
        sheets.SheetInput("org", org, "assessment_team", "考核组1", "", None, HALF, reason),
    ]


def _member(world, code: str) -> list[sheets.SheetInput]:
    member = world.ids[code]
    return [
        sheets.SheetInput("member", member, "democratic", score=80),
        sheets.SheetInput("member", member, "committee", rater="支委会", items=MEMBER_ITEMS),
    ]


def build_scene(app) -> Scene:
    with app.app_context():
        return _build(app, build_world())


def _build(app, world: World) -> Scene:
    scene = Scene(world)
    with use_scope(system_scope()):
        a = db.session.get(Tenant, world.ids["A"])
        b = db.session.get(Tenant, world.ids["B"])
        for code in ("A-X1", "A-X2"):
            _org(world, a, code, f"备用支部{code[-1]}", "branch", "A-ZZ1")
            scene.ids[code] = world.orgs[code].id
        for username in ("spare_a", "walker"):
            role = "assessor" if username == "spare_a" else None
            user = _user(world, username, a if role else None, role)
            scene.ids[username] = user.id
        enable_scheme(a, "dujiangyan_quantified")
        enable_scheme(b, "akesu_college")
        db.session.commit()
        scene.ids["cycle_b"] = cycles.open_cycle(b, "akesu_college", "2021").id
        scene.ids["djy"] = cycles.open_cycle(a, "dujiangyan_quantified", "2021").id
        cycle = cycles.open_cycle(a, "akesu_college", "2021")
        scene.ids["cycle"] = cycle.id
        inputs = _branch(world, "A-Z01", 50) + _branch(world, "A-Z02", 50)
        inputs += _member(world, "A-M1") + _member(world, "A-M2")
        sheets.save_many(cycle, inputs)
        compute.recompute(cycle)  # results are published computed (issue 18)
        cycles.advance(cycle, "publicity")
        # the walk writes sheets, records and incidents into the published cycle: its
        # inputs are reopened (what is walked is who may write, not when; see
        # tests/test_phases.py for that)
        phases.reopen(cycle, reason="授权走查在公示期录入", actor="tests")
        for code in ("A-Z01", "A-Z02"):
            scene.ids[f"deduction {code}"] = _deduction(cycle, world.ids[code])
    admin = world.users["admin_a"]
    as_admin = Scope.for_tenants([a.id], [a.id], user_id=admin.id, username=admin.username)
    _items(app, scene)
    with app.test_request_context("/"), use_scope(as_admin):
        tenant = world.ids["A"]
        scene.job = enqueue(
            "zhibu.jobs.tasks.recompute_cycle", str(cycle.id), tenant_id=tenant, user_id=admin.id
        ).id
        enqueue("zhibu.jobs.tasks.generate_reports", str(cycle.id), tenant_id=tenant)
        scene.ids["file"] = db.session.scalar(
            select(ReportFile.id).where(ReportFile.personal.is_(False)).limit(1)
        )
    return scene


def _items(app, scene: Scene) -> None:
    """An item on A-Z01 (with a follow-up) and one on A-Z02, raised by admin_a."""
    client, base = app.test_client(), f"/api/v1/tenants/{scene.id('A')}/rectification"
    headers = scene.world.headers["admin_a"]
    for code in ("A-Z01", "A-Z02"):
        body = {"org_id": scene.id(code), "issue": f"{code} 组织生活会记录不全"}
        made = client.post(base, json=body | {"deadline": "2021-09-30"}, headers=headers)
        assert made.status_code == 201, made.json
        scene.ids[f"item {code}"] = uuid.UUID(made.json["id"])
    check = {"checked_on": "2021-07-01", "finding": "尚未整改到位", "satisfactory": False}
    url = f"{base}/{scene.id('item A-Z01')}/follow-ups"
    assert client.post(url, json=check, headers=headers).status_code == 201


def _deduction(cycle, subject_id: uuid.UUID) -> uuid.UUID:
    return db.session.scalar(
        select(ScoreItem.id)
        .join(ScoreSheet, ScoreSheet.id == ScoreItem.sheet_id)
        .where(
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.subject_id == subject_id,
            ScoreItem.kind == "deduction",
        )
    )


def result_id(app, scene: Scene, code: str, cycle: str = "cycle") -> uuid.UUID:
    """The current result of ``code`` (a recompute makes new ones)."""
    with app.app_context(), use_scope(system_scope()):
        current = compute.current_set(cycles.get_cycle(scene.world.ids["A"], scene.ids[cycle]))
        return db.session.scalar(
            select(EvaluationResult.id).where(
                EvaluationResult.result_set_id == current.id,
                EvaluationResult.subject_code == code,
            )
        )


def token_of(page) -> str:
    """The CSRF token a page carries (its ``csrf-token`` meta, or a form's field)."""
    found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', page.text)
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = token_of(client.get("/login"))
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=form)
