"""evidence files (佐证材料) of deductions, rectification items, 回头看 and 销号; the client
ids of sheets sent by offline devices; what a 销号 checked

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 09:43:06.695677

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_files',
    sa.Column('owner_kind', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('thumb_key', sa.String(length=300), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_evidence_files_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evidence_files_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_evidence_files')),
    sa.UniqueConstraint('tenant_id', 'client_id', name=op.f('uq_evidence_files_tenant_id_client_id'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_files_owner', ['tenant_id', 'owner_kind', 'owner_id'], unique=False)

    op.create_table('sheet_syncs',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sheet_syncs_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sheet_syncs_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sheet_syncs')),
    sa.UniqueConstraint('tenant_id', 'client_id', name=op.f('uq_sheet_syncs_tenant_id_client_id'))
    )
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_off_note', sa.Text(), server_default='', nullable=False))
    rls.protect(op, 'evidence_files', 'sheet_syncs')  # the policies of 0010



def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.drop_policies_sql('evidence_files'))
        op.execute(rls.drop_policies_sql('sheet_syncs'))
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_column('signed_off_note')

    op.drop_table('sheet_syncs')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_files_owner')

    op.drop_table('evidence_files')
