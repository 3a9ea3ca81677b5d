"""evaluation workflow and rectification ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:36:16.178041

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls

TENANT_TABLES = (
    'scheme_versions', 'cycles', 'score_sheets', 'score_items', 'incidents',
    'activity_records', 'result_sets', 'results', 'rectification_items', 'follow_ups',
)


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incidents',
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_incidents_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incidents_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_subject', ['tenant_id', 'subject_id'], unique=False)

    op.create_table('scheme_versions',
    sa.Column('scheme_key', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scheme_versions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scheme_versions_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scheme_versions')),
    sa.UniqueConstraint('tenant_id', 'scheme_key', 'number', name=op.f('uq_scheme_versions_tenant_id_scheme_key_number'))
    )
    op.create_table('activity_records',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=True),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_activity_records_tenant_id_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_activity_records_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_activity_records'))
    )
    with op.batch_alter_table('activity_records', schema=None) as batch_op:
        batch_op.create_index('ix_activity_records_org_date', ['tenant_id', 'org_id', 'held_on'], unique=False)

    op.create_table('cycles',
    sa.Column('scheme_key', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('phase', sa.String(length=24), nullable=False),
    sa.Column('deadlines', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("period_kind IN ('year', 'half', 'quarter', 'month')", name=op.f('ck_cycles_period_kind')),
    sa.CheckConstraint("phase IN ('self_assessment', 'assessment', 'review', 'publicity', 'final')", name=op.f('ck_cycles_phase')),
    sa.ForeignKeyConstraint(['tenant_id', 'version_id'], ['scheme_versions.tenant_id', 'scheme_versions.id'], name=op.f('fk_cycles_tenant_id_version_id_scheme_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cycles_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_cycles')),
    sa.UniqueConstraint('tenant_id', 'scheme_key', 'label', name=op.f('uq_cycles_tenant_id_scheme_key_label'))
    )
    op.create_table('rectification_items',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('cycle_id', sa.Uuid(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('origin_ref', sa.String(length=200), nullable=False),
    sa.Column('issue', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('raised_by', sa.Uuid(), nullable=True),
    sa.Column('signed_off_by', sa.Uuid(), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'rectified', 'signed_off')", name=op.f('ck_rectification_items_status')),
    sa.ForeignKeyConstraint(['raised_by'], ['users.id'], name=op.f('fk_rectification_items_raised_by_users')),
    sa.ForeignKeyConstraint(['signed_off_by'], ['users.id'], name=op.f('fk_rectification_items_signed_off_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'org_id'], ['org_units.tenant_id', 'org_units.id'], name=op.f('fk_rectification_items_tenant_id_org_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rectification_items_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_rectification_items'))
    )
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_items_deadline', ['tenant_id', 'status', 'deadline'], unique=False)
        batch_op.create_index('ix_rectification_items_org', ['tenant_id', 'org_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('finding', sa.Text(), nullable=False),
    sa.Column('satisfactory', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'item_id'], ['rectification_items.tenant_id', 'rectification_items.id'], name=op.f('fk_follow_ups_tenant_id_item_id_rectification_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_follow_ups_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follow_ups_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_item', ['tenant_id', 'item_id'], unique=False)

    op.create_table('result_sets',
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('subjects', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_result_sets_tenant_id_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['tenant_id', 'version_id'], ['scheme_versions.tenant_id', 'scheme_versions.id'], name=op.f('fk_result_sets_tenant_id_version_id_scheme_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_result_sets_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_result_sets'))
    )
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.create_index('ix_result_sets_cycle', ['tenant_id', 'cycle_id'], unique=False)

    op.create_table('score_sheets',
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('rater', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("subject_kind IN ('org', 'member')", name=op.f('ck_score_sheets_subject_kind')),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_score_sheets_tenant_id_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_score_sheets_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_score_sheets_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('tenant_id', 'cycle_id', 'subject_id', 'source', 'rater', 'period', name=op.f('uq_score_sheets_tenant_id_cycle_id_subject_id_source_rater_period'))
    )
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.create_index('ix_score_sheets_cycle', ['tenant_id', 'cycle_id'], unique=False)

    op.create_table('results',
    sa.Column('result_set_id', sa.Uuid(), nullable=False),
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('subject_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('track', sa.String(length=32), nullable=True),
    sa.Column('rated', sa.Boolean(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(length=32), nullable=True),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('source_scores', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('gap', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'result_set_id'], ['result_sets.tenant_id', 'result_sets.id'], name=op.f('fk_results_tenant_id_result_set_id_result_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_results_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_results'))
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index('ix_results_set', ['tenant_id', 'result_set_id'], unique=False)
        batch_op.create_index('ix_results_subject', ['tenant_id', 'subject_id'], unique=False)

    op.create_table('score_items',
    sa.Column('sheet_id', sa.Uuid(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind <> 'deduction' OR length(reason) > 0", name=op.f('ck_score_items_deduction_reason')),
    sa.CheckConstraint("kind IN ('points', 'deduction')", name=op.f('ck_score_items_kind')),
    sa.ForeignKeyConstraint(['tenant_id', 'sheet_id'], ['score_sheets.tenant_id', 'score_sheets.id'], name=op.f('fk_score_items_tenant_id_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_score_items_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_score_items'))
    )
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.create_index('ix_score_items_sheet', ['tenant_id', 'sheet_id'], unique=False)

    rls.enable(op, *TENANT_TABLES)


def downgrade():
    rls.disable(op, *TENANT_TABLES)
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.drop_index('ix_score_items_sheet')

    op.drop_table('score_items')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index('ix_results_subject')
        batch_op.drop_index('ix_results_set')

    op.drop_table('results')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_index('ix_score_sheets_cycle')

    op.drop_table('score_sheets')
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_result_sets_cycle')

    op.drop_table('result_sets')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_item')

    op.drop_table('follow_ups')
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_items_org')
        batch_op.drop_index('ix_rectification_items_deadline')

    op.drop_table('rectification_items')
    op.drop_table('cycles')
    with op.batch_alter_table('activity_records', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_records_org_date')

    op.drop_table('activity_records')
    op.drop_table('scheme_versions')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_subject')

    op.drop_table('incidents')
