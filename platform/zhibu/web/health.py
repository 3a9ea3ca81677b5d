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
    """``enforced``; or why the database's check is off or weaker than it should be."""
    from zhibu.tenancy import rls

    if db.engine.dialect.name != "postgresql":
        return "not applicable"
    try:
        with db.engine.connect() as connection:
            if rls.bypasses_rls(connection):
                return "bypassed: connect as a role without SUPERUSER or BYPASSRLS"
            if rls.keyed(connection) and not _key_opens(connection):
                return f"{KEY_MISSING}: run `zhibu db upgrade` with this ZHIBU_SECRET_KEY"
            if rls.owns_tables(connection):
                return "enforced, but the app's role owns the tables: give it a runtime role"
        return "enforced"
    except Exception as exc:
        return f"unknown: {exc.__class__.__name__}"


KEY_MISSING = "all-tenant key not stored"


def _key_opens(connection) -> bool:
    key = current_app.config.get("ZHIBU_ALL_TENANTS_KEY") or ""
    query = text("SELECT set_config('zhibu.all_tenants', :key, true), zhibu_all_tenants()")
    return bool(connection.execute(query, {"key": key}).one()[1])


@bp.get("/healthz")
def healthz():
    checks = {"database": check_database(), "jobs": check_redis()}
    healthy = all(value in {"ok", "inline"} for value in checks.values())
    checks["row_level_security"] = check_row_level_security()
    healthy = healthy and not checks["row_level_security"].startswith(KEY_MISSING)
    return jsonify(status="ok" if healthy else "error", checks=checks), (200 if healthy else 503)
