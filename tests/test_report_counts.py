"""The star distribution (星级分布) and the target progress (目标完成进度) reports count
the results by level and unit in the database (issue 19: a city's 62,000 results are not
read, decoded and counted one by one for a table of counts). What they print is what
counting every result one by one prints: on each demo tenant's cycles, for a reader who
sees members and for one who sees units only (an overseer).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations import compute
from zhibu.models import Cycle
from zhibu.reports import service
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def app(demo_app):
    return demo_app


def printed(tables) -> list:
    return [
        (t.title, t.sheet, [(c.key, c.header, c.group) for c in t.columns], t.rows, t.notes)
        for t in tables
    ]


def cycles_with_results(app) -> list:
    with app.app_context(), use_scope(system_scope()):
        cycles = db.session.scalars(select(Cycle).order_by(Cycle.period)).all()
        return [(c.tenant_id, c.id) for c in cycles if compute.current_set(c) is not None]


def one_by_one(cycle, key: str, personal: bool) -> list:
    """The report from every result read (what the builders did before)."""
    data = service.report_data(cycle, personal=personal)
    assert "results" in data.__dict__  # read: the counts come from them, in Python
    return printed(service.builder(cycle, key).build(data))


def test_counted_reports_print_what_counting_each_result_prints(app):
    found = cycles_with_results(app)
    assert len(found) >= 4  # every demo scheme's cycles
    compared = 0
    for tenant_id, cycle_id in found:
        with app.app_context(), use_scope(system_scope()):
            cycle = db.session.get(Cycle, (tenant_id, cycle_id))
            for key in ("core.stars", "core.progress"):
                if key not in service.builders_for(cycle):
                    continue
                for personal in (True, False):
                    tables, _title = service.build(cycle, key, personal=personal)
                    assert printed(tables) == one_by_one(cycle, key, personal), (
                        cycle.scheme_key,
                        cycle.period,
                        key,
                        personal,
                    )
                    compared += 1
    assert compared >= 8


def test_the_database_counts_each_unit_as_the_results_do(app):
    """Every (level, unit) group and its count, from the database and from the results:
    members under their branch, branches under the unit above them."""
    for tenant_id, cycle_id in cycles_with_results(app):
        with app.app_context(), use_scope(system_scope()):
            cycle = db.session.get(Cycle, (tenant_id, cycle_id))
            data = service.report_data(cycle)
            by_database = compute.count_levels_by_unit(compute.current_set(cycle))

            def key(row):
                return sorted((k, repr(v)) for k, v in row.items())

            assert sorted(map(key, by_database)) == sorted(map(key, data.levels_by_unit()))
            assert sum(r["count"] for r in by_database) == len(data.results)
            members = [r for r in by_database if r["subject_kind"] == "member"]
            assert all(r["parent_id"] is not None for r in members)
            units_only = compute.count_levels_by_unit(compute.current_set(cycle), "org")
            assert {r["subject_kind"] for r in units_only} <= {"org"}
