"""我的评分表: the score sheets an assessor or observer fills on site, offline (issue 25).

The page is a web app installable on a phone's home screen (``/manifest.webmanifest``)
with a service worker (``/sw.js``) that keeps the page and its script on the device; the
script keeps the round's sheets, rubrics and subjects (``bundle.json``), what the rater
typed and the photos taken (shrunk on the device) in the browser's IndexedDB, and sends
each sheet once the network is back (``sync``: :mod:`zhibu.evaluations.offline`), then its
photos (``photos``). Everything is served by the app itself.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.errors import Invalid, ServiceError
from zhibu.evaluations import compute, offline, phases
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.sheets import own_sources

bp = Blueprint("offline", __name__)
register_page_errors(bp)
STATIC = Path(__file__).parent / "static"


@bp.get("/manifest.webmanifest")
def manifest():
    """What a phone needs to put the app on its home screen."""
    body = {
        "name": _("支部 · 我的评分表"),
        "short_name": _("评分表"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "lang": "zh-CN",
        "icons": [
            {
                "src": url_for("pages.static", filename="icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    return current_app.response_class(
        current_app.json.dumps(body), mimetype="application/manifest+json"
    )


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the site's root so that it may serve the tenants' pages."""
    response = Response((STATIC / "sw.js").read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def _open_cycles(tenant_id: uuid.UUID) -> list:
    return [c for c in queries.cycles_of(tenant_id) if c.phase != "final"]


@bp.get("/t/<uuid:tenant_id>/offline")
@tenant_page("score")
def page(tenant_id: uuid.UUID):
    cycles = _open_cycles(tenant_id)
    return render_template("sheets/offline.html", cycles=cycles, phases=PHASE_TITLES)


@bp.get("/t/<uuid:tenant_id>/offline/bundle.json")
@tenant_page("score")
def bundle(tenant_id: uuid.UUID):
    """The caller's sheets of a round (cycle): each subject and paper sheet of their own
    (:func:`zhibu.web.sheets.own_sources`), the rubrics, and what they stored already (its
    digest, for the conflict check)."""
    cycle_id = request.args.get("cycle", type=uuid.UUID)
    cycle = cycle_or_404(tenant_id, cycle_id) if cycle_id else queries.current_cycle(tenant_id)
    if cycle is None:
        return {"cycle": None, "sheets": [], "rubrics": {}}
    definition, _settings, _version = compute.definition_for(cycle)
    stored = offline.stored_digests(cycle, g.user.username)
    found, rubrics = [], {}
    for track in definition.tracks:
        sources = own_sources(g.access, cycle, track)
        if not sources:
            continue
        kinds = set(track.subject_kinds)
        units = queries.rated(queries.units_in_reach(g.access, kinds))
        subjects = [("org", u, u.name) for u in units]
        if "member" in kinds:
            subjects += [("member", m, m.name) for m in queries.members_in_reach(g.access)]
        for source in sources:
            rubric = definition.rubric(source.rubric)
            rubrics[source.rubric] = [
                {
                    "code": i.code,
                    "title": i.title,
                    "category": i.category,
                    "max": i.max_points,
                    "additive": i.mode == "additive",
                    "guidance": i.guidance,
                }
                for i in rubric.indicators
            ]
            for kind, subject, name in subjects:
                found.append(
                    {
                        "key": f"{cycle.id}/{kind}/{subject.id}/{source.key}",
                        "kind": kind,
                        "subject_id": str(subject.id),
                        "subject": name,
                        "track": track.title,
                        "source": source.key,
                        "source_title": source.title,
                        "rubric": source.rubric,
                        "stored": stored.get((subject.id, source.key)),
                        # a closed phase's sheet is shown read-only (no queries: the
                        # cycle carries its phase and reopenings)
                        "open": phases.is_open(cycle, source, subject.id),
                    }
                )
    return {
        "cycle": {
            "id": str(cycle.id),
            "label": cycle.label,
            "phase": str(PHASE_TITLES.get(cycle.phase, cycle.phase)),
        },
        "user": g.user.username,
        "sheets": found,
        "rubrics": rubrics,
    }


def _uuid(raw, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Invalid(_("“%(field)s”不是有效的编号。", field=field), field=field) from None


@bp.post("/t/<uuid:tenant_id>/offline/sync")
@tenant_page("score")
def sync(tenant_id: uuid.UUID):
    """One sheet from a device: 200 saved (or saved before under its id), 409 changed on
    the server meanwhile (with the stored content), 4xx refused with the reason."""
    body = request.get_json(silent=True) or {}
    try:
        data = offline.OfflineSheet(
            client_id=str(body.get("client_id") or ""),
            cycle_id=_uuid(body.get("cycle_id"), "cycle_id"),
            subject_kind=str(body.get("kind") or ""),
            subject_id=_uuid(body.get("subject_id"), "subject_id"),
            source=str(body.get("source") or ""),
            based_on=str(body.get("based_on") or ""),
            deductions=list(body.get("deductions") or []),
        )
        return offline.sync_sheet(g.access, data)
    except ServiceError as exc:
        return exc.as_dict(), exc.status


@bp.post("/t/<uuid:tenant_id>/offline/photos")
@tenant_page("score")
def photo(tenant_id: uuid.UUID):
    """A deduction's photo, after its sheet was sent (shrunk on the device already)."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(_("请选择要上传的文件。"), field="file")
        return offline.attach_photo(
            g.access,
            _uuid(request.form.get("cycle_id"), "cycle_id"),
            _uuid(request.form.get("subject_id"), "subject_id"),
            request.form.get("source", ""),
            request.form.get("indicator", ""),
            request.form.get("client_id", ""),
            (upload.filename, upload.read()),
        )
    except ServiceError as exc:
        return exc.as_dict(), exc.status
