"""The rectification ledger (整改台账) with overdue items highlighted, 回头看 follow-ups
and sign-off (销号); incidents (veto and downgrade events)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.accounts import policy
from zhibu.db import db
from zhibu.errors import Forbidden, Invalid, NotFound, ServiceError
from zhibu.evaluations import compute, facts, ledger
from zhibu.evidence import service as evidence
from zhibu.i18n import _l
from zhibu.models import Member, OrgUnit
from zhibu.web import queries
from zhibu.web.common import cycle_or_404
from zhibu.web.guard import register_page_errors, tenant_page, wants_json
from zhibu.web.inputs import LABELS

bp = Blueprint("rectification", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.app_template_filter("issue_text")
def _issue_text(item) -> str:
    return ledger.shown_issue(item)


def _date(field: str) -> date:
    raw = request.form.get(field, "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        label = LABELS.get(field, field)  # the form's label, not the field's key
        raise ServiceError(
            _("%(field)s:“%(raw)s”不是日期(例如 2021-06-30)。", field=label, raw=raw), field=field
        ) from None


def _deadline() -> date:
    """整改时限 from a form: a date, today or later — an item raised here is not overdue at
    birth (a rectification finished in the past is recorded through the API)."""
    deadline = _date("deadline")
    if deadline < date.today():
        raise Invalid(
            _(
                "整改时限:%(day)s 已经过去,请填今天(%(today)s)或以后的日期。",
                day=deadline.isoformat(),
                today=date.today().isoformat(),
            ),
            field="deadline",
        )
    return deadline


def uploads() -> list[tuple[str, bytes]]:
    """The files chosen in the form's ``files`` input (none chosen: none)."""
    return [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]


