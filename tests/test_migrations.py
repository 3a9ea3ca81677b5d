"""`zhibu db upgrade` brings an empty database to head, and models and migrations agree."""

import os
import subprocess
import sys
import uuid
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


ORDERED_INDEXES = {
    "ix_results_set_order",
    "ix_publication_entries_order",
}  # a column in descending order (PostgreSQL checks it)


def _ordered_index(difference) -> bool:
    return difference[0] in ("add_index", "remove_index") and difference[1].name in ORDERED_INDEXES


def test_models_and_migrations_agree(empty_database, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            if connection.dialect.name == "sqlite":  # its reflection drops a column's DESC
                differences = [d for d in differences if not _ordered_index(d)]
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


def test_0012_lets_a_tree_with_members_take_a_plugins_kind(empty_database, tmp_path):
    """The check of a unit's kind leaves the database (plugins add kinds); on SQLite the
    table is rebuilt under a tree whose units and members point at it."""
    from sqlalchemy import text

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    )
    ids = {name: uuid.uuid4() for name in ("tenant", "root", "branch", "member")}
    hexes = {k: v if "postgresql" in empty_database else v.hex for k, v in ids.items()}
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            _tree_with_a_member(connection, hexes)
        upgrade(revision="0012")
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                key = app.config["ZHIBU_ALL_TENANTS_KEY"]  # the switch needs the app's key
                connection.execute(
                    text("SELECT set_config('zhibu.all_tenants', :key, true)"), {"key": key}
                )
            connection.execute(
                text("UPDATE org_units SET kind = 'station' WHERE id = :id"),
                {"id": hexes["branch"]},
            )
            kinds = connection.execute(text("SELECT code, kind FROM org_units ORDER BY code"))
            assert kinds.all() == [("DW", "committee"), ("Z01", "station")]
            members = connection.execute(text("SELECT count(*) FROM members")).scalar()
            assert members == 1
        db.engine.dispose()


