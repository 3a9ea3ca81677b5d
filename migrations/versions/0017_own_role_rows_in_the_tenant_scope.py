"""a request reads its caller's own role assignments under the tenant's scope, so one
set_config statement sets the scope of the whole request; a page of results is read in
the lists' order from an index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 13:30:00

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_results_set_order', 'results',
        ['tenant_id', 'result_set_id', sa.text('subject_kind DESC'), 'subject_code'],
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.OWN_ROLES_SQL)


def downgrade():
    op.drop_index('ix_results_set_order', table_name='results')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.DROP_OWN_ROLES_SQL)
