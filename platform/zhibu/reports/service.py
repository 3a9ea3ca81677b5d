"""Build a cycle's reports: load the data once, in bulk, and hand it to the builders."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from zhibu.app import plugin_registry
from zhibu.db import db
from zhibu.errors import NotFound
from zhibu.evaluations import compute
from zhibu.models import Cycle, Member, OrgUnit, Tenant
from zhibu.reports.table import ReportData

UNIT_FIELDS = ("id", "code", "name", "kind", "parent_id", "retired", "exempt", "status")
MEMBER_FIELDS = (
    "id",
    "archive_code",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "joined_on",
    "full_member_on",
    "position",
    "education",
    "org_id",
    "status",
    "category",
)


def builders_for(cycle: Cycle) -> dict:
    return {
        key: b
        for key, b in plugin_registry().contributions["reports"].items()
        if not b.schemes or cycle.scheme_key in b.schemes
    }


def builder(cycle: Cycle, key: str):
    found = builders_for(cycle).get(key)
    if found is None:
        raise NotFound(
            f"no report {key!r} for {cycle.scheme_key} "
            f"(there are: {', '.join(sorted(builders_for(cycle))) or 'none'})"
        )
    return found


def report_data(cycle: Cycle, today: date | None = None) -> ReportData:
    tenant = db.session.get(Tenant, cycle.tenant_id)
    units = {
        row.id: dict(zip(UNIT_FIELDS, row, strict=True))
        for row in db.session.execute(
            select(*(getattr(OrgUnit, f) for f in UNIT_FIELDS)).where(
                OrgUnit.tenant_id == cycle.tenant_id
            )
        )
    }
    members = {
        row.id: dict(zip(MEMBER_FIELDS, row, strict=True))
        for row in db.session.execute(
            select(*(getattr(Member, f) for f in MEMBER_FIELDS)).where(
                Member.tenant_id == cycle.tenant_id
            )
        )
    }
    results = [
        {
            "subject_kind": r.subject_kind,
            "subject_id": r.subject_id,
            "code": r.subject_code,
            "kind": r.kind,
            "track": r.track,
            "rated": r.rated,
            "total": r.total,
            "stars": r.stars,
            "grade": r.grade,
            "titles": r.titles,
            "flags": r.flags,
            "actions": r.actions,
            "scores": r.source_scores,
            "rank": r.rank,
            "explanation": compute.explanation_of(r),
        }
        for r in compute.results_of(cycle)
    ]
    return ReportData(
        tenant,
        cycle,
        units,
        members,
        results,
        compute.summary(cycle),
        (today or date.today()).isoformat(),
    )


def build(cycle: Cycle, key: str):
    """The tables of one report, and its title."""
    found = builder(cycle, key)
    return found.build(report_data(cycle)), found.title
