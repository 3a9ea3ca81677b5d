"""PostgreSQL row-level security: the database's own check behind the scoping layer.

Each transaction carries the tenants it may read and write, set by
:mod:`zhibu.tenancy.scope` with ``set_config(…, true)`` when the transaction begins:

- ``zhibu.read_tenants`` / ``zhibu.write_tenants``: comma-separated tenant ids;
- ``zhibu.all_tenants``: ``on`` for the platform administrator and system jobs.

Every table with a ``tenant_id`` column gets two policies, with ``FORCE`` so that the
table owner is held to them too. A query that forgets its tenant filter then returns
nothing rather than another tenant's rows. The app must connect as a role without
SUPERUSER or BYPASSRLS (see docs/operations.md); :func:`bypasses_rls` tells if it does not.

Migrations call :func:`enable` for each new tenant-owned table; these functions are
part of the migration history and must keep their meaning.
"""

from __future__ import annotations

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
