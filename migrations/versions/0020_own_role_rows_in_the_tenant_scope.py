"""a request reads its caller's own role assignments under the tenant's scope, so one
set_config statement sets the scope of the whole request

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-04 13:30:00

"""
from alembic import op

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.OWN_ROLES_SQL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.DROP_OWN_ROLES_SQL)
