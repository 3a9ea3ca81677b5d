"""Server-rendered pages (Chinese first). Everything a page needs is served by the app."""

from __future__ import annotations

from flask import Flask

from zhibu.web import health, pages


def init_web(app: Flask) -> None:
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    pages.init_session_timeout(app)
