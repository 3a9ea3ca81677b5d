"""Security headers on every answer, and ``Cache-Control: no-store`` on everything but
static files (pages and API answers carry personal data and CSRF tokens; a shared or
back-button cache must not keep them).

Scripts come only from the app's own files (``script-src 'self'``: no inline script, no
eval); styles may be inline too, for the printable reports and plugin pages that carry
their ``<style>`` with them. No page may be framed (clickjacking), no answer sniffed into
another type, and the referrer leaves the site never (same-origin only: Flask-WTF checks it
on HTTPS posts).
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",  # blob: a photo taken offline, before it is sent
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_headers(app: Flask) -> None:
    """Add the headers to every answer of ``app`` (pages, API, errors alike)."""

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not _static(request.endpoint):
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response


def _static(endpoint: str | None) -> bool:
    """Files served as they are (stylesheets, scripts, Swagger UI's assets)."""
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))
