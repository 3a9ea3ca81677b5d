"""session versions; the lockout counts outside the database; row-level security with a
keyed all-tenant switch, checked once per statement

``users.session_version`` ends every page session of a user at logout or a password
change; ``users.failed_logins`` goes (failed logins are counted by the login throttle).

The policies of every protected table read the transaction's settings once per statement
(InitPlans) instead of once per row, and the all-tenant switch needs the app's key: setting
``zhibu.all_tenants`` to ``on`` (or anything but the key) opens nothing. See
``zhibu.tenancy.rls``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:00:00

"""

from alembic import op
from flask import current_app
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_column("failed_logins")
    if op.get_bind().dialect.name == "postgresql":
        _keyed_policies()


def _keyed_policies():
    op.execute(rls.TENANT_SET_FUNCTIONS_SQL)
    op.execute(rls.key_function_sql(current_app.config.get("ZHIBU_ALL_TENANTS_KEY")))
    for table in rls.protected_tables(op.get_bind()):
        op.execute(rls.drop_policies_sql(table))
        op.execute(rls.protect_sql(table))
    op.execute("DROP FUNCTION IF EXISTS zhibu_can_write(uuid)")
    op.execute("DROP FUNCTION IF EXISTS zhibu_can_read(uuid)")


def _first_policies():
    tables = rls.protected_tables(op.get_bind())
    op.execute(rls.FUNCTIONS_SQL)  # zhibu_all_tenants() back to 'on'
    for table in tables:
        op.execute(rls.drop_policies_sql(table))
        op.execute(
            f"CREATE POLICY {table}_read ON {table} FOR SELECT"
            f" USING (zhibu_can_read(tenant_id));"
            f"CREATE POLICY {table}_write ON {table} FOR ALL"
            f" USING (zhibu_can_write(tenant_id)) WITH CHECK (zhibu_can_write(tenant_id));"
        )
    op.execute(rls.DROP_TENANT_SET_FUNCTIONS_SQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _first_policies()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_column("session_version")
