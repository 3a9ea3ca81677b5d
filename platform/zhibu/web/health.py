"""``/healthz``: is the database reachable, and Redis when jobs use it (compose health check)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from zhibu.db import db

bp = Blueprint("health", __name__)


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        db.session.rollback()
        return f"error: {exc.__class__.__name__}: {exc}".splitlines()[0]


def check_redis() -> str:
    if not current_app.config.get("ZHIBU_REDIS_URL"):
        return "inline"
    from zhibu.jobs import redis_connection

    try:
        redis_connection().ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}".splitlines()[0]


def check_row_level_security() -> str:
    from zhibu.tenancy.rls import bypasses_rls

    if db.engine.dialect.name != "postgresql":
        return "not applicable"
    try:
        with db.engine.connect() as connection:
            if bypasses_rls(connection):
                return "bypassed: connect as a role without SUPERUSER or BYPASSRLS"
        return "enforced"
    except Exception as exc:
        return f"unknown: {exc.__class__.__name__}"


@bp.get("/healthz")
def healthz():
    checks = {"database": check_database(), "jobs": check_redis()}
    healthy = all(value in {"ok", "inline"} for value in checks.values())
    checks["row_level_security"] = check_row_level_security()
    return jsonify(status="ok" if healthy else "error", checks=checks), (200 if healthy else 503)
