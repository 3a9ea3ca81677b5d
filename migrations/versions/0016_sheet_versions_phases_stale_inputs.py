"""sheets take turns and carry a version; a sheet's lines are unique; cycles keep their
reopened inputs; input changes after the last recompute mark results out of date

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 10:30:00

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), server_default=sa.text('0'), nullable=False))
    # the lines of the sheets already stored, numbered in the order of their ids
    op.execute(
        "UPDATE score_items SET seq = (SELECT count(*) FROM score_items earlier"
        " WHERE earlier.tenant_id = score_items.tenant_id"
        " AND earlier.sheet_id = score_items.sheet_id AND earlier.id < score_items.id)"
    )
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.drop_index('ix_score_items_sheet')
        batch_op.create_index('uq_score_items_sheet_seq', ['tenant_id', 'sheet_id', 'seq'], unique=True)
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    op.create_table('input_changes',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_input_changes_tenant_id_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_input_changes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'cycle_id', 'subject_id', name=op.f('pk_input_changes'))
    )
    rls.protect(op, 'input_changes')  # the policies of 0010 (keyed, once per statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.drop_policies_sql('input_changes'))
    op.drop_table('input_changes')
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('reopened')
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.drop_index('uq_score_items_sheet_seq')
        batch_op.create_index('ix_score_items_sheet', ['tenant_id', 'sheet_id'], unique=False)
        batch_op.drop_column('seq')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_column('version')
