"""Reports across the tenants an overseer oversees (:func:`overseen_by`: one query for
any number of them): the indicator weakness table of a period. Only aggregates and
tenant names leave the overseen tenants: no member's data."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from zhibu import plugins
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.evaluations import compute
from zhibu.models import Cycle, Tenant
from zhibu.reports import weakness
from zhibu.reports.overview import overseen_by
from zhibu.reports.service import as_dict, result_rows
from zhibu.reports.table import ReportTable
from zhibu.tenancy.scope import Scope, use_scope


def latest_cycles(tenant_ids: list[Any], period: str | None) -> tuple[str, list[Cycle]]:
    """Per tenant and scheme, the newest cycle of ``period`` (default: the period of any of
    them that ends last, the longest of those: the year 2021 before its fourth quarter)."""
    cycles = db.session.scalars(
        select(Cycle).where(Cycle.tenant_id.in_(tenant_ids)).order_by(Cycle.created_at.desc())
    ).all()
    if not period:
        latest = max(cycles, key=lambda c: (c.ends_on, c.ends_on - c.starts_on), default=None)
        period = latest.period if latest else ""
    chosen: dict[tuple[Any, str], Cycle] = {}
    for cycle in cycles:
        if cycle.period == period:
            chosen.setdefault((cycle.tenant_id, cycle.scheme_key), cycle)
    return period, list(chosen.values())


def weakness_across(
    access: TenantAccess, period: str | None = None, today: date | None = None
) -> list[ReportTable]:
    """One weakness table per scheme and rubric, over the overseen tenants' cycles."""
    overseer = db.session.get(Tenant, access.tenant_id)
    tenants = {t.id: t for t in overseen_by(access)}
    scope = Scope.for_tenants(
        [access.tenant_id, *tenants], user_id=access.user.id, username=access.user.username
    )
    found: dict[str, dict] = {}
    with use_scope(scope):
        period, cycles = latest_cycles(list(tenants), period)
        for cycle in sorted(cycles, key=lambda c: tenants[c.tenant_id].code):
            if cycle.scheme_key not in plugins.registry().schemes:
                continue
            definition, _, _ = compute.definition_for(cycle)
            results = [as_dict(r) for r in result_rows(cycle)]
            name = tenants[cycle.tenant_id].name
            weakness.losses(definition, results, name, found.setdefault(cycle.scheme_key, {}))
    day = (today or date.today()).isoformat()
    tables = []
    for scheme_key, losses in sorted(found.items()):
        scheme = plugins.registry().schemes[scheme_key]
        title = f"{overseer.name}所辖单位指标失分分析表({period} {scheme.title})"
        tables += weakness.tables(losses, title, overseer.name, day, across=True)
    return tables or [
        ReportTable(
            title=f"{overseer.name}所辖单位指标失分分析表({period or '—'})",
            sheet="指标失分",
            issuer=overseer.name,
            date=day,
            columns=weakness.columns(True),
            rows=[],
            notes=[f"所辖 {len(tenants)} 个单位本期没有按考核指标计分的结果。"],
        )
    ]


def weakest(
    access: TenantAccess,
    period: str | None = None,
    top: int = 10,
    chosen: str = "",
    units: int = 20,
) -> list[dict[str, Any]]:
    """Per scheme, the ``top`` indicators losing the largest share of their points over
    the overseen units (units only: no member's sheet), and for ``chosen``
    (``<rubric>:<code>``) the ``units`` units that lost most on it, each with its
    tenant. The full table is :func:`weakness_across`'s download."""
    from zhibu.models import OrgUnit

    ids = [t.id for t in overseen_by(access)]
    scope = Scope.for_tenants(
        [access.tenant_id, *ids], user_id=access.user.id, username=access.user.username
    )
    found: dict[str, dict] = {}
    per_unit: dict[str, dict] = {}
    with use_scope(scope):
        names = dict(
            db.session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids))).all()
        )
        period, cycles = latest_cycles(ids, period)
        for cycle in cycles:
            if cycle.scheme_key not in plugins.registry().schemes:
                continue
            definition, _, _ = compute.definition_for(cycle)
            results = [as_dict(r) for r in result_rows(cycle) if r.subject_kind == "org"]
            into = found.setdefault(cycle.scheme_key, {})
            weakness.losses(definition, results, names.get(cycle.tenant_id, ""), into)
            if chosen and chosen.split(":", 1)[0] in {r.key for r in definition.rubrics}:
                units_of = dict(
                    db.session.execute(
                        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.tenant_id == cycle.tenant_id)
                    ).all()
                )
                mine = per_unit.setdefault(cycle.scheme_key, {})
                for r in results:
                    label = f"{names.get(cycle.tenant_id, '')} · {units_of.get(r['subject_id'])}"
                    weakness.losses(definition, [r], label, mine)
    out = []
    for scheme_key, losses in sorted(found.items()):
        ranked = sorted(
            (loss for loss in losses.values() if loss.possible),
            key=lambda loss: (-loss.lost / loss.possible, loss.rubric, loss.order),
        )
        entry = {
            "scheme": plugins.registry().schemes[scheme_key],
            "period": period,
            "rows": [
                {
                    "key": f"{loss.rubric}:{loss.code}",
                    "rubric": loss.rubric_title,
                    "code": loss.code,
                    "title": loss.title,
                    "category": loss.category,
                    "share": loss.lost / loss.possible,
                    "lost": loss.lost,
                    "mean": loss.mean,
                    "max": loss.max_points,
                    "losing": loss.losing,
                    "scored": loss.scored,
                }
                for loss in ranked[:top]
            ],
            "units": [],
        }
        picked = per_unit.get(scheme_key, {}).get(tuple(chosen.split(":", 1)))
        if picked is not None:
            entry["units"] = [
                {"unit": label, "lost": lost, "share": lost / (picked.max_points or 1)}
                for label, lost in picked.lost_by_tenant.most_common(units)
                if lost > 1e-9
            ]
            entry["picked"] = picked
        out.append(entry)
    return out
