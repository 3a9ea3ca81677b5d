"""The app runs as a runtime role that does not own the tables: migrations run as the
owner (``ZHIBU_MIGRATE_DATABASE_URL``) and grant it rows; it cannot switch row-level
security off, replace the policies' functions, or open every tenant by setting a value —
only the app's key does that. On a real PostgreSQL, with a role made for the run."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from world import PASSWORD, build_world

from zhibu.db import db
from zhibu.testing import require_postgres, temporary_postgres_database
from zhibu.testing.fixtures import make_test_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def runtime(tmp_path):
    """(app as the runtime role, owner URL, runtime URL): a database migrated by its owner
    for a runtime role whose name is unique to the run; both dropped afterwards."""
    server = require_postgres()
    role = f"zhibu_rt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
    try:
        with temporary_postgres_database(server) as owner_url:
            runtime_url = make_url(owner_url).set(username=role).render_as_string(False)
            app = make_test_app(runtime_url, tmp_path, ZHIBU_MIGRATE_DATABASE_URL=owner_url)
            try:
                yield app, owner_url, runtime_url
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture
def runtime_world(runtime):
    app, owner_url, runtime_url = runtime
    with app.app_context():  # written by the app, as the runtime role
        world = build_world()
    return app, world, owner_url, runtime_url


def _as(url: str, *statements: tuple[str, dict]):
    """Run statements in one transaction as the URL's role; the last one's rows."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = None
            for sql, params in statements:
                result = connection.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _members_seen(url: str, all_tenants: str, read: str) -> int:
    return _as(
        url,
        ("SELECT set_config('zhibu.all_tenants', :v, true)", {"v": all_tenants}),
        ("SELECT set_config('zhibu.read_tenants', :v, true)", {"v": read}),
        ("SELECT count(*) FROM members", {}),
    )[0][0]


def test_no_value_but_the_key_opens_every_tenant(runtime_world):
    app, world, _owner, url = runtime_world
    tenant_a = world.id("A")
    key = app.config["ZHIBU_ALL_TENANTS_KEY"]
    own = _members_seen(url, "", tenant_a)
    everyone = _members_seen(url, key, "")
    assert 0 < own < everyone  # the app's key: every tenant; A's scope: A alone
    digest = _as(url, ("SELECT encode(sha256(convert_to(:k, 'UTF8')), 'hex')", {"k": key}))
    forged = ["on", "true", "1", "ON", "on ", "*", "all", key.upper(), key[:-1], digest[0][0]]
    for value in forged:
        assert _members_seen(url, value, tenant_a) == own, value
        assert _members_seen(url, value, "") == 0, value


def test_the_runtime_role_cannot_switch_security_off(runtime_world):
    _app, _world, _owner, url = runtime_world
    refused = [
        "ALTER TABLE members NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE members DISABLE ROW LEVEL SECURITY",
        "DROP POLICY members_read ON members",
        "CREATE OR REPLACE FUNCTION zhibu_all_tenants() RETURNS boolean"
        " LANGUAGE sql AS $$ SELECT true $$",
        "TRUNCATE members",
        "SELECT * FROM alembic_version",
        "CREATE TABLE mine (id int)",
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match=r"must be owner|permission denied"):
            _as(url, (statement, {}))


def test_the_app_works_as_the_runtime_role(runtime_world):
    app, world, _owner, url = runtime_world
    client = app.test_client()
    token = client.post("/api/v1/auth/tokens", json={"username": "admin_a", "password": PASSWORD})
    assert token.status_code == 201
    admin = {"Authorization": f"Bearer {token.json['token']}"}
    orgs = client.get(f"/api/v1/tenants/{world.id('A')}/orgs", headers=admin)
    assert orgs.status_code == 200 and {o["code"] for o in orgs.json} >= {"A-Z01", "A-Z02"}
    assert client.get(f"/api/v1/tenants/{world.id('B')}/orgs", headers=admin).status_code == 404
    body = {"code": "A-Z03", "name": "新支部", "kind": "branch", "parent_id": world.id("A-ZZ1")}
    made = client.post(f"/api/v1/tenants/{world.id('A')}/orgs", json=body, headers=admin)
    assert made.status_code == 201, made.json
    health = client.get("/healthz").json["checks"]
    assert health["row_level_security"] == "enforced"
    assert _as(url, ("SELECT current_user", {}))[0][0].startswith("zhibu_rt_")


def test_a_changed_secret_key_takes_effect_at_the_next_upgrade(runtime, tmp_path):
    """Until ``zhibu db upgrade`` stores the new key's digest the app sees no tenant's rows
    in the platform scope, and the health check says so."""
    from flask_migrate import upgrade

    from zhibu.app import create_app

    app, owner_url, runtime_url = runtime
    settings = {"SQLALCHEMY_DATABASE_URI": runtime_url, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    moved = create_app({**settings, "SECRET_KEY": "rotated"})
    stale = moved.test_client().get("/healthz")
    assert stale.status_code == 503
    assert stale.json["checks"]["row_level_security"].startswith("all-tenant key not stored")
    with moved.app_context():
        moved.config["ZHIBU_MIGRATE_DATABASE_URL"] = owner_url
        upgrade()
    assert moved.test_client().get("/healthz").status_code == 200
    assert app.test_client().get("/healthz").status_code == 503  # the old key no longer
    with moved.app_context():
        db.engine.dispose()


def test_the_policies_read_the_scope_once_per_statement(runtime_world):
    """An InitPlan per statement, not a function call per row (issue 19 needs RLS cheap)."""
    _app, world, _owner, url = runtime_world
    plan = _as(
        url,
        ("SELECT set_config('zhibu.read_tenants', :v, true)", {"v": world.id("A")}),
        ("EXPLAIN (VERBOSE) SELECT count(*) FROM members", {}),
    )
    text_plan = "\n".join(row[0] for row in plan)
    # since 0021 the function is inlined: its expression, not a call, in the InitPlan
    assert "InitPlan" in text_plan and "'zhibu.read_tenants'" in text_plan
    assert "zhibu_can_read" not in text_plan and "zhibu_read_tenants()" not in text_plan
