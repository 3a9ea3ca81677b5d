"""the index of a result set in the lists' order carries each result's id (PostgreSQL):
a page of results finds its ids from the index alone, however far into the set it is,
and reads only its own rows from the table

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = ['tenant_id', 'result_set_id', sa.text('subject_kind DESC'), 'subject_code']


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no INCLUDE; its index stays as it is
    op.drop_index('ix_results_set_order', table_name='results')
    op.create_index('ix_results_set_order', 'results', COLUMNS, postgresql_include=['id'])


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_results_set_order', table_name='results')
    op.create_index('ix_results_set_order', 'results', COLUMNS)
