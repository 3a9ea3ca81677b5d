"""PostgreSQL row-level security: the database's own check behind the scoping layer.

Each transaction carries the tenants it may read and write, set by
:mod:`zhibu.tenancy.scope` with ``set_config(…, true)`` when the transaction begins:

- ``zhibu.read_tenants`` / ``zhibu.write_tenants``: comma-separated tenant ids;
- ``zhibu.all_tenants``: the **all-tenant key** for the platform administrator, system
  jobs and the access checks — a secret derived from the app's ``SECRET_KEY``
  (:func:`all_tenants_key`). ``zhibu_all_tenants()`` compares its SHA-256 digest with the
  digest the tables' owner wrote into the function itself at migration time
  (:func:`key_function_sql`); the app's runtime role cannot replace the function, so no
  value it sets (``on``, a guess) opens every tenant without the key.

Every table with a ``tenant_id`` column has a read policy and, since migration 0021, a
write policy for each of INSERT, UPDATE and DELETE (a SELECT evaluates the read policy
only), with ``FORCE`` so that the table owner is held to them too. Since migration 0010
they read the settings once per statement (an InitPlan: ``(SELECT zhibu_all_tenants())``,
``tenant_id = ANY ((SELECT zhibu_read_tenants()))``), not once per row, and the tenant
test can use an index; since 0021 the functions are inlined into those InitPlans. A query
that forgets its tenant filter returns nothing rather than another tenant's rows.

The app connects as a **runtime role** that does not own the tables (see
docs/operations.md): only the owner can ``ALTER TABLE … NO FORCE ROW LEVEL SECURITY`` or
replace the functions; :func:`grant_runtime` gives the runtime role rows, never DDL or
TRUNCATE (which row-level security does not cover).

Migrations 0002–0006 call :func:`enable` (the first form of the policies, replaced by
0010); 0011–0020 call :func:`protect`; a migration after 0021 that makes a tenant's table
calls :func:`protect_by_command`. These functions are part of the migration history and
must keep their meaning.
"""

from __future__ import annotations

