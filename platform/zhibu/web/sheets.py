"""Score sheets: the list of what the caller may score, and one subject's sheet laid out
like the paper one (序号, 考核指标, 考核内容, 扣分, 扣分原因, 得分), saved as you go.

The checks are the sheet service's (a deduction needs a reason and cannot exceed its
item); the page's script repeats them as the user types, so the mistake shows at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu import engine
from zhibu.accounts import policy
from zhibu.db import db
from zhibu.errors import Conflict, Invalid, ServiceError
from zhibu.evaluations import compute, entry, phases, sheets
from zhibu.evidence import service as evidence
from zhibu.models import Cycle
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.totals import total_sources

bp = Blueprint("sheets", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


def offered_sources(access, cycle: Cycle, track: engine.Track) -> list[engine.Source]:
    """The paper sheets the caller fills for a track: sources with a rubric, entered per
    cycle (monthly ones are on the branch's month sheet), as the policy lets them enter
    them (a secretary: what the branch enters, such as its self-assessment)."""
    return policy.sources_to_enter(access, entry.scheme_of(cycle), track, policy.SHEET)


def own_sources(access, cycle: Cycle, track: engine.Track) -> list[engine.Source]:
    """The paper sheets that are the caller's own to fill (我的评分表): a secretary's, what
    the branch enters; an assessor's or administrator's, the raters' sources, without the
    branch's own sheets — its self-assessment, its months, what its committee enters about
    its members (支委会评价) — which they may still type in from 评分表 for a branch that
    handed in paper. A sheet branches enter about units beside other raters (the county's
    现场观摩打分, scored by township staff and county assessors alike) stays every rater's
    own."""
    sources = offered_sources(access, cycle, track)
    if policy.reach(access, "score") is not None:  # a secretary: all of it is theirs
        return sources
    scheme = entry.scheme_of(cycle)
    about_members = "member" in track.subject_kinds

    def branchs_own(source: engine.Source) -> bool:
        return policy.branch_enters(scheme, source) and (
            about_members or source.periodic or not source.counted
        )

    return [s for s in sources if not branchs_own(s)]


SHOWN = 200  # subjects listed per track at most: more are found by the filter


@bp.get("/sheets")
@tenant_page("score")
def index(tenant_id: uuid.UUID):
    """For the cycle (default: the current one), each sheet the caller may fill; filtered
    by name (or code) and unit, and at most :data:`SHOWN` subjects per track, so that a
    whole college or county does not come as one page of thousands of rows."""
    cycle_id = request.args.get("cycle", type=uuid.UUID)
    cycle = cycle_or_404(tenant_id, cycle_id) if cycle_id else queries.current_cycle(tenant_id)
    name = request.args.get("name", "").strip()[:100]
    reach = queries.units_in_reach(g.access)
    unit = _chosen_unit(reach, request.args.get("unit", ""))
    groups, totals, monthly = [], [], []
    if cycle is not None:
        definition, _settings, _version = compute.definition_for(cycle)
        scheme = entry.scheme_of(cycle)
        for track in definition.tracks:
            sources = offered_sources(g.access, cycle, track)
            if sources:
                subjects = _subjects(track, reach, unit, name)
                groups.append((track, sources, subjects[:SHOWN], len(subjects) > SHOWN))
            totals += [(track, s) for s in total_sources(g.access, cycle, track)]
            monthly += [
                (track, s) for s in policy.sources_to_enter(g.access, scheme, track, policy.MONTH)
            ]
    month_units = _month_units(monthly, reach, unit, name) if monthly else []
    listed = {subject.id for _t, _s, subjects, _more in groups for _kind, subject in subjects}
    return render_template(
        "sheets/index.html",
        cycle=cycle,
        cycles=queries.cycles_of(tenant_id),
        groups=groups,
        totals=totals,
        monthly=list({source.key: source for _track, source in monthly}.values()),
        month_units=month_units[:SHOWN],
        months_more=len(month_units) > SHOWN,
        name=name,
        unit=unit,
        units=[u for u in reach if not u.retired] if len(reach) > 1 else [],
        shown=SHOWN,
        phases=PHASE_TITLES,
        # a closed phase's sheets are listed as closed, read-only (no queries: the cycle
        # carries its phase and reopenings)
        takes=(lambda source, subject_id: phases.is_open(cycle, source, subject_id))
        if cycle is not None
        else None,
        takes_any=(lambda source: phases.may_take(cycle, source)) if cycle is not None else None,
        # which sheets the caller filled: 已填 · 修改 while open, 查看 once closed
        filled=queries.sheets_filled_by(cycle, g.user.username, listed) if cycle else set(),
    )


def _chosen_unit(reach: list, raw: str):
    """The unit chosen in the filter, if it is one the caller reaches (else none)."""
    return next((u for u in reach if str(u.id) == raw.strip()), None) if raw else None


def _month_units(monthly: list, reach: list, unit, name: str) -> list:
    """The units a month sheet is filled for (monthly sources): those with members of
    their own, or of a monthly track's kinds; in ``unit``'s part of the tree, if chosen,
    and whose name or code holds ``name``; one more than shown, to know there are more."""
    kinds = {k for track, _source in monthly for k in track.subject_kinds}
    holding = queries.units_holding_members(g.access) if "member" in kinds else set()
    found = [
        u
        for u in queries.rated(reach)
        if (u.id in holding or u.kind in kinds)
        and (unit is None or u.path.startswith(unit.path))
        and (name in u.name or name in u.code)
    ]
    return found[: SHOWN + 1]


def _subjects(track: engine.Track, reach: list, unit, name: str) -> list[tuple[str, object]]:
    """The track's subjects within reach (in ``unit``'s part of the tree, if chosen, and
    whose name or code holds ``name``): units, then members; one more than shown, to
    know there are more."""
    kinds = set(track.subject_kinds)
    units = queries.rated([u for u in reach if u.kind in kinds])
    within = [u for u in reach if unit is None or u.path.startswith(unit.path)]
    inside = {u.id for u in within}
    units = [u for u in units if u.id in inside and (name in u.name or name in u.code)]
    found: list[tuple[str, object]] = [("org", u) for u in units[: SHOWN + 1]]
    if "member" in kinds and len(found) <= SHOWN:
        org_ids = [u.id for u in within] if unit is not None else None
        members = queries.members_in_reach(
            g.access, org_ids, name=name, limit=SHOWN + 1 - len(found)
        )
        found += [("member", m) for m in members]
    return found


@dataclass
class Line:
    """One row of the paper sheet."""

    number: int
    indicator: engine.Indicator
    deducted: float
    reason: str
    first_of_category: int  # rows of its category when it is the first one; else 0

    @property
    def score(self) -> float:
        return max(self.indicator.max_points - self.deducted, 0.0)


def sheet_lines(rubric: engine.Rubric, items: list) -> list[Line]:
    """The rubric's rows with what the stored sheet deducted (an awarded item below its
    points counts as a deduction of the difference)."""
    awarded = {i.indicator: i.points for i in items if i.kind == "points"}
    lines = []
    for number, indicator in enumerate(rubric.indicators, start=1):
        taken = [i for i in items if i.kind == "deduction" and i.indicator == indicator.code]
        given = awarded.get(indicator.code, indicator.max_points)
        deducted = indicator.max_points - given + sum(i.points for i in taken)
        reason = ";".join(i.reason for i in taken if i.reason)
        lines.append(Line(number, indicator, round(deducted, 4), reason, 0))
    for position, line in enumerate(lines):
        category = line.indicator.category
        if position == 0 or lines[position - 1].indicator.category != category:
            span = 1
            while (
                position + span < len(lines)
                and lines[position + span].indicator.category == category
            ):
                span += 1
            line.first_of_category = span
    return lines


def _sheet_context(cycle: Cycle, kind: str, subject_id: uuid.UUID, source_key: str):
    """The subject (within the caller's reach, else 403), the source (a paper sheet of its
    track, else 404; one the caller may enter, else 403) and its rubric."""
    subject, _unit = policy.subject_in_reach(g.access, "score", kind, subject_id)
    source = entry.source_of(cycle, subject, source_key)
    if source is None or policy.entry_form(source) != policy.SHEET:
        abort(404)
    policy.require_entry(g.access, entry.scheme_of(cycle), source)
    definition, _settings, _version = compute.definition_for(cycle)
    return subject, source, definition.rubric(source.rubric)


@bp.get("/cycles/<uuid:cycle_id>/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>")
@tenant_page("score")
def sheet(tenant_id: uuid.UUID, cycle_id: uuid.UUID, kind: str, subject_id, source: str):
    """The caller's own sheet of the subject, or (``?rater=``, an administrator only)
    another rater's, read-only; with who else has filled this sheet (an administrator
    sees their totals and opens them)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    subject, found, rubric = _sheet_context(cycle, kind, subject_id, source)
    own = g.user.username
    rater = request.args.get("rater", "").strip() or own
    if rater != own:
        policy.require(g.access, "admin")
    stored, items = queries.find_sheet(cycle, subject_id, source, rater)
    if rater != own and stored is None:
        abort(404)
    others = [row for row in queries.raters_of(cycle, subject_id, source) if row.rater != rater]
    sees_others = policy.allows(g.access, "admin")
    totals = _totals(tenant_id, found, rubric, others) if sees_others else {}
    closed = not phases.is_open(cycle, found, subject_id)
    photos = evidence.files_of(tenant_id, "deduction", [stored.id] if stored else [])
    return render_template(
        "sheets/sheet.html",
        photos={ref: rows for (_sheet, ref), rows in photos.items()},
        cycle=cycle,
        subject=subject,
        kind=kind,
        source=found,
        rubric=rubric,
        lines=sheet_lines(rubric, items),
        stored=stored,
        version=stored.version if stored else 0,
        frozen=rater != own or closed,
        closed=closed,
        own=rater == own,
        rater=rater,
        others=others,
        names=queries.person_names(tenant_id, {rater, *(row.rater for row in others)}),
        sees_others=sees_others,
        totals=totals,
        phases=PHASE_TITLES,
    )


