"""WSGI entry point for gunicorn: ``gunicorn zhibu.wsgi:app``."""

from zhibu.app import create_app

app = create_app()
