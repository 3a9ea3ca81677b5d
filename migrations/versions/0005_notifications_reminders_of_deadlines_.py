"""notifications: reminders of deadlines and due rectification items

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:24:38.298960

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('phase_deadline', 'phase_overdue', 'rectification_due', 'rectification_overdue')", name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_notifications_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('tenant_id', 'kind', 'ref', 'day', name=op.f('uq_notifications_tenant_id_kind_ref_day'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_day', ['tenant_id', 'day'], unique=False)

    rls.enable(op, 'notifications')


def downgrade():
    rls.disable(op, 'notifications')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_day')

    op.drop_table('notifications')