def _totals(tenant_id, source: engine.Source, rubric: engine.Rubric, rows) -> dict:
    """rater → their sheet's 合计 as the sheet page shows it (its items on the rubric, in
    the source's scale), in one query."""
    items = sheets.items_of_many(tenant_id, [row.id for row in rows])
    found = {}
    for row in rows:
        total = sum(line.score for line in sheet_lines(rubric, items.get(row.id, [])))
        if source.scale and rubric.max_points and source.scale != rubric.max_points:
            total = total * source.scale / rubric.max_points
        found[row.rater] = round(total, 2)
    return found


@bp.post("/cycles/<uuid:cycle_id>/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>/photos")
@tenant_page("score")
def photo(tenant_id: uuid.UUID, cycle_id: uuid.UUID, kind: str, subject_id, source: str):
    """A photo of a row's deduction (``indicator``, ``file``; shrunk on the device by the
    page), attached to the rater's saved sheet as the offline sheets' photos are: checked
    by content and size, shown on the row and beside the deduction in the explanation."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    _subject, found, rubric = _sheet_context(cycle, kind, subject_id, source)
    upload = request.files.get("file")
    indicator = request.form.get("indicator", "")
    try:
        if rubric.indicator(indicator) is None:
            raise Invalid(_("评分表没有指标“%(code)s”。", code=indicator), field="indicator")
        if upload is None or not upload.filename:
            raise Invalid(_("请选择要上传的文件。"), field="file")
        if not phases.is_open(cycle, found, subject_id):
            raise Conflict(_("本阶段不再接受此项录入,评分表不能修改。"), field="sheet")
        stored, _items = queries.find_sheet(cycle, subject_id, source, g.user.username)
        if stored is None:
            raise Conflict(_("请先填写扣分并保存评分表,再拍照。"), field="sheet")
        ids = evidence.attach_ids(
            g.access, "deduction", stored.id, [(upload.filename, upload.read())], ref=indicator
        )
    except ServiceError as exc:
        db.session.rollback()
        return exc.as_dict(), exc.status
    return {
        "saved": True,
        "id": str(ids[0]),
        "url": url_for("evidence.open_file", tenant_id=tenant_id, file_id=ids[0]),
        "thumb": url_for("evidence.thumbnail", tenant_id=tenant_id, file_id=ids[0]),
    }


def typed_lines(rubric: engine.Rubric, form) -> list[Line]:
    """The rubric's rows with what the form holds, as typed (a refused save keeps it)."""
    typed = sheet_lines(rubric, [])
    for line in typed:
        raw = (form.get(f"d-{line.indicator.code}") or "").strip()
        try:
            line.deducted = float(raw) if raw else 0.0
        except ValueError:
            line.deducted = 0.0
        line.reason = (form.get(f"r-{line.indicator.code}") or "").strip()
    return typed


