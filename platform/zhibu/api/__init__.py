"""The REST API under ``/api/v1``: flask-smorest blueprints with marshmallow schemas.

Errors are JSON: ``{"code", "status", "message", "errors": {field: [messages]}}``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify
from flask import json as flask_json
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from marshmallow import fields
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import UnicodeConverter

from zhibu import __version__, controls
from zhibu.api import messages
from zhibu.errors import ServiceError
from zhibu.tenancy.scope import TenantScopeError


class ZhibuApi(Api):
    """flask-smorest's ``Api``, saying what the API sends (issue 17: the document must
    match the answers):

    - ``X-Pagination`` is a JSON object in a header: declared with ``content``
      (``application/json``), the way OpenAPI 3 declares a serialized header, not as a
      ``schema`` (which would mean the ``simple`` style, ``total,7,page,1``);
    - an HTTP error keeps the headers it carries (``Allow`` on 405, ``Retry-After``),
      which flask-smorest's JSON error handler drops;
    - a text the API reads holds no control character (:mod:`zhibu.controls`; the request
      hook of :mod:`zhibu.web.inputs` refuses one with 422): every string field it loads
      is declared with the ``pattern`` that says so;
    - the schemas' own messages (marshmallow's, webargs') come in the user's language
      (:mod:`zhibu.api.messages`), with a ``message`` naming the first field at fault.
    """

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_text_pattern)
        self._register_converter(UnicodeConverter, _path_text)

    def _register_pagination_header(self):
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata (a JSON object)",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )

    def _openapi_json(self):
        """The document, its descriptions in Markdown (what Swagger UI renders)."""
        document = markdown_descriptions(self.spec.to_dict())
        return current_app.response_class(
            flask_json.dumps(document, indent=2, sort_keys=False), mimetype="application/json"
        )

    def handle_http_exception(self, error):
        response, status, headers = super().handle_http_exception(error)
        if "errors" in response:  # the schemas' checks: in the user's language
            response["errors"] = messages.translated(response["errors"])
            said = messages.summary(response["errors"])
            if said and not response.get("message"):
                response["message"] = said
        for name, value in error.get_headers():
            if name.lower() != "content-type" and name not in headers:
                headers[name] = value
        return response, status, headers


_RST_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")  # :func:`x` → `x`
_RST_LITERAL = re.compile(r"``([^`]+)``")  # ``x`` → `x`


def markdown_descriptions(node: Any) -> Any:
    """The OpenAPI document with the docstrings' reStructuredText inline markup (``x``,
    :func:`x`) turned into Markdown code (`x`) in every ``description`` (Swagger UI renders
    it as code) and into plain text in every ``summary`` (shown as it is)."""
    if isinstance(node, dict):
        return {k: _converted(k, v) for k, v in node.items()}
    if isinstance(node, list):
        return [markdown_descriptions(v) for v in node]
    return node


def _converted(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key not in ("description", "summary"):
        return markdown_descriptions(value)
    code = r"`\1`" if key == "description" else r"\1"
    return _RST_LITERAL.sub(code, _RST_ROLE.sub(code, value))


# what a line (a name, a code …) and a multi-line text (a reason, a note …) may hold
LINE = "^[^\\u0000-\\u001f\\u007f]*$"
TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


def _path_text(converter) -> dict:
    """A path's text (``<key>``, ``<month>``): one or more characters, no ``/`` (werkzeug's
    string converter), and no control character."""
    return {"type": "string", "minLength": 1, "pattern": "^[^/\\u0000-\\u001f\\u007f]+$"}


def _text_pattern(converter, field, ret, **kwargs) -> dict:
    """``pattern`` for a string the API loads (a field of its own format, a UUID or a
    date, or with a pattern of its own, is left as it is)."""
    if not isinstance(field, fields.String) or field.dump_only:
        return {}
    if "pattern" in ret or "format" in ret:
        return {}
    name = field.data_key or field.name or ""
    return {"pattern": TEXT if controls.is_multiline(name) else LINE}


api = ZhibuApi()


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
    errors = messages.translated(details.get("errors"))  # a schema's, passed on by a view
    return jsonify(error_body(exc.status, details["message"], errors)), exc.status


def _scope_error(exc: TenantScopeError):
    from zhibu.db import db

    db.session.rollback()
    return jsonify(error_body(403, str(exc))), 403
