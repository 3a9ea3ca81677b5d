"""The REST API under ``/api/v1``: flask-smorest blueprints with marshmallow schemas.

Errors are JSON: ``{"code", "status", "message", "errors": {field: [messages]}}``.
"""

from __future__ import annotations

from flask import Flask, jsonify
from flask_smorest import Api
from werkzeug.http import HTTP_STATUS_CODES

from zhibu import __version__
from zhibu.errors import ServiceError
from zhibu.tenancy.scope import TenantScopeError

api = Api()


def init_api(app: Flask) -> None:
    from zhibu.api import (
        audit,
        auth,
        cycles,
        docs,
        facts,
        jobs,
        ledger,
        members,
        orgs,
        publications,
        reports,
        schemes,
        tenants,
        users,
        versions,
    )

    app.config.setdefault("API_TITLE", "Zhibu API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"x-zhibu-version": __version__},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    docs.configure(app)
    api.init_app(app)
    docs.init_app(app)
    resources = (
        auth,
        schemes,
        tenants,
        orgs,
        members,
        users,
        audit,
        versions,
        cycles,
        publications,
        facts,
        ledger,
        reports,
        jobs,
    )
    for module in resources:
        api.register_blueprint(module.blp)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(TenantScopeError, _scope_error)


def error_body(status: int, message: str, errors=None) -> dict:
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, ""), "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def _service_error(exc: ServiceError):
    from zhibu.db import db

    db.session.rollback()
    details = exc.as_dict()
    return jsonify(error_body(exc.status, details["message"], details.get("errors"))), exc.status


def _scope_error(exc: TenantScopeError):
    from zhibu.db import db

    db.session.rollback()
    return jsonify(error_body(403, str(exc))), 403
