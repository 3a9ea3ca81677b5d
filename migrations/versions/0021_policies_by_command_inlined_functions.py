"""row-level security at less cost per statement: the settings' functions are inlined
into the policies (fully qualified, no SET clause), and each table's write policy is one
per command (INSERT, UPDATE, DELETE), so that a SELECT evaluates its read policy only

See ``zhibu.tenancy.rls``. The all-tenant key's function is written by ``zhibu db
upgrade`` after the migrations (``rls.after_upgrade``), in its inlined form.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 13:10:00

"""
from alembic import op

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(rls.INLINED_TENANT_SET_FUNCTIONS_SQL)
    for table in rls.protected_tables(op.get_bind()):
        op.execute(rls.policies_by_command_sql(table))


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in rls.protected_tables(op.get_bind()):
        op.execute(rls.policy_for_all_sql(table))
    op.execute(rls.TENANT_SET_FUNCTIONS_SQL)
