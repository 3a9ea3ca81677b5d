"""Interactive API docs at ``/api/docs``: Swagger UI from the ``swagger-ui-bundle``
package, served by the app itself (deployments have no internet, so no CDN)."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, Flask

ASSETS_URL = "/api/swagger-ui/"


def configure(app: Flask) -> None:
    """Settings flask-smorest reads when it builds its Swagger UI page."""
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", ASSETS_URL)


def init_app(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=swagger_ui_bundle.swagger_ui_path,
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)
