"""Interactive API docs at ``/api/docs``: Swagger UI from the ``swagger-ui-bundle``
package, served by the app itself (deployments have no internet, so no CDN).

The page is Zhibu's own, not flask-smorest's: that one starts Swagger UI with an inline
script, which the Content-Security-Policy (``script-src 'self'``) refuses; here the start
is a static file (``static/swagger-init.js``)."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, Flask, current_app, redirect, render_template, url_for

ASSETS_URL = "/api/swagger-ui/"


def configure(app: Flask) -> None:
    """No Swagger UI page of flask-smorest's (see the module's docstring)."""
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", None)


def init_app(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=swagger_ui_bundle.swagger_ui_path,
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)
    page = Blueprint(
        "api_docs",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/api/docs-static",
    )
    page.add_url_rule("/api/docs", "docs", _docs_page)
    page.add_url_rule("/api", "root", _to_docs)  # the API's own addresses lead to its docs
    page.add_url_rule("/api/v1", "v1", _to_docs)
    app.register_blueprint(page)


def _docs_page():
    return render_template(
        "api_docs.html",
        title=current_app.config["API_TITLE"],
        assets=ASSETS_URL,
        spec_url=url_for("api-docs.openapi_json"),
        back=url_for("pages.index"),
    )


def _to_docs():
    """``/api`` and ``/api/v1`` (no resource of their own): to the docs page, which links
    the OpenAPI document (``/api/openapi.json``)."""
    return redirect(url_for("api_docs.docs"))