def _tree_with_a_member(connection, ids) -> None:
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":  # row-level security: every tenant
        connection.execute(text("SELECT set_config('zhibu.all_tenants', 'on', true)"))

    connection.execute(
        text(
            "INSERT INTO tenants (id, code, name, kind, active, id_card_enabled, created_at)"
            " VALUES (:t, 'T', '单位', 'institution', true, false, CURRENT_TIMESTAMP)"
        ),
        {"t": ids["tenant"]},
    )
    for code, key, parent, path in (
        ("DW", "root", None, "/r/"),
        ("Z01", "branch", ids["root"], "/r/b/"),
    ):
        connection.execute(
            text(
                "INSERT INTO org_units (tenant_id, id, code, name, kind, parent_id, path,"
                " depth, retired, exempt, status, created_at, updated_at) VALUES (:t, :id,"
                " :code, :code, 'committee', :parent, :path, 0, false, false, 'active',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"t": ids["tenant"], "id": ids[key], "code": code, "parent": parent, "path": path},
        )
    connection.execute(
        text(
            "INSERT INTO members (tenant_id, id, org_id, name, archive_code, status, category,"
            " exempt, active, created_at, updated_at) VALUES (:t, :id, :org, '张三', 'A1',"
            " 'full', 'serving', false, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"t": ids["tenant"], "id": ids["member"], "org": ids["branch"]},
    )


@pytest.mark.postgres
def test_every_tenant_table_carries_the_keyed_policies(postgres_database, tmp_path):
    """Every table with a tenant has the policies of 0010 (settings read once per
    statement, the all-tenant switch keyed), whichever migration made it: a migration
    after 0010 protects its tables with ``rls.protect``, never the older ``rls.enable``
    (whose per-row functions and unkeyed switch 0010 replaced)."""
    from sqlalchemy import text

    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(postgres_database, tmp_path)
    with app.app_context():
        tenant_tables = sorted(t.name for t in db.metadata.sorted_tables if "tenant_id" in t.c)
        with db.engine.connect() as connection:
            policies = connection.execute(
                text(
                    "SELECT tablename, policyname, qual, with_check FROM pg_policies"
                    " WHERE schemaname = current_schema()"
                )
            ).all()
            unkeyed = connection.execute(
                text("SELECT to_regprocedure('zhibu_can_read(uuid)') IS NOT NULL")
            ).scalar()
    protected = sorted({p.tablename for p in policies if p.policyname.endswith("_read")})
    assert protected == tenant_tables
    per_row = [p.policyname for p in policies if "zhibu_can_" in f"{p.qual} {p.with_check}"]
    assert per_row == [] and not unkeyed
    # since 0021: a write policy per command, none for all commands (a SELECT would
    # evaluate it too)
    names = {(p.tablename, p.policyname) for p in policies}
    for table in tenant_tables:
        wanted = {f"{table}_{c}" for c in ("read", "insert", "update", "delete")}
        assert wanted <= {name for t, name in names if t == table}, table
    assert not [name for _t, name in names if name.endswith("_write")]


@pytest.mark.postgres
def test_0021_a_select_evaluates_the_read_policy_only_with_its_functions_inlined(
    postgres_database, tmp_path
):
    """A SELECT's plan reads the settings the read policy needs, as expressions (the
    functions inlined: no SQL function run per statement), not the write policy's; and
    the tenants it may write are among those it may read, so it sees what it saw under
    0010's policies. Writes are still held to the write policy."""
    from sqlalchemy import insert, text
    from sqlalchemy.exc import ProgrammingError

    from zhibu.models import AuditEntry, Tenant
    from zhibu.tenancy import Scope, system_scope, use_scope
    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(postgres_database, tmp_path)
    mine, other = uuid.uuid4(), uuid.uuid4()
    with app.app_context():
        with use_scope(system_scope()):
            db.session.add_all(
                [Tenant(id=mine, code="M", name="甲"), Tenant(id=other, code="O", name="乙")]
            )
            db.session.flush()
            for tenant in (mine, other):
                db.session.execute(
                    insert(AuditEntry).values(
                        tenant_id=tenant, action="create", entity="x", username="tests"
                    )
                )
            db.session.commit()
        with use_scope(Scope(write=frozenset({mine}))):  # write only: read follows
            plan = "\n".join(
                db.session.execute(text("EXPLAIN (VERBOSE) SELECT * FROM cycles")).scalars()
            )
            assert "zhibu.read_tenants" in plan and "zhibu.all_tenants" in plan
            assert "write_tenants" not in plan and "zhibu_read_tenants()" not in plan
            # every name the functions use is pg_catalog's: no operator found on the
            # caller's search path (NULLIF hides an "=")
            for name in ("zhibu_read_tenants", "zhibu_write_tenants", "zhibu_all_tenants"):
                body = db.session.execute(
                    text("SELECT prosrc FROM pg_proc WHERE proname = :n"), {"n": name}
                ).scalar()
                assert "NULLIF" not in body.upper() and " = " not in body, name
            seen = db.session.execute(text("SELECT tenant_id FROM audit_log")).scalars()
            assert set(seen) == {mine}
            with pytest.raises(ProgrammingError, match="row-level security"):
                db.session.execute(
                    insert(AuditEntry).values(
                        tenant_id=other, action="create", entity="x", username="intruder"
                    )
                )
            db.session.rollback()


@pytest.mark.postgres
def test_0020_the_results_order_index_carries_the_id(postgres_database, tmp_path):
    """A page of results finds its ids in the order's index alone (listing.page_select):
    the index made by the migrations holds the id, as the model declares."""
    from sqlalchemy import text

    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(postgres_database, tmp_path)
    with app.app_context(), db.engine.connect() as connection:
        made = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_results_set_order'")
        ).scalar()
    assert made.endswith("(tenant_id, result_set_id, subject_kind DESC, subject_code) INCLUDE (id)")


def test_0023_gives_history_results_their_subjects_code_and_kind(empty_database, tmp_path):
    """A level loaded as history before 0023 was stored with no code, the kind ``org`` and
    no track; the upgrade gives it its unit's code and kind (its track follows from the
    kind) and has its set's counts by level counted again."""
    from sqlalchemy import select, update

    from zhibu.evaluations import compute, cycles
    from zhibu.models import EvaluationResult, OrgUnit, ResultSet, Tenant, TenantScheme
    from zhibu.tenancy import system_scope, use_scope

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with use_scope(system_scope()):
            tenant = Tenant(id=uuid.uuid4(), code="H", name="历史学院", kind="institution")
            db.session.add(tenant)
            db.session.flush()
            db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="akesu_college"))
            unit = OrgUnit(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                code="H-Z01",
                name="第一党支部",
                kind="branch",
                path="/",
                depth=0,
            )
            db.session.add(unit)
            db.session.commit()
            history = cycles.open_cycle(tenant, "akesu_college", "2019")
            stored = compute.store_history(history, [{"subject": ("org", unit.id), "stars": 4}])
            db.session.execute(  # as 0022 and before stored it
                update(EvaluationResult)
                .where(EvaluationResult.result_set_id == stored.id)
                .values(track=None, kind="org", subject_code="")
            )
            db.session.execute(update(ResultSet).where(ResultSet.id == stored.id).values(levels=[]))
            db.session.commit()
            set_id, tenant_id = stored.id, tenant.id
        db.session.remove()
        downgrade(revision="0022")
        upgrade(revision="0023")
        with use_scope(system_scope()):
            row = db.session.scalar(
                select(EvaluationResult).where(EvaluationResult.result_set_id == set_id)
            )
            result_set = db.session.get(ResultSet, (tenant_id, set_id))
            assert (row.subject_code, row.kind, row.track) == ("H-Z01", "branch", None)
            assert result_set.levels is None
            cycle = cycles.get_cycle(tenant_id, row.cycle_id)
            summary = compute.summary_of_groups(cycle, compute.level_groups(cycle))
            assert summary["tracks"]["branch"]["stars"] == {"4": 1}
        db.session.remove()
        db.engine.dispose()
