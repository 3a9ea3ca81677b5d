"""`zhibu db upgrade` brings an empty database to head, and models and migrations agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

import zhibu.models  # noqa: F401  (every table on the metadata)
from zhibu.app import create_app
from zhibu.db import db
from zhibu.testing import require_postgres, temporary_postgres_database

ZHIBU = str(Path(sys.executable).with_name("zhibu"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with temporary_postgres_database(require_postgres()) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_command_brings_an_empty_database_to_head(empty_database, tmp_path):
    env = {**os.environ, "ZHIBU_DATABASE_URL": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([ZHIBU, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == _tables(
        empty_database
    )


def test_models_and_migrations_agree(empty_database, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], (
        f"run `zhibu db migrate`: models differ from migrations: {differences}"
    )


def test_every_migration_goes_down_and_up_again(empty_database, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert _tables(empty_database) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert "tenants" in _tables(empty_database)
