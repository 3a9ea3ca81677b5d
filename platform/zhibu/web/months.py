"""A branch's month on one sheet, for every monthly ("periodic") source of a scheme: each
subject the source rates within the branch, one line per deduction (indicator, points,
reason) plus a blank line, and a score where the source takes one.

Two services save it, both all or nothing:

- a scheme whose plugin keeps its own month service (``Scheme.month_entry``, today
  ``dujiangyan_quantified.months``, which the plugin's API and month workbook use too) is
  served through it: who is on the month's sheet (members by their unit in that month,
  through transfers; not yet joined, left, exempt and retired members left out), a row
  gives a score or deductions, a member with neither is not recorded that month;
- any other monthly scheme through the core :func:`zhibu.evaluations.sheets.save_many`:
  the branch's active units of the track's kinds and its current members, a subject
  without deductions gets a full-marks sheet.

A refused month is drawn again with what was typed and every problem, each naming its row
(the subject); nothing is saved.
"""

from __future__ import annotations

import importlib
import uuid
from collections import defaultdict
from types import ModuleType

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu import engine, plugins
from zhibu.accounts import policy
from zhibu.db import db
from zhibu.engine import sheets as engine_sheets
from zhibu.errors import Conflict, ServiceError
from zhibu.evaluations import compute, entry, phases, sheets
from zhibu.models import Cycle, OrgUnit
from zhibu.web import queries
from zhibu.web.common import cycle_or_404
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("months", __name__, url_prefix="/t/<uuid:tenant_id>/cycles/<uuid:cycle_id>/month")
register_page_errors(bp)


# scheme key → the plugin module with its own month service (SOURCE, load_sheet,
# save_month, MonthRow, MonthRejected, month_cycle)
def periodic_sources(definition: engine.Definition) -> list[tuple[engine.Track, engine.Source]]:
    return [(t, s) for t in definition.tracks for s in t.sources if s.periodic]


