"""Pytest fixtures for plugin authors, loaded through the ``pytest11`` entry point.

A plugin author's test needs nothing more than::

    def test_my_scheme_is_loaded(zhibu_app):
        from zhibu.plugins import registry
        assert "my_scheme" in registry(zhibu_app).schemes

``zhibu_app`` is an app on a fresh, migrated SQLite database in a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from zhibu.app import create_app
from zhibu.db import db


def make_test_app(database_url: str, instance_path, **settings) -> Flask:
    """An app for tests: the given database brought to the newest migration."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ZHIBU_INSTANCE_PATH": str(instance_path),
            "SECRET_KEY": "test-only",
            **settings,
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def zhibu_app(tmp_path) -> Iterator[Flask]:
    """A Zhibu app on a fresh SQLite database, every installed plugin loaded."""
    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def zhibu_client(zhibu_app) -> FlaskClient:
    return zhibu_app.test_client()


@pytest.fixture
def zhibu_runner(zhibu_app) -> FlaskCliRunner:
    return zhibu_app.test_cli_runner()
