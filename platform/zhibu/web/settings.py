"""方案设置: a tenant's schemes and, for each, what the scheme lets the tenant adjust
(weights, thresholds, indicator points). Saving changed settings makes a new scheme
version, as the API does (:func:`zhibu.evaluations.versions.save_settings`); a cycle keeps
the version it started with. For the tenant's administrators and the platform
administrator."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from zhibu import plugins
from zhibu.db import db
from zhibu.engine.scheme import Adjustable
from zhibu.errors import ServiceError
from zhibu.evaluations import versions
from zhibu.models import SchemeVersion, User
from zhibu.web.activity import local_time
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.registry import kind_names

bp = Blueprint("settings", __name__, url_prefix="/t/<uuid:tenant_id>/schemes")
register_page_errors(bp)


@bp.get("")
@tenant_page("admin")
def scheme_list(tenant_id: uuid.UUID):
    loaded = plugins.registry().schemes
    schemes = [loaded[key] for key in g.tenant.scheme_keys if key in loaded]
    return render_template("settings/list.html", schemes=schemes, current=_newest(tenant_id))


@bp.route("/<string:key>", methods=["GET", "POST"])
@tenant_page("admin")
def scheme_settings(tenant_id: uuid.UUID, key: str):
    if key not in g.tenant.scheme_keys or key not in plugins.registry().schemes:
        abort(404)
    scheme = versions.scheme_of(g.tenant, key)
    current = versions.latest_version(g.tenant, key)
    values, problems, error = dict(current.settings), {}, None
    if request.method == "POST":
        values, problems = _read(scheme.settings, request.form)
        values |= {key: request.form.get(key, "") for key in problems}  # shown as typed
        if not problems:
            try:
                saved = versions.save_settings(g.tenant, key, values, request.form.get("note", ""))
            except ServiceError as exc:
                db.session.rollback()
                error = exc.message  # named by the settings' titles, in the user's language
            else:
                if saved.id == current.id:
                    flash(_("设置没有变化,仍为第 %(number)s 版。", number=saved.number))
                else:
                    flash(_("已保存为第 %(number)s 版设置。", number=saved.number))
                return redirect(url_for("settings.scheme_settings", tenant_id=tenant_id, key=key))
    return render_template(
        "settings/scheme.html",
        scheme=scheme,
        rows=[_row(scheme, s, values.get(s.key, s.default), problems) for s in scheme.settings],
        versions=_history(tenant_id, scheme),
        current=current,
        error=error,
    ), (400 if problems or error else 200)


def _read(settings: tuple[Adjustable, ...], form) -> tuple[dict[str, Any], dict[str, str]]:
    """The values of the form, and a message for each one that cannot be a value."""
    values, problems = {}, {}
    for setting in settings:
        try:
            values[setting.key] = _value(setting, form.get(setting.key))
        except ValueError as exc:
            problems[setting.key] = str(exc)
    return values, problems


def _value(setting: Adjustable, raw: str | None) -> Any:
    default = setting.default
    if isinstance(default, bool):
        return raw == "1"
    if setting.choices is not None:
        for choice in setting.choices:
            if str(choice) == raw:
                return choice
        raise ValueError(_("请从列表中选择。"))
    if isinstance(default, int | float):
        try:
            value = float((raw or "").strip())
        except ValueError:
            raise ValueError(_("请填写数字。")) from None
        if isinstance(default, int) and value.is_integer():
            value = int(value)
        if setting.minimum is not None and value < setting.minimum:
            raise ValueError(_("不能小于 %(minimum)s。", minimum=_number(setting.minimum)))
        if setting.maximum is not None and value > setting.maximum:
            raise ValueError(_("不能大于 %(maximum)s。", maximum=_number(setting.maximum)))
        return value
    return (raw or "").strip()


def _row(scheme, setting: Adjustable, value: Any, problems: dict[str, str]) -> dict:
    choices = [(str(c), _choice_name(scheme, c)) for c in setting.choices or ()]
    kind = "bool" if isinstance(setting.default, bool) else "choice" if choices else "number"
    if kind == "number" and not isinstance(setting.default, int | float):
        kind = "text"
    return {
        "key": setting.key,
        "title": setting.title,
        "kind": kind,
        "value": value,
        "default": _shown(scheme, setting, setting.default),
        "changed": value != setting.default,
        "choices": choices,
        "minimum": setting.minimum,
        "maximum": setting.maximum,
        "problem": problems.get(setting.key),
    }


def _choice_name(scheme, choice: Any) -> str:
    """A choice by its name: the scheme's label, an org kind's name, else as it is."""
    return str(scheme.labels.get(choice) or kind_names().get(choice) or choice)


def _shown(scheme, setting: Adjustable, value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if setting.choices is not None:
        return _choice_name(scheme, value)
    return _number(value) if isinstance(value, int | float) else str(value)


def _number(value: float) -> str:
    return f"{value:g}"


def _history(tenant_id: uuid.UUID, scheme) -> list[dict]:
    """Every version, newest first: when, by whom, its note, and which settings it changed
    from the version before."""
    found = db.session.scalars(
        select(SchemeVersion)
        .where(SchemeVersion.tenant_id == tenant_id, SchemeVersion.scheme_key == scheme.key)
        .order_by(SchemeVersion.number)
    ).all()
    authors = dict(
        db.session.execute(
            select(User.id, User.username).where(User.id.in_({v.user_id for v in found}))
        ).all()
    )
    titles = {s.key: s.title for s in scheme.settings}
    out, before = [], None
    for version in found:
        changed = versions.diff(before, version) if before is not None else {}
        out.append(
            {
                "number": version.number,
                "at": local_time(version.created_at),
                "by": authors.get(version.user_id, ""),
                "note": _("默认设置") if version.note == versions.DEFAULTS_NOTE else version.note,
                "changed": "、".join(titles.get(k, k) for k in changed),
            }
        )
        before = version
    return out[::-1]


def _newest(tenant_id: uuid.UUID) -> dict[str, int]:
    rows = db.session.execute(
        select(SchemeVersion.scheme_key, SchemeVersion.number).where(
            SchemeVersion.tenant_id == tenant_id
        )
    ).all()
    newest: dict[str, int] = {}
    for key, number in rows:
        newest[key] = max(number, newest.get(key, 0))
    return newest
