"""Server-rendered pages (Chinese first, English switchable). Everything a page needs is
served by the app: no CDN, no JS framework.

One blueprint per area: ``pages`` (home, login), ``admin`` (组织部: dashboard, cycles,
recompute), ``results`` (results and their explanation, reports), ``registry`` (org tree,
roster import/export), ``ledger`` (rectification ledger, incidents), ``sheets`` (score
sheets), ``totals`` (one score per subject for sources without a rubric), ``branch``
(branch secretary), ``months`` (a branch's month on one sheet), ``member`` (a member's own
results), ``oversight`` (county dashboard), ``account`` (one's password; where each role
lands after login), ``users`` (用户与权限), ``activity`` (操作记录), ``settings`` (方案设置),
``platform`` (the platform administrator's tenants). Page forms are CSRF-protected; the ``/api/``
blueprints use bearer tokens for writes and are left out.
"""

from __future__ import annotations

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from zhibu.evaluations import stale
from zhibu.web import account, common, errors, headers, health, i18n, inputs, pages
from zhibu.web.guard import login_needed_json, wants_json

csrf = CSRFProtect()


def init_web(app: Flask) -> None:
    from zhibu.web import (
        activity,
        admin,
        branch,
        evidence,
        ledger,
        member,
        months,
        offline,
        oversight,
        platform,
        publication,
        registry,
        results,
        settings,
        sheets,
        totals,
        users,
    )

    # the session cookie: never readable by scripts, not sent with cross-site posts (Flask's
    # own default leaves SameSite unset); a SameSite chosen in the config is kept. Secure
    # (HTTPS only) is the setting ZHIBU_SECURE_COOKIES, on unless turned off.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    headers.init_headers(app)
    i18n.init_i18n(app)
    pages.init_session_timeout(app)
    account.init_account(app)  # after the session's user is loaded
    _init_csrf(app)  # after the session user is loaded: a timed-out form goes to login
    _init_upload_limit(app)
    inputs.init_inputs(app)  # after the session's user: a refusal is a page of theirs
    _init_error_pages(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    modules = (
        admin,
        results,
        publication,
        registry,
        ledger,
        sheets,
        totals,
        branch,
        months,
        member,
        oversight,
    )
    for module in (*modules, account, users, activity, settings, platform, evidence, offline):
        app.register_blueprint(module.bp)
    app.jinja_env.filters.update(pages.FILTERS)
    app.jinja_env.filters.update(users.FILTERS)
    app.jinja_env.filters["stale_subjects"] = stale.stale_subjects  # the out-of-date banner
    app.jinja_env.globals["role_names"] = users.service.ROLE_NAMES
    app.jinja_env.globals["unit_options"] = common.unit_options
    app.jinja_env.globals["oversight_home"] = account.oversight_home
    app.jinja_env.globals["own_unit"] = common.own_unit


def _init_csrf(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, outside /api/
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's idle limit applies
    csrf.init_app(app)

    @app.before_request
    def protect_pages() -> None:
        # an address no page has, or a method it does not take, is answered as such (404,
        # 405): nothing is done, so there is nothing to protect
        if not request.path.startswith("/api/") and request.routing_exception is None:
            csrf.protect()

    @app.errorhandler(CSRFError)
    def refused(exc: CSRFError):
        if wants_json():  # a script (the sheet's autosave): a status it can act on
            if g.get("user") is None:
                return login_needed_json()
            message = _("页面已过期,请刷新后重试。")
            return {"message": message, "reason": "csrf", "errors": {}}, 400
        if g.get("user") is None:  # the session timed out (or never was): log in again
            flash(_("页面已过期,请刷新后重试。"))
            return redirect(url_for("pages.login"))
        message = _("表单已过期或来源不明,请刷新页面后重试。")
        return render_template("error.html", code=400, message=message), 400


def _init_error_pages(app: Flask) -> None:
    from zhibu.api import api

    errors.init_error_pages(app, api.handle_http_exception)


def _init_upload_limit(app: Flask) -> None:
    """A request larger than ``MAX_CONTENT_LENGTH`` (``ZHIBU_MAX_UPLOAD_MB``) is refused
    before it is read, with a message in the user's language: JSON for the API and for
    scripts, the error page otherwise."""

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        from zhibu.api import error_body
        from zhibu.workbooks.reader import megabytes

        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        message = _(
            "上传的文件超过上限 %(limit)s,未读取;请删去多余的工作表、图片,或分几次导入。",
            limit=megabytes(limit),
        )
        if request.path.startswith("/api/") or wants_json():
            return jsonify(error_body(413, message)), 413
        return render_template("error.html", code=413, message=message), 413
