"""the members never rated (retired, exempt) and the 离退休 units are indexed: the 工作台's
score entry counts the members a cycle rates as its results do (those who left during it
included; the retired, the exempt and a 离退休 unit's not) from indexes, without reading
every member's row

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
    op.create_index(
        'ix_org_units_retired', 'org_units', ['tenant_id', 'id'],
        postgresql_where=sa.text('retired'), sqlite_where=sa.text('retired = 1'),
    )


def downgrade():
    op.drop_index('ix_org_units_retired', table_name='org_units')
    op.drop_index('ix_members_flagged', table_name='members')
