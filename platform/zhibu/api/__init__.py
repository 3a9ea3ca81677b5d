"""The REST API under ``/api/v1``: flask-smorest blueprints with marshmallow schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from zhibu import __version__

api = Api()


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Zhibu API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"x-zhibu-version": __version__}})
    api.init_app(app)

    from zhibu.api import schemes

    api.register_blueprint(schemes.blp)
