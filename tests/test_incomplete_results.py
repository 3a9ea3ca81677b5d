"""No rule acts on a result that has no total (issue 18, item 6), on both backends: in a
new cycle of akesu_college, a 样板党支部 whose assessment is not all in is not re-checked
("复查复验 90 分以下,取消样板党支部称号" needs a total), nor downgraded by an incident, nor
given any consequence: it is shown as 评分不全 with the sources that are missing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from test_web_pages import login

from zhibu.accounts.access import system_access
from zhibu.db import db
from zhibu.evaluations import compute, cycles, facts, sheets
from zhibu.models import EvaluationResult, Tenant
from zhibu.tenancy import system_scope, use_scope


def test_a_model_branch_without_a_total_is_only_incomplete(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        before = cycles.open_cycle(tenant, "akesu_college", "2020")
        compute.store_history(
            before,
            [
                {
                    "subject": ("org", world.ids[code]),
                    "stars": 5,
                    "total": 95.0,
                    "titles": ["model_branch"],
                }
                for code in ("A-Z01", "A-Z02")
            ],
        )
        cycle = cycles.open_cycle(tenant, "akesu_college", "2021")
        z01, z02 = world.ids["A-Z01"], world.ids["A-Z02"]
        inputs = [sheets.SheetInput("org", z01, "democratic", score=70.0)]  # nothing else
        for source in ("democratic", "superior"):  # A-Z02: all in, under 90
            inputs.append(sheets.SheetInput("org", z02, source, score=70.0))
        inputs.append(
            sheets.SheetInput(
                "org",
                z02,
                "assessment_team",
                rater="考核组",
                items={f"A{n}": 8.0 for n in range(1, 9)},
            )
        )
        sheets.save_many(cycle, inputs)
        veto = next(iter(facts.incident_kinds(tenant)))  # a veto event on the incomplete one
        facts.add_incident(system_access(tenant.id), "org", z01, veto, date(2021, 6, 1))
        compute.recompute(cycle)
        results = {
            r.subject_id: r
            for r in db.session.scalars(
                select(EvaluationResult).where(
                    EvaluationResult.result_set_id == compute.current_set(cycle).id
                )
            )
        }
        cycle_id = cycle.id
    incomplete, complete = results[z01], results[z02]
    assert incomplete.total is None and incomplete.stars is None
    assert incomplete.flags == ["missing_source"] and incomplete.actions == []  # no veto
    assert incomplete.titles == []
    lines = " ".join(str(line) for line in incomplete.explanation)
    assert "考核组量化打分" in lines and "上级党组织评价" in lines and "复查复验" not in lines
    # the complete one under 90 is re-checked as the seed says
    assert complete.total is not None and complete.total < 90
    assert "model_branch_revoked" in complete.flags
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}/results")
    assert "评分不全" in page.text
