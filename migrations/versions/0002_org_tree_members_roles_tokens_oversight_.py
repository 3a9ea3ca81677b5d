"""org tree, members, roles, tokens, oversight, audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:24:03.328489

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls

TENANT_TABLES = (
    'tenant_schemes', 'org_units', 'org_events', 'members', 'member_transfers',
    'role_assignments', 'audit_log',
)


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_log_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_tenant_at', ['tenant_id', 'at'], unique=False)

    op.create_table('org_units',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dissolved_on', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind IN ('committee', 'general_branch', 'branch', 'party_group', 'township', 'village', 'community', 'two_new', 'enterprise', 'organ')", name=op.f('ck_org_units_kind')),
    sa.CheckConstraint("status IN ('active', 'dissolved')", name=op.f('ck_org_units_status')),
    sa.ForeignKeyConstraint(['tenant_id', 'parent_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_org_units_tenant_id_parent_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_org_units_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_org_units')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_org_units_tenant_id_code'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index('ix_org_units_tenant_path', ['tenant_id', 'path'], unique=False)

    op.create_table('oversight_links',
    sa.Column('overseer_id', sa.Uuid(), nullable=False),
    sa.Column('overseen_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('overseer_id <> overseen_id', name=op.f('ck_oversight_links_not_self')),
    sa.ForeignKeyConstraint(['overseen_id'], ['tenants.id'], name=op.f('fk_oversight_links_overseen_id_tenants')),
    sa.ForeignKeyConstraint(['overseer_id'], ['tenants.id'], name=op.f('fk_oversight_links_overseer_id_tenants')),
    sa.PrimaryKeyConstraint('overseer_id', 'overseen_id', name=op.f('pk_oversight_links'))
    )
    op.create_table('members',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=4), nullable=True),
    sa.Column('ethnicity', sa.String(length=32), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('full_member_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('position', sa.String(length=64), nullable=True),
    sa.Column('education', sa.String(length=32), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('archive_code', sa.String(length=64), nullable=False),
    sa.Column('id_card_cipher', sa.Text(), nullable=True),
    sa.Column('id_card_digest', sa.String(length=64), nullable=True),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("category IN ('serving', 'retired', 'mobile')", name=op.f('ck_members_category')),
    sa.CheckConstraint("status IN ('full', 'probationary')", name=op.f('ck_members_status')),
    sa.ForeignKeyConstraint(['tenant_id', 'org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_members_tenant_id_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_members_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_members')),
    sa.UniqueConstraint('tenant_id', 'archive_code', name=op.f('uq_members_tenant_id_archive_code')),
    sa.UniqueConstraint('tenant_id', 'id_card_digest', name=op.f('uq_members_tenant_id_id_card_digest'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_org', ['tenant_id', 'org_id'], unique=False)

    op.create_table('org_events',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_org_events_tenant_id_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_org_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_org_events'))
    )
    with op.batch_alter_table('org_events', schema=None) as batch_op:
        batch_op.create_index('ix_org_events_org', ['tenant_id', 'org_id'], unique=False)

    op.create_table('member_transfers',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('from_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_org_id', sa.Uuid(), nullable=False),
    sa.Column('transferred_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'from_org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_member_transfers_tenant_id_from_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id', 'member_id'], ['members.tenant_id', 'members.id'], name=op.f('fk_member_transfers_tenant_id_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id', 'to_org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_member_transfers_tenant_id_to_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_transfers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_member_transfers'))
    )
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_member_transfers_member', ['tenant_id', 'member_id'], unique=False)

    op.create_table('role_assignments',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("role <> 'branch_secretary' OR org_id IS NOT NULL", name=op.f('ck_role_assignments_secretary_org')),
    sa.CheckConstraint("role <> 'member' OR member_id IS NOT NULL", name=op.f('ck_role_assignments_member_self')),
    sa.CheckConstraint("role IN ('tenant_admin', 'assessor', 'branch_secretary', 'member', 'overseer')", name=op.f('ck_role_assignments_role')),
    sa.ForeignKeyConstraint(['tenant_id', 'member_id'], ['members.tenant_id', 'members.id'], name=op.f('fk_role_assignments_tenant_id_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id', 'org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_role_assignments_tenant_id_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_role_assignments_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_role_assignments'))
    )
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_role_assignments_user', ['user_id'], unique=False)

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_card_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))

    rls.enable(op, *TENANT_TABLES)


def downgrade():
    rls.disable(op, *TENANT_TABLES, drop_functions=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('id_card_enabled')

    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_role_assignments_user')

    op.drop_table('role_assignments')
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_member_transfers_member')

    op.drop_table('member_transfers')
    with op.batch_alter_table('org_events', schema=None) as batch_op:
        batch_op.drop_index('ix_org_events_org')

    op.drop_table('org_events')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_org')

    op.drop_table('members')
    op.drop_table('oversight_links')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index('ix_org_units_tenant_path')

    op.drop_table('org_units')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_tenant_at')

    op.drop_table('audit_log')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
