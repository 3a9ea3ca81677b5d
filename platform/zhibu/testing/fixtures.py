"""Pytest fixtures for plugin authors, loaded through the ``pytest11`` entry point.

A plugin author's test needs nothing more than::

    def test_my_scheme_is_loaded(zhibu_app):
        from zhibu.plugins import registry
        assert "my_scheme" in registry(zhibu_app).schemes

``zhibu_app`` is an app on a fresh, migrated SQLite database in a temporary folder. It
loads every installed plugin, or only those the ``zhibu_plugins`` setting names (a plugin's
own tests load only the plugin under test)::

    [tool.pytest.ini_options]
    zhibu_plugins = ["my_scheme"]
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


def pytest_addoption(parser) -> None:
    parser.addini(
        "zhibu_plugins",
        "entry-point names of the plugins zhibu_app loads (default: every installed one)",
        type="args",
        default=None,
    )


@pytest.fixture
def zhibu_plugins(request) -> list[str] | None:
    """The plugins ``zhibu_app`` loads: the ``zhibu_plugins`` setting, or None for every
    installed one. Override the fixture to choose per test."""
    return request.config.getini("zhibu_plugins") or None


@pytest.fixture
def zhibu_app(tmp_path, zhibu_plugins) -> Iterator[Flask]:
    """A Zhibu app on a fresh SQLite database with the plugins of ``zhibu_plugins``."""
    settings = {} if zhibu_plugins is None else {"ZHIBU_PLUGINS": list(zhibu_plugins)}
    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path, **settings)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def zhibu_client(zhibu_app) -> FlaskClient:
    return zhibu_app.test_client()


@pytest.fixture
def zhibu_runner(zhibu_app) -> FlaskCliRunner:
    return zhibu_app.test_cli_runner()
