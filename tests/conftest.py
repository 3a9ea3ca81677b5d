"""Fixtures of the project's own suite: every ``app`` test runs on SQLite and on PostgreSQL.

The PostgreSQL database is created and migrated once per run and emptied after each test;
a SQLite test gets a copy of a database migrated once per run.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from zhibu.db import db
from zhibu.testing import require_postgres, require_redis, temporary_postgres_database
from zhibu.testing.fixtures import make_test_app

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("sqlite-template")
    app = make_test_app(f"sqlite:///{folder / 'template.sqlite3'}", folder)
    with app.app_context():
        db.engine.dispose()
    return str(folder / "template.sqlite3")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    server = require_postgres()
    with temporary_postgres_database(server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "zhibu.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            _empty_postgres(db.engine)
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory, sqlite_template) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("demo-sqlite")
    path = folder / "zhibu.sqlite3"
    shutil.copyfile(sqlite_template, path)
    instance = folder / "instance"
    instance.mkdir()
    _build_demo(f"sqlite:///{path}", instance)
    return str(path), instance


@pytest.fixture(scope="session")
def demo_postgres(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    server = require_postgres()
    with temporary_postgres_database(server) as url:
        instance = tmp_path_factory.mktemp("demo-postgres")
        _build_demo(url, instance)
        yield url, instance


def _build_demo(url: str, instance: Path) -> None:
    """``zhibu demo`` on an empty database, once per run and backend."""
    app = make_test_app(url, instance)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # nobody stays connected: the database is copied as a template


@pytest.fixture(params=BACKENDS)
def demo_app(request, tmp_path) -> Iterator[Flask]:
    """An app on a fresh copy of the demo (``zhibu demo``, built once per run and backend:
    building it takes seconds, copying it a fraction). A module whose tests read the demo
    uses it as its ``app``."""
    instance = tmp_path / "instance"
    if request.param == "sqlite":
        built, built_instance = request.getfixturevalue("demo_sqlite")
        shutil.copytree(built_instance, instance)
        path = tmp_path / "zhibu.sqlite3"
        shutil.copyfile(built, path)
        app = make_test_app(f"sqlite:///{path}", instance)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return
    built, built_instance = request.getfixturevalue("demo_postgres")
    shutil.copytree(built_instance, instance)
    with temporary_postgres_database(template=make_url(built).database) as url:
        app = make_test_app(url, instance)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _empty_postgres(engine) -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url() -> str:
    """The real Redis. Tests use queues of their own (unique names) and never flush the
    database, so runs side by side do not disturb each other."""
    return require_redis()


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Install a plugin the way a third party would: a module plus a distribution whose
    metadata declares it under the ``zhibu.plugins`` entry-point group."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(
        entry_name: str, source: str, *, module: str | None = None, version: str = "1.0.0"
    ) -> str:
        module = module or f"{entry_name}_plugin"
        installed.append(module)
        sys.modules.pop(module, None)  # an earlier test may have imported another version
        (site / f"{module}.py").write_text(source, encoding="utf-8")
        dist = site / f"{module}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: {version}\n"
        )
        (dist / "entry_points.txt").write_text(f"[zhibu.plugins]\n{entry_name} = {module}\n")
        return module

    installed: list[str] = []
    yield install
    for module in installed:
        sys.modules.pop(module, None)


@pytest.fixture
def world(app):
    """Tenants A and B, county C overseeing A, users of every role (see tests/world.py)."""
    from world import build_world

    with app.app_context():
        return build_world()