def parse_sheet_form(rubric: engine.Rubric, form) -> tuple[dict, list[dict]]:
    """Items and deductions from the form (``d-<code>`` points, ``r-<code>`` reason); a
    value that is not a number is refused naming its row."""
    items: dict[str, float] = {}
    deductions = []
    for number, indicator in enumerate(rubric.indicators, start=1):
        raw = (form.get(f"d-{indicator.code}") or "").strip()
        reason = (form.get(f"r-{indicator.code}") or "").strip()
        try:
            points = float(raw) if raw else 0.0
        except ValueError:
            raise ServiceError(
                _(
                    "第 %(n)s 行(%(code)s):扣分“%(raw)s”不是数字。",
                    n=number,
                    code=indicator.code,
                    raw=raw,
                ),
                field=f"d-{indicator.code}",
            ) from None
        if indicator.mode == "additive":
            items[indicator.code] = indicator.max_points
        if points:
            deductions.append({"item": indicator.code, "points": points, "reason": reason})
    return items, deductions


@bp.post("/cycles/<uuid:cycle_id>/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>")
@tenant_page("score")
def save(tenant_id: uuid.UUID, cycle_id: uuid.UUID, kind: str, subject_id, source: str):
    """Save the sheet (the script posts it as the user types; without a script the button
    does). JSON answers for the script, a redirect for the form."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    subject, found, rubric = _sheet_context(cycle, kind, subject_id, source)
    wants_json = request.accept_mimetypes.best == "application/json"
    version = request.form.get("version", type=int)
    try:
        items, deductions = parse_sheet_form(rubric, request.form)
        data = sheets.SheetInput(
            kind, subject_id, source, g.user.username, "", None, items, deductions
        )
        saved = sheets.save_sheet(cycle, data, version=version)
    except ServiceError as exc:
        db.session.rollback()
        if wants_json:
            return exc.as_dict(), exc.status
        return render_template(  # the sheet as typed, with the refusal (nothing saved)
            "sheets/sheet.html",
            cycle=cycle,
            subject=subject,
            kind=kind,
            source=found,
            rubric=rubric,
            lines=typed_lines(rubric, request.form),
            stored=None,
            version=version or 0,
            frozen=False,
            closed=False,  # the typed sheet stays on the page with the refusal
            own=True,
            rater=g.user.username,
            others=[],
            names=queries.person_names(tenant_id, {g.user.username}),
            sees_others=False,
            totals={},
            refused=exc.message,
            photos={},
            phases=PHASE_TITLES,
        ), exc.status
    if wants_json:
        return {
            "saved": True,
            "id": str(saved.id),
            "version": saved.version,
            "updated_at": saved.updated_at.isoformat(),
        }
    flash(_("评分表已保存。"))
    return redirect(request.url)