import hashlib
import hmac

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION zhibu_all_tenants() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('zhibu.all_tenants', true), '') = 'on'
$$;
CREATE OR REPLACE FUNCTION zhibu_can_read(tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT zhibu_all_tenants() OR tenant::text = ANY (string_to_array(
    coalesce(current_setting('zhibu.read_tenants', true), '') || ','
    || coalesce(current_setting('zhibu.write_tenants', true), ''), ','))
$$;
CREATE OR REPLACE FUNCTION zhibu_can_write(tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT zhibu_all_tenants() OR tenant::text = ANY (string_to_array(
    coalesce(current_setting('zhibu.write_tenants', true), ''), ','))
$$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS zhibu_can_write(uuid);
DROP FUNCTION IF EXISTS zhibu_can_read(uuid);
DROP FUNCTION IF EXISTS zhibu_all_tenants();
"""


def enable_sql(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT USING (zhibu_can_read(tenant_id));
CREATE POLICY {table}_write ON {table} FOR ALL
  USING (zhibu_can_write(tenant_id)) WITH CHECK (zhibu_can_write(tenant_id));
"""


def disable_sql(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS {table}_write ON {table};
DROP POLICY IF EXISTS {table}_read ON {table};
ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""


def enable(op, *tables: str) -> None:
    """For a migration: create the functions (idempotent) and protect ``tables``."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTIONS_SQL)
    for table in tables:
        op.execute(enable_sql(table))


def disable(op, *tables: str, drop_functions: bool = False) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(disable_sql(table))
    if drop_functions:
        op.execute(DROP_FUNCTIONS_SQL)


# -- since migration 0010: a keyed all-tenant switch, checked once per statement ----------

ALL_TENANTS_LABEL = b"zhibu.all_tenants"
NO_KEY = "no key"

TENANT_SET_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION zhibu_read_tenants() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT string_to_array(nullif(current_setting('zhibu.read_tenants', true), ''), ',')::uuid[]
$$;
CREATE OR REPLACE FUNCTION zhibu_write_tenants() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT string_to_array(nullif(current_setting('zhibu.write_tenants', true), ''), ',')::uuid[]
$$;
"""

DROP_TENANT_SET_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS zhibu_write_tenants();
DROP FUNCTION IF EXISTS zhibu_read_tenants();
"""

_ALL = "(SELECT zhibu_all_tenants())"


def all_tenants_key(secret_key: str) -> str:
    """The all-tenant key of an app: derived from its ``SECRET_KEY`` (every process of a
    deployment shares that already), never the key itself."""
    return hmac.new(secret_key.encode(), ALL_TENANTS_LABEL, hashlib.sha256).hexdigest()


def key_function_sql(key: str | None) -> str:
    """``zhibu_all_tenants()``: true when the transaction's ``zhibu.all_tenants`` is the
    key whose digest is written here (no key: never).

    Since migration 0021 it is written so that PostgreSQL inlines it into the policies'
    InitPlans (no ``SET`` clause, which would stop the inlining and make every call save
    and restore a setting): every name in it is qualified with ``pg_catalog`` instead, so
    no ``search_path`` can put another function or operator in its place. ``zhibu db
    upgrade`` writes it after the migrations (:func:`after_upgrade`), whatever the
    revision: its meaning is the same in both forms."""
    test = "false"
    if key:
        digest = hashlib.sha256(key.encode()).hexdigest()
        test = (
            "pg_catalog.sha256(pg_catalog.convert_to("
            "coalesce(pg_catalog.current_setting('zhibu.all_tenants', true), ''), 'UTF8'))"
            f" OPERATOR(pg_catalog.=) '\\x{digest}'::pg_catalog.bytea"
        )
    return f"""
CREATE OR REPLACE FUNCTION zhibu_all_tenants() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT {test}
$$;
"""


def protect_sql(table: str) -> str:
    """The policies of ``table`` since 0010 (the settings read once per statement)."""
    read = f"{_ALL} OR tenant_id = ANY ((SELECT zhibu_read_tenants())::uuid[])"
    write = f"{_ALL} OR tenant_id = ANY ((SELECT zhibu_write_tenants())::uuid[])"
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read});
CREATE POLICY {table}_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write});
"""


# -- since migration 0021: functions PostgreSQL inlines, and no write policy on a SELECT ---
#
# The 0010 functions carry ``SET search_path``, which keeps PostgreSQL from inlining them:
# each InitPlan ran the SQL function machinery, and a SELECT evaluated the read policy and
# the ``FOR ALL`` write policy both (four InitPlans per table). 0021 writes the functions
# fully qualified instead (inlined: an expression), and splits the write policy into one
# per command, so that a SELECT evaluates the read policy only. The scope sends every
# tenant it may write among those it may read (``zhibu.tenancy.scope``), so a SELECT sees
# what it saw under the ``FOR ALL`` policy. No ``NULLIF`` (0010's): it hides an operator
# ``=`` that would be looked up on the caller's search path; an empty setting splits into
# an empty array anyway, which matches no tenant.


def _tenant_set_function(which: str) -> str:
    """``zhibu_<which>_tenants()``: the transaction's ``zhibu.<which>_tenants`` as uuid[]."""
    return f"""CREATE OR REPLACE FUNCTION zhibu_{which}_tenants() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT pg_catalog.string_to_array(
    pg_catalog.current_setting('zhibu.{which}_tenants', true), ','
  )::pg_catalog.uuid[]
$$;
"""


INLINED_TENANT_SET_FUNCTIONS_SQL = "\n" + "".join(map(_tenant_set_function, ("read", "write")))

WRITE_COMMANDS = ("insert", "update", "delete")


def _write_test() -> str:
    return f"{_ALL} OR tenant_id = ANY ((SELECT zhibu_write_tenants())::uuid[])"


def policies_by_command_sql(table: str) -> str:
    """``table``'s write policy of 0010 (``FOR ALL``) replaced by one per command."""
    write = _write_test()
    return f"""
DROP POLICY IF EXISTS {table}_write ON {table};
CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({write});
CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write});
CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({write});
"""


def policy_for_all_sql(table: str) -> str:
    """Back to 0010's single write policy (0021's downgrade)."""
    write = _write_test()
    dropped = "".join(f"DROP POLICY IF EXISTS {table}_{c} ON {table};\n" for c in WRITE_COMMANDS)
    return f"""{dropped}
CREATE POLICY {table}_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write});
"""


def protect_by_command(op, *tables: str) -> None:
    """For a migration after 0021: protect ``tables`` as 0021 protects every table (a read
    policy, and a write policy for each of INSERT, UPDATE and DELETE)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(protect_sql(table))
        op.execute(policies_by_command_sql(table))


def drop_policies_sql(table: str) -> str:
    by_command = "".join(f"DROP POLICY IF EXISTS {table}_{c} ON {table};\n" for c in WRITE_COMMANDS)
    return f"""{by_command}
DROP POLICY IF EXISTS {table}_write ON {table};
DROP POLICY IF EXISTS {table}_read ON {table};
"""


# Migration 0017: a transaction reads the role assignments of the user it acts for
# (``zhibu.user_id``, set with the tenants in the same statement), whatever their tenant,
# so that the access check of a request (which roles, which oversight) runs under the
# request's own tenant scope instead of the all-tenant key. Read only; the setting is the
# app's like ``zhibu.read_tenants`` (see "What RLS cannot do" in docs/operations.md).
OWN_ROLES_SQL = """
CREATE POLICY role_assignments_own ON role_assignments FOR SELECT
  USING (user_id = (SELECT nullif(current_setting('zhibu.user_id', true), '')::uuid));
"""
DROP_OWN_ROLES_SQL = "DROP POLICY IF EXISTS role_assignments_own ON role_assignments;"


def protected_tables(connection) -> list[str]:
    """Tables that carry Zhibu's policies, in name order."""
    from sqlalchemy import text

    return list(
        connection.execute(
            text(
                "SELECT tablename FROM pg_policies WHERE schemaname = current_schema()"
                " AND policyname = tablename || '_read' ORDER BY tablename"
            )
        ).scalars()
    )


def protect(op, *tables: str) -> None:
    """For a migration after 0010: protect ``tables`` with the policies of 0010."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(protect_sql(table))


def see_all_tenants(op, key: str | None) -> None:
    """For a migration that reads or writes rows: every tenant's rows for the rest of its
    transaction (the policies apply to the tables' owner too). ``key`` is the app's
    all-tenant key; a database still without the keyed switch has no rows to hide."""
    if op.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    op.get_bind().execute(
        text("SELECT set_config('zhibu.all_tenants', :key, true)"), {"key": key or ""}
    )


def keyed(connection) -> bool:
    """The database has the keyed switch of 0010 (not downgraded below it)."""
    from sqlalchemy import text

    return bool(
        connection.execute(
            text("SELECT to_regprocedure('zhibu_read_tenants()') IS NOT NULL")
        ).scalar()
    )


def after_upgrade(connection, key: str | None, runtime_role: str | None) -> None:
    """What ``zhibu db upgrade`` does after the migrations, as the tables' owner: write the
    digest of the app's current key (a changed ``SECRET_KEY`` takes effect here), and give
    the runtime role what it needs on every table, new ones included."""
    from sqlalchemy import text

    if connection.dialect.name != "postgresql" or not keyed(connection):
        return
    connection.execute(text(key_function_sql(key)))
    if runtime_role:
        grant_runtime(connection, runtime_role)


def grant_runtime(connection, role: str) -> None:
    """Rows of every table for ``role``: SELECT, INSERT, UPDATE, DELETE — no TRUNCATE, no
    DDL (it owns nothing), nothing on ``alembic_version``."""
    from sqlalchemy import text

    name = connection.dialect.identifier_preparer.quote(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA {_schema(connection)} TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
        f"{_schema(connection)} TO {name}",
        f"REVOKE ALL ON alembic_version FROM {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema(connection)} TO {name}",
    ):
        connection.execute(text(statement))


def _schema(connection) -> str:
    from sqlalchemy import text

    schema = connection.execute(text("SELECT current_schema()")).scalar()
    return connection.dialect.identifier_preparer.quote(schema)


def owns_tables(connection) -> bool:
    """The connected role owns Zhibu's tables (it could switch row-level security off)."""
    from sqlalchemy import text

    return bool(
        connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename = 'tenants' AND tableowner = current_user)"
            )
        ).scalar()
    )


def bypasses_rls(connection) -> bool:
    """True when the connected role skips row-level security (superuser or BYPASSRLS)."""
    from sqlalchemy import text

    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.execute(
            text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )
