"""Totals (民主测评, 上级评价, 满意度 …): the sources without a rubric take one score per
subject. One table per track and source, subjects down the side, saved by the form through
:func:`zhibu.evaluations.sheets.save_many` (all checked first, nothing saved if one score is
refused). For admins and assessors (:func:`zhibu.accounts.policy.may_enter`); monthly
sources are on the branch's month sheet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from zhibu import engine
from zhibu.accounts import policy
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import compute, entry, phases, sheets
from zhibu.models import Cycle, Member
from zhibu.orgs.service import get_org
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("totals", __name__, url_prefix="/t/<uuid:tenant_id>/cycles/<uuid:cycle_id>")
register_page_errors(bp)

RATER = ""  # one total per subject and source: the source's result, not a person's sheet


def total_sources(access, cycle: Cycle, track: engine.Track) -> list[engine.Source]:
    """The track's sources entered as totals that the policy lets the caller enter
    (admins and assessors; a secretary those their scheme lets the branch enter)."""
    return policy.sources_to_enter(access, entry.scheme_of(cycle), track, policy.TOTAL)


def _context(cycle: Cycle, track_key: str, source_key: str):
    """The track and its source entered as a total (else 404), one the caller may enter
    (else 403)."""
    definition, _settings, _version = compute.definition_for(cycle)
    track = next((t for t in definition.tracks if t.key == track_key), None)
    source = track.source(source_key) if track else None
    if source is None or policy.entry_form(source) != policy.TOTAL:
        abort(404)
    policy.require_entry(g.access, entry.scheme_of(cycle), source)
    return track, source


def subjects_page(
    track: engine.Track, under: uuid.UUID | None, page: int, units: list | None = None
) -> tuple[list[tuple[str, object]], int]:
    """One page of the track's subjects the caller reaches (within the unit ``under`` if
    given: its units, then its members) and how many there are in all; the members of the
    page are found by the database."""
    kinds = set(track.subject_kinds)
    units = queries.units_in_reach(g.access) if units is None else units
    if under is not None:
        root = get_org(g.access.tenant_id, under)
        units = [u for u in units if u.path.startswith(root.path)]
    orgs: list[tuple[str, object]] = [("org", u) for u in queries.rated(units) if u.kind in kinds]
    start, stop = (page - 1) * TOTALS_PAGE, page * TOTALS_PAGE
    found = orgs[start:stop]
    total = len(orgs)
    if "member" in kinds:
        members = queries.visible_members(g.access).where(
            Member.active, Member.org_id.in_([u.id for u in units])
        )
        total += db.session.scalar(select(func.count()).select_from(members.subquery()))
        if len(found) < TOTALS_PAGE:
            query = queries.in_unit_order(members)
            query = query.offset(max(start - len(orgs), 0)).limit(TOTALS_PAGE - len(found))
            found += [("member", m) for m in db.session.scalars(query)]
    return found, total


TOTALS_PAGE = 100  # subjects per page of a totals table


def _page_arg(values) -> int:
    return max(values.get("page", 1, type=int) or 1, 1)


@bp.get("/totals/<track>/<source>")
@tenant_page("score")
def totals(tenant_id: uuid.UUID, cycle_id: uuid.UUID, track: str, source: str):
    """A page of the table (the pager's links keep the unit chosen); a save saves the
    page's scores."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    found_track, found = _context(cycle, track, source)
    under = request.args.get("org", type=uuid.UUID)
    page, units = _page_arg(request.args), queries.units_in_reach(g.access)
    subjects, total = subjects_page(found_track, under, page, units)
    stored = queries.sheets_by_subject(cycle, source, RATER, subjects=[s.id for _k, s in subjects])
    rows = [(kind, s, stored.get(s.id)) for kind, s in subjects]
    return _page(cycle, found_track, found, rows, under, page=page, total=total, units=units)


def _page(cycle, track, source, rows, under, refused: str = "", status: int = 200, **pager):
    page, total = pager.get("page", 1), pager.get("total", len(rows))
    return render_template(
        "sheets/totals.html",
        cycle=cycle,
        track=track,
        source=source,
        rows=rows,
        units=pager.get("units") or queries.units_in_reach(g.access),
        under=under,
        frozen=not phases.may_take(cycle, source),
        refused=refused,
        phases=PHASE_TITLES,
        page=page,
        pages=max(1, -(-total // TOTALS_PAGE)),
        total=total,
        first=(page - 1) * TOTALS_PAGE,
        query={"org": under} if under else {},
    ), status


@dataclass
class Typed:
    """A score as typed on the page (shown again when the save is refused)."""

    score: str


def parse_totals(form, subjects: list[tuple[str, object]], source: str) -> list:
    """``score-<id>`` of each subject on the page; a blank one is left as it was, one that
    is not a number is refused naming the subject."""
    inputs = []
    for kind, subject in subjects:
        raw = (form.get(f"score-{subject.id}") or "").strip()
        if not raw:
            continue
        try:
            score = float(raw)
        except ValueError:
            raise ServiceError(
                _("%(name)s:得分“%(raw)s”不是数字。", name=subject.name, raw=raw),
                field=f"score-{subject.id}",
            ) from None
        inputs.append(sheets.SheetInput(kind, subject.id, source, RATER, "", score))
    return inputs


def changed_totals(inputs: list, stored: dict) -> tuple[list, int]:
    """Of the typed scores, those that differ from the stored ones (the page shows the
    stored scores, so a save sends them all back); and how many of those are new."""
    changed, new = [], 0
    for data in inputs:
        sheet = stored.get(data.subject_id)
        if sheet is None or sheet.score is None:
            new += 1
        elif abs(sheet.score - data.score) < 1e-9:
            continue
        changed.append(data)
    return changed, new


def cleared_totals(form, subjects: list[tuple[str, object]], stored: dict) -> int:
    """How many stored scores the form sent back empty (an empty field changes nothing:
    the page says so)."""
    return sum(
        1
        for _kind, subject in subjects
        if not (form.get(f"score-{subject.id}") or "").strip()
        and getattr(stored.get(subject.id), "score", None) is not None
    )


@bp.post("/totals/<track>/<source>")
@tenant_page("score")
def save_totals(tenant_id: uuid.UUID, cycle_id: uuid.UUID, track: str, source: str):
    cycle = cycle_or_404(tenant_id, cycle_id)
    found_track, _found = _context(cycle, track, source)
    under = request.form.get("org", type=uuid.UUID)
    page = _page_arg(request.form)
    subjects, total = subjects_page(found_track, under, page)
    try:
        inputs = parse_totals(request.form, subjects, source)
        stored = queries.sheets_by_subject(
            cycle, source, RATER, subjects=[s.id for _k, s in subjects]
        )
        inputs, new = changed_totals(inputs, stored)
        saved = sheets.save_many(cycle, inputs) if inputs else 0
    except ServiceError as exc:  # drawn again as typed, with the refusal (nothing saved)
        db.session.rollback()
        typed = [(k, s, Typed(request.form.get(f"score-{s.id}", ""))) for k, s in subjects]
        return _page(
            cycle,
            found_track,
            _found,
            typed,
            under,
            exc.message,
            exc.status,
            page=page,
            total=total,
        )
    if saved:
        flash(
            _(
                "已保存 %(count)s 个得分(新填 %(new)s 个,修改 %(changed)s 个)。",
                count=saved,
                new=new,
                changed=saved - new,
            )
        )
    else:
        flash(_("得分没有改动,未保存。"))
    cleared = cleared_totals(request.form, subjects, stored)
    if cleared:
        flash(_("%(count)s 个已保存的得分被清空:留空的不改动,原得分仍保留。", count=cleared))
    return redirect(
        url_for(
            "totals.totals",
            tenant_id=tenant_id,
            cycle_id=cycle_id,
            track=track,
            source=source,
            org=under,
            page=page if page > 1 else None,
        )
    )
