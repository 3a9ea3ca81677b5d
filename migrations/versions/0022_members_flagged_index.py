"""the members never rated (retired, exempt) are indexed: the 工作台's score entry counts
the members a cycle rates as its results do (those who left during it included, the
retired and exempt not) from indexes, without reading every member's row

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_members_flagged', 'members', ['tenant_id', 'id'],
        postgresql_where=sa.text("category = 'retired' OR exempt"),
        sqlite_where=sa.text("category = 'retired' OR exempt = 1"),
    )


def downgrade():
    op.drop_index('ix_members_flagged', table_name='members')
