"""A cycle with results for the report tests: the tests' tiny scheme (with categories on
its rubric and two targets) in tenant A of the world, two branches scored with
deductions, one ledger item raised from a deduction and checked once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from tiny_scheme import TINY
from tiny_scheme import define as tiny_define
from world import enable_scheme

from zhibu.db import db
from zhibu.engine import Indicator, Rubric
from zhibu.engine.targets import Target
from zhibu.models import ScoreItem
from zhibu.tenancy import system_scope, use_scope

SHEET = Rubric(
    "sheet",
    "检查表",
    (
        Indicator("A1", "组织生活", 40, mode="deduction", category="组织建设"),
        Indicator("A2", "台账资料", 60, mode="deduction", category="基础工作"),
    ),
)
TARGETS = (
    Target("five_star", "五星支部占比", "branch", {"2021": 0.5}, stars=5),
    Target("model", "样板支部占比", "branch", {"2021": 0.3}, title_key="model"),
)
REPORT_TINY = replace(
    TINY, define=lambda s: replace(tiny_define(s), rubrics=(SHEET,)), targets=TARGETS
)
# (branch, panel score, deductions): the sheet starts at 100 and loses the points
SCORES = (
    ("A-Z01", 95, [("A1", 4, "会议记录缺失")]),
    ("A-Z02", 92, [("A1", 2, "学习记录不全"), ("A2", 5, "台账不规范")]),
)


@dataclass
class Cycle:
    base: str  # /api/v1/tenants/<A>
    url: str  # …/cycles/<id>
    id: str


def enable(app, tenant_id) -> None:
    enable_scheme(app, tenant_id, REPORT_TINY)


def scored_cycle(app, client, world, tenant="A", scores=SCORES, admin="admin_a") -> Cycle:
    enable(app, world.ids[tenant])
    base = f"/api/v1/tenants/{world.id(tenant)}"
    auth = world.headers[admin]
    made = client.post(
        f"{base}/cycles", json={"scheme_key": "tiny", "period": "2021"}, headers=auth
    )
    assert made.status_code == 201, made.json
    url = f"{base}/cycles/{made.json['id']}"
    for org, panel, taken in scores:
        for body in (
            {"source": "panel", "rater": "R1", "score": panel},
            {
                "source": "sheet",
                "rater": "R1",
                "deductions": [{"item": i, "points": p, "reason": r} for i, p, r in taken],
            },
        ):
            body |= {"subject_kind": "org", "subject_id": world.id(org)}
            saved = client.post(f"{url}/sheets", json=body, headers=auth)
            assert saved.status_code == 201, saved.json
    assert client.post(f"{url}/recompute", headers=auth).status_code == 200
    return Cycle(base, url, made.json["id"])


def raise_item(app, client, world, cycle: Cycle) -> dict:
    """An overdue item from Z02's 台账 deduction, with one unsatisfactory 回头看."""
    with app.app_context(), use_scope(system_scope()):
        deduction = db.session.scalar(select(ScoreItem.id).where(ScoreItem.indicator == "A2"))
    auth = world.headers["assessor_a"]
    item = client.post(
        f"{cycle.base}/rectification/from-deduction",
        headers=auth,
        json={
            "deduction_id": str(deduction),
            "deadline": "2020-01-31",
            "measure": "补齐台账",
            "responsible": "赵书记",
        },
    ).json
    check = client.post(
        f"{cycle.base}/rectification/{item['id']}/follow-ups",
        headers=auth,
        json={"checked_on": "2020-02-10", "finding": "仍有缺页", "satisfactory": False},
    )
    assert check.status_code == 201
    return item