@bp.get("/ledger")
@tenant_page("read")
def items(tenant_id: uuid.UUID):
    """The rectification items in reach, a page at a time: all of them, or only those not
    yet signed off (``?show=open``), overdue (``?show=overdue``; ``?overdue=1`` as well) or
    signed off (``?show=signed_off``); the pager's links keep that choice."""
    today = date.today()
    show = "overdue" if request.args.get("overdue") == "1" else request.args.get("show", "")
    show = show if show in LEDGER_FILTERS else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found, total = queries.ledger_page(
        g.access,
        page,
        PAGE,
        overdue_on=today if show == "overdue" else None,
        signed_off={"open": False, "signed_off": True}.get(show),
    )
    files = evidence.of_items(tenant_id, [i.id for i in found])
    return render_template(
        "ledger/items.html",
        items=found,
        today=today,
        overdue={i.id for i in found if ledger.is_overdue(i, today)},
        units=queries.subject_names(tenant_id, {i.org_id for i in found}),
        show=show,
        filters=LEDGER_FILTERS,
        files=files,
        checks=queries.follow_ups_by_item(tenant_id, [i.id for i in found]),
        sees_files=evidence.items_seen(g.access, found),
        shared_files=evidence.items_shared(g.access, found),
        page=page,
        pages=max(1, -(-total // PAGE)),
        total=total,
    )


PAGE = 50  # items per page of the ledger

# the ledger's views (``?show=``), as its tabs name them; "" is every item
LEDGER_FILTERS = {
    "": _l("全部事项"),
    "open": _l("未销号"),
    "overdue": _l("已逾期"),
    "signed_off": _l("已销号"),
}


def _back_to_ledger(tenant_id: uuid.UUID):
    """Back to the ledger as the form left it (its tab and page: ``show``, ``page``)."""
    show = request.form.get("show", "")
    page = request.form.get("page", type=int)
    return redirect(
        url_for(
            "rectification.items",
            tenant_id=tenant_id,
            show=show if show in LEDGER_FILTERS and show else None,
            page=page if page and page > 1 else None,
        )
    )


def _on_the_ledger(tenant_id: uuid.UUID, act, done: str):
    """Do what a ledger row's form asks; a refusal (a 销号 without its evidence …) is
    said on the ledger, where the row and what else was on the page still are."""
    try:
        act()
    except ServiceError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    else:
        flash(done)
    return _back_to_ledger(tenant_id)


@bp.post("/ledger/<uuid:item_id>/evidence")
@tenant_page("ledger")
def add_evidence(tenant_id: uuid.UUID, item_id: uuid.UUID):
    """Photos and documents of the item itself (the problem as found, the plan)."""
    item = ledger.get_item(g.access, item_id)
    files = uploads()
    return _on_the_ledger(
        tenant_id,
        lambda: evidence.attach(g.access, "item", item.id, files),
        _("已上传 %(n)s 份佐证材料。", n=len(files)),
    )


@bp.get("/ledger/new")
@tenant_page("ledger")
def new_item(tenant_id: uuid.UUID):
    """Raise an item by hand; with a cycle and a unit chosen, the unit's deductions in that
    cycle, each with its own form to raise an item from it."""
    return _new_page(tenant_id)


def _new_page(tenant_id: uuid.UUID, error: ServiceError | None = None):
    """The form page; after a refusal, with the message and what was typed."""
    cycle_id = request.args.get("cycle", type=uuid.UUID)
    org_id = request.args.get("org", type=uuid.UUID)
    cycle = cycle_or_404(tenant_id, cycle_id) if cycle_id else queries.current_cycle(tenant_id)
    unit = policy.unit_in_reach(g.access, "ledger", org_id, "org") if org_id else None
    found = queries.deductions_of(cycle, [unit.id]) if cycle and unit else []
    return render_template(
        "ledger/new.html",
        source_titles=source_titles(cycle) if cycle else {},
        indicators=ledger.indicator_names(cycle, unit.kind) if cycle and unit else {},
        units=queries.units_in_reach(g.access),
        cycles=queries.cycles_of(tenant_id),
        cycle=cycle,
        unit=unit,
        deductions=found,
        by_month=any(sheet.period for _d, sheet, _raised in found),
        today=date.today(),
        error=error,
        typed=request.form if error else {},
    ), (error.status if error else 200)


def source_titles(cycle) -> dict[str, str]:
    """The cycle's score sources by key, as users read them (考核组量化打分, not its key)."""
    definition, _settings, _version = compute.definition_for(cycle)
    return {s.key: s.title for t in definition.tracks for s in t.sources}


def _item_details() -> dict:
    return {
        "deadline": _deadline(),
        "measure": request.form.get("measure", "").strip(),
        "responsible": request.form.get("responsible", "").strip(),
    }


@bp.post("/ledger/new")
@tenant_page("ledger")
def raise_item(tenant_id: uuid.UUID):
    org_id = request.form.get("org_id", type=uuid.UUID)
    try:
        if org_id is None:
            raise ServiceError(_("请选择整改的组织。"), field="org_id")
        ledger.raise_item(
            g.access,
            org_id=org_id,
            issue=request.form.get("issue", "").strip(),
            cycle_id=request.form.get("cycle_id", type=uuid.UUID),
            **_item_details(),
        )
    except ServiceError as exc:
        if isinstance(exc, NotFound | Forbidden) or wants_json():
            raise
        db.session.rollback()
        return _new_page(tenant_id, exc)
    flash(_("已登记整改事项。"))
    return redirect(url_for("rectification.items", tenant_id=tenant_id))


@bp.post("/ledger/from-deduction/<uuid:deduction_id>")
@tenant_page("ledger")
def raise_from_deduction(tenant_id: uuid.UUID, deduction_id: uuid.UUID):
    ledger.raise_from_deduction(g.access, deduction_id, **_item_details())
    flash(_("已根据扣分登记整改事项。"))
    return redirect(url_for("rectification.items", tenant_id=tenant_id))


@bp.post("/ledger/<uuid:item_id>/follow-up")
@tenant_page("ledger")
def follow_up(tenant_id: uuid.UUID, item_id: uuid.UUID):
    item = ledger.get_item(g.access, item_id)
    return _on_the_ledger(
        tenant_id,
        lambda: ledger.follow_up(
            g.access,
            item,
            checked_on=_date("checked_on"),
            finding=request.form.get("finding", ""),
            satisfactory=request.form.get("satisfactory") == "1",
            files=uploads(),
        ),
        _("已记录回头看。"),
    )


@bp.post("/ledger/<uuid:item_id>/sign-off")
@tenant_page("ledger")
def sign_off(tenant_id: uuid.UUID, item_id: uuid.UUID):
    item = ledger.get_item(g.access, item_id)
    return _on_the_ledger(
        tenant_id,
        lambda: ledger.sign_off(g.access, item, note=request.form.get("note", ""), files=uploads()),
        _("已销号。"),
    )


INCIDENT_PAGE = 50  # incidents per page of 事件登记
CHOICES = 20  # units and members a subject search offers, each


@bp.route("/incidents", methods=["GET", "POST"])
@tenant_page("whole_tree", POST="admin")
def incidents(tenant_id: uuid.UUID):
    """事件登记: the incidents a page at a time, filtered by the database (kind, subject
    kind, dates); for an admin, the form to register one, its subject (对象) found by a
    search (``q``: name or code; units and members on the roll, at most ``CHOICES`` of
    each) or typed as a member's archive code. A refused form comes back with the message
    and what was typed; nothing is written."""
    if request.method == "POST":
        form = request.form
        try:
            subject_kind, subject_id = facts.incident_subject(
                g.access, form.get("subject", ""), form.get("archive_code", "")
            )
            facts.add_incident(
                g.access,
                subject_kind,
                subject_id,
                form.get("kind", ""),
                _date("occurred_on"),
                form.get("note", ""),
            )
        except ServiceError as exc:
            if wants_json():
                raise
            db.session.rollback()
            return _incidents_page(tenant_id, exc)
        flash(_("已登记事件。"))
        return redirect(url_for("rectification.incidents", tenant_id=tenant_id))
    return _incidents_page(tenant_id)


def _incident_filter(args) -> queries.IncidentFilter:
    """The list's filter from its query arguments; a date that is not one filters
    nothing (the field shows empty)."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, "").strip())
        except ValueError:
            return None

    subject_kind = args.get("subject_kind", "")
    return queries.IncidentFilter(
        kind=args.get("kind", "").strip()[:64],
        subject_kind=subject_kind if subject_kind in ("org", "member") else "",
        since=day("since"),
        until=day("until"),
    )


def _incidents_page(tenant_id: uuid.UUID, error: ServiceError | None = None):
    kinds = facts.incident_kinds(g.tenant)
    personal = g.access.personal_data  # overseers: units' incidents only, without notes
    wanted = _incident_filter(request.args)
    if not personal:  # units' incidents only: the subject kind is not theirs to choose
        wanted = dataclasses.replace(wanted, subject_kind="")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = queries.incident_page(g.access, wanted, page, INCIDENT_PAGE)
    names = queries.subject_names(tenant_id, {i.subject_id for i in rows})
    q = request.args.get("q", "").strip()[:100]
    units, members, more = [], [], False
    typed = request.form if error else {}
    if g.access.is_admin and kinds:
        units, members, more = queries.subject_choices(g.access, q, CHOICES)
        units, members = _keep_chosen(tenant_id, typed.get("subject", ""), units, members)
    return render_template(
        "ledger/incidents.html",
        incidents=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // INCIDENT_PAGE)),
        wanted=wanted,
        query=wanted.args(),
        kinds=kinds,
        names=names,
        personal=personal,
        q=q,
        units=units,
        members=members,
        more=more,
        choices=CHOICES,
        error=error,
        typed=typed,
    ), (error.status if error else 200)


def _keep_chosen(tenant_id: uuid.UUID, chosen: str, units: list, members: list):
    """After a refusal, the subject that was chosen stays among the options (found by the
    page's script, it need not be among the search's)."""
    kind, _sep, raw = chosen.partition(":")
    try:
        subject_id = uuid.UUID(raw)
    except ValueError:
        return units, members
    if kind == "org" and all(u.id != subject_id for u in units):
        unit = db.session.get(OrgUnit, (tenant_id, subject_id))
        return ([unit, *units] if unit else units), members
    if kind == "member" and all(m.id != subject_id for m in members):
        member = db.session.get(Member, (tenant_id, subject_id))
        return units, ([member, *members] if member else members)
    return units, members
