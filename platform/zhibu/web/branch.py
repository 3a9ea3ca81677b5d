"""Branch secretary: 本支部 for any cycle of the tenant (a selector): a published or final
cycle shows the branch's results, each with its ten-second summary and its 反馈单; an
open one its progress (which sheets are in, which sources are missing, the deadlines).
Always: the branch's result history over the years, its members with their published
results and the sources the branch enters for them (akesu: 支委会评价), its
self-assessment sheets, its rectification items. For schemes with monthly ("periodic")
sources, the link to the whole branch's month on one sheet (:mod:`zhibu.web.months`)."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, g, render_template, request
from sqlalchemy import func, select

from zhibu import plugins
from zhibu.db import db
from zhibu.evaluations import explain, phases, publication
from zhibu.models import ScoreSheet
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404, track_titles
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.months import periodic_sources
from zhibu.web.sheets import offered_sources

bp = Blueprint("branch", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.get("/branch")
@tenant_page("branch")
def home(tenant_id: uuid.UUID):
    units = [u for u in queries.units_in_reach(g.access) if u.path in g.access.subtrees]
    below = queries.units_in_reach(g.access)  # the secretary's units and those under them
    members = queries.members_in_reach(g.access, [u.id for u in below])
    cycles = queries.cycles_of(tenant_id)
    chosen = request.args.get("cycle", type=uuid.UUID)
    cycle = cycle_or_404(tenant_id, chosen) if chosen else queries.current_cycle(tenant_id)
    ids = [u.id for u in below] + [m.id for m in members]
    every = queries.current_results_of(g.access, ids)  # published cycles only, for them
    # a township secretary's own unit may not be rated at all (county_observation rates
    # its branches): the results shown are those of every unit in reach that has one
    history: dict[uuid.UUID, list] = {u.id: [] for u in below}
    for found, result in every:
        if result.subject_id in history:
            history[result.subject_id].append((found, result))
    results: dict[uuid.UUID, object] = {}
    summaries: dict[uuid.UUID, dict] = {}
    sheets_offered, member_sources, monthly, progress = [], [], [], []
    rated_units, rates_members, checks_members = [], True, False
    published = cycle is not None and g.access.sees_results(cycle.phase)
    if cycle is not None:
        explainer = explain.Explainer(cycle)
        for found, result in every:
            if found.id == cycle.id:
                results[result.subject_id] = result
        definition = explainer.definition
        own = {u.id for u in units}
        rated_units = [
            u for u in below if u.id in results or (u.id in own and _rated(definition, u.kind))
        ]
        for unit in rated_units:
            if unit.id in results:
                summaries[unit.id] = explainer.summary(results[unit.id])
        for unit in queries.rated(below):  # a retired or exempt unit takes no score
            track = definition.track_of_kind(unit.kind)
            for source in offered_sources(g.access, cycle, track) if track else []:
                sheets_offered.append((unit, source))
        member_track = definition.track_of_kind("member")
        rates_members = _rated(definition, "member")
        # a track without sources checks its members (enterprise_5std): a result of
        # flags, no score
        checks_members = member_track is not None and not rates_members
        if member_track is not None:
            member_sources = offered_sources(g.access, cycle, member_track)
        monthly = periodic_sources(definition)
        if not published:
            progress = _progress(cycle, definition, queries.rated(below), members)
    return render_template(
        "branch/home.html",
        units=units,
        below=below,
        rated_units=rated_units,
        rates_members=rates_members,
        checks_members=checks_members,
        members=members,
        unit_names={u.id: u.name for u in below},
        cycles=cycles,
        scheme_titles={c.scheme_key: plugins.registry().scheme(c.scheme_key).title for c in cycles},
        cycle=cycle,
        results=results,
        summaries=summaries,
        history=history,
        sheets_offered=sheets_offered,
        member_sources=member_sources,
        monthly=monthly,
        progress=progress,
        items=queries.ledger_items(g.access),
        today=date.today(),
        published=published,
        titles=track_titles(cycle) if cycle else {},
        phases=PHASE_TITLES,
        publicity=publication.in_publicity(tenant_id),
        takes=(lambda source, subject_id=None: phases.is_open(cycle, source, subject_id))
        if cycle is not None
        else None,
    )


def _rated(definition, kind: str) -> bool:
    """Whether the scheme gives a subject of this kind a result (a track with sources)."""
    track = definition.track_of_kind(kind)
    return track is not None and bool(track.sources)


def _progress(cycle, definition, units, members) -> list[dict]:
    """For an open cycle: per unit (and for the members together) each counted source of
    its track, with how many of its subjects have a sheet in and which are missing; for a
    monthly source, who has fewer months than the most anyone has (``short``)."""
    subjects = [(u.id, u.kind, u.name) for u in units]
    subjects += [(m.id, "member", m.name) for m in members]
    entered: dict[uuid.UUID, dict[str, int]] = {}  # subject → source → sheet periods
    if subjects:
        rows = db.session.execute(
            select(
                ScoreSheet.subject_id, ScoreSheet.source, func.count(ScoreSheet.period.distinct())
            )
            .where(
                ScoreSheet.tenant_id == cycle.tenant_id,
                ScoreSheet.cycle_id == cycle.id,
                ScoreSheet.subject_id.in_([s[0] for s in subjects]),
            )
            .group_by(ScoreSheet.subject_id, ScoreSheet.source)
        )
        for subject_id, source, periods in rows:
            entered.setdefault(subject_id, {})[source] = periods
    found: dict[tuple[str, str], dict] = {}
    for ident, kind, name in subjects:
        track = definition.track_of_kind(kind)
        for source in track.sources if track else ():
            if source.automatic and not source.rubric:
                continue  # computed from the activity records, nothing to enter
            row = found.setdefault(
                (track.key, source.key),
                {
                    "track": track.title,
                    "source": source.title,
                    "done": 0,
                    "missing": [],
                    "closed": not phases.may_take(cycle, source),
                    "months": {} if source.periodic else None,
                },
            )
            periods = entered.get(ident, {}).get(source.key, 0)
            if periods:
                row["done"] += 1
                if row["months"] is not None:
                    row["months"][name] = periods
            else:
                row["missing"].append(name)
    for row in found.values():
        months = row.pop("months") or {}
        most = max(months.values(), default=0)
        row["short"] = sorted((n, name) for name, n in months.items() if n < most)
    return list(found.values())