def months_of(cycle: Cycle) -> list[str]:
    months, year, month = [], cycle.starts_on.year, cycle.starts_on.month
    while (year, month) <= (cycle.ends_on.year, cycle.ends_on.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def plugin_service(cycle: Cycle, source: engine.Source) -> ModuleType | None:
    scheme = plugins.registry().schemes.get(cycle.scheme_key)
    name = scheme.month_entry if scheme is not None else ""
    module = importlib.import_module(name) if name else None
    return module if module is not None and source.key == module.SOURCE else None


def _context(cycle: Cycle, org_id: uuid.UUID, source_key: str):
    """The unit (within the caller's reach, else 403), the monthly source (else 404) as the
    policy lets the caller enter it, its rubric and the month asked for."""
    unit = policy.unit_in_reach(g.access, "score", org_id)
    definition, _settings, _version = compute.definition_for(cycle)
    found = [(t, s) for t, s in periodic_sources(definition) if s.key == source_key]
    if not found:
        abort(404)
    track, source = found[0]
    policy.require_entry(g.access, entry.scheme_of(cycle), source)
    period = request.values.get("period") or months_of(cycle)[0]
    if period not in months_of(cycle):
        raise ServiceError(_("%(period)s 不在本周期内。", period=period), field="period")
    return unit, track, source, definition.rubric(source.rubric), period


def _row(kind: str, subject_id, name: str, code: str, score=None, deductions=()) -> dict:
    return {
        "kind": kind,
        "id": str(subject_id),
        "name": name,
        "code": code,
        "score": score,
        "deductions": list(deductions),
    }


def generic_rows(cycle, unit: OrgUnit, track, source, period) -> list[dict]:
    """The branch's units of the track's kinds and its members, with their stored month."""
    units = [u for u in queries.units_in_reach(g.access) if u.path.startswith(unit.path)]
    subjects = [("org", u, u.code) for u in queries.rated(units) if u.kind in track.subject_kinds]
    if "member" in track.subject_kinds:
        members = queries.members_in_reach(g.access, [u.id for u in units])
        subjects += [("member", m, m.archive_code) for m in members]
    stored = queries.sheets_by_subject(cycle, source.key, "", period)
    rows = []
    for kind, subject, code in subjects:
        sheet = stored.get(subject.id)
        items = sheets.items_of(sheet) if sheet else []
        taken = [
            {"item": i.indicator, "points": i.points, "reason": i.reason}
            for i in items
            if i.kind == "deduction"
        ]
        rows.append(_row(kind, subject.id, subject.name, code, sheet and sheet.score, taken))
    return rows


def plugin_rows(service: ModuleType, cycle, unit: OrgUnit, rubric, period) -> list[dict]:
    """The plugin's month sheet: who was in the branch that month, and what is entered (an
    indicator kept below its points shows as a deduction of the difference)."""
    sheet = service.load_sheet(cycle.tenant_id, unit.id, period)
    if sheet.cycle.id != cycle.id:
        abort(404)
    rows = []
    for person in sheet.people:
        entry = sheet.entered.get(person.id)
        taken = list(entry.deductions) if entry else []
        for code, kept in (entry.items if entry else {}).items():
            indicator = rubric.indicator(code)
            lost = (indicator.max_points if indicator else kept) - kept
            taken.append({"item": code, "points": lost, "reason": ""})
        score = entry.score if entry else None
        rows.append(_row("member", person.id, person.name, person.archive_code, score, taken))
    return rows


def _rows(cycle, unit, track, source, rubric, period) -> tuple[object | None, list[dict]]:
    """The month's rows, from the scheme's own month service if it has one (and that
    service), else from the core's sheets."""
    service = plugin_service(cycle, source)
    if service is not None:
        return service, plugin_rows(service, cycle, unit, rubric, period)
    return None, generic_rows(cycle, unit, track, source, period)


def counted(source: engine.Source, rubric: engine.Rubric | None, row: dict) -> float | None:
    """A row of deductions only: the month's score as the engine counts it from them (what
    the sheet shows beside the empty score box); None where a score was typed."""
    if rubric is None or row["score"] is not None or not row["deductions"]:
        return None
    taken = [
        (engine.Deduction(d["item"], float(d["points"]), d["reason"] or ""), "")
        for d in row["deductions"]
        if d.get("item") and d.get("points") is not None
    ]
    sheet = engine_sheets.RaterSheet(row["id"], source.key, "", None, deductions=taken)
    value, _lines = engine_sheets.sheet_value(sheet, source, rubric)
    return value


@bp.get("/<uuid:org_id>/<source>")
@tenant_page("score")
def month(tenant_id: uuid.UUID, cycle_id: uuid.UUID, org_id: uuid.UUID, source: str):
    cycle = cycle_or_404(tenant_id, cycle_id)
    unit, track, found, rubric, period = _context(cycle, org_id, source)
    service, rows = _rows(cycle, unit, track, found, rubric, period)
    return _page(cycle, unit, found, rubric, period, rows, service is not None, [])


def _page(cycle, unit, source, rubric, period, rows, scored, problems, status=200):
    for row in rows:  # a refused sheet is drawn as typed: nothing counted from it
        row["counted"] = None if problems else counted(source, rubric, row)
    return render_template(
        "branch/month.html",
        cycle=cycle,
        unit=unit,
        source=source,
        rubric=rubric,
        scored=scored or rubric is None,
        period=period,
        months=months_of(cycle),
        rows=rows,
        problems=problems,
        # the unit's month: taken in its phase, or with the cycle or the unit reopened
        frozen=not phases.is_open(cycle, source, unit.id),
    ), status


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def parse_month_form(form, names: dict[str, str]) -> tuple[dict[str, dict], list[str]]:
    """subject id → its ``score`` and ``deductions`` as typed (lines ``s-N`` subject,
    ``item-N``, ``pts-N``, ``why-N``; ``score-<id>``), and the values that are not numbers,
    each naming its subject. A line without points is blank."""
    entries: dict[str, dict] = defaultdict(lambda: {"score": None, "deductions": []})
    problems = []
    for key in form:
        if key.startswith("s-"):
            n, subject = key[2:], form[key]
            raw = (form.get(f"pts-{n}") or "").strip()
            if not raw:
                continue
            points = _number(raw)
            if points is None:
                name = names.get(subject, subject)
                problems.append(_("%(name)s:扣分“%(raw)s”不是数字。", name=name, raw=raw))
                continue
            line = {"item": form.get(f"item-{n}", ""), "points": points}
            reason = (form.get(f"why-{n}") or "").strip()
            entries[subject]["deductions"].append(line | {"reason": reason})
        elif key.startswith("score-") and (raw := (form.get(key) or "").strip()):
            subject = key[6:]
            entries[subject]["score"] = _number(raw)
            if entries[subject]["score"] is None:
                name = names.get(subject, subject)
                problems.append(_("%(name)s:得分“%(raw)s”不是数字。", name=name, raw=raw))
    return dict(entries), problems


def save_generic(cycle, unit, rows, rubric, source, period, entries) -> tuple[int, list[str]]:
    """One sheet per subject of the unit's page (full marks without deductions; with no
    rubric, the subjects given a score) through ``sheets.save_many``."""
    if set(entries) - {r["id"] for r in rows}:
        abort(403)
    inputs = []
    for row in rows:
        entry = entries.get(row["id"], {"score": None, "deductions": []})
        if rubric is None and entry["score"] is None:
            continue
        data = sheets.SheetInput(row["kind"], uuid.UUID(row["id"]), source.key, "", period)
        data.score, data.deductions = entry["score"], entry["deductions"]
        inputs.append(data)
    try:
        return (sheets.save_many(cycle, inputs, unit.id) if inputs else 0), []
    except Conflict:
        raise  # a closed phase: the page says so with 409
    except ServiceError as exc:
        details = exc.errors.get("sheets") if isinstance(exc.errors, dict) else None
        return 0, list(details or [exc.message])


def save_plugin(service, cycle, unit, period, entries, names) -> tuple[int, list[str]]:
    """The rows with anything entered through the plugin's ``save_month``; its problems
    come back by row, told here by the member's name."""
    if service.month_cycle(cycle.tenant_id, period).id != cycle.id:
        abort(404)
    given = [(s, e) for s, e in entries.items() if e["score"] is not None or e["deductions"]]
    rows = [
        service.MonthRow(member_id=_uuid(s), score=e["score"], deductions=e["deductions"])
        for s, e in given
    ]
    try:
        return service.save_month(cycle.tenant_id, unit.id, period, rows)["saved"], []
    except service.MonthRejected as exc:
        named = [(names.get(given[p.row - 1][0]), p.message) for p in exc.problems]
        return 0, [f"{name}:{message}" if name else message for name, message in named]


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        abort(404)


@bp.post("/<uuid:org_id>/<source>")
@tenant_page("score")
def save_month(tenant_id: uuid.UUID, cycle_id: uuid.UUID, org_id: uuid.UUID, source: str):
    """Save the whole month at once, or nothing: a refused month is drawn again (422) with
    what was typed and every problem, each naming its row."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    unit, track, found, rubric, period = _context(cycle, org_id, source)
    service, rows = _rows(cycle, unit, track, found, rubric, period)
    names = {r["id"]: r["name"] for r in rows}
    entries, problems = parse_month_form(request.form, names)
    status = 422
    try:
        if not problems and service is not None:
            saved, problems = save_plugin(service, cycle, unit, period, entries, names)
        elif not problems:
            saved, problems = save_generic(cycle, unit, rows, rubric, found, period, entries)
    except Conflict as exc:  # the phase is closed: drawn again as typed, nothing saved
        db.session.rollback()
        problems, status = [exc.message], exc.status
    if problems:
        empty = {"score": None, "deductions": []}
        typed = [r | entries.get(r["id"], empty) for r in rows]
        scored = service is not None
        return _page(cycle, unit, found, rubric, period, typed, scored, problems, status)
    flash(_("已保存 %(period)s 的 %(count)s 张评分表。", period=period, count=saved))
    return redirect(
        url_for(
            "months.month",
            tenant_id=tenant_id,
            cycle_id=cycle_id,
            org_id=org_id,
            source=source,
            period=period,
        )
    )
