"""the subjects with score sheets in a cycle are counted by kind as they are first entered,
and the active members and those who left are each indexed: the 工作台's score entry reads
a row per kind and two indexes instead of every entered subject and every member; a result
set's counts by level tell the vetoed results (一票否决) apart

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 23:00:00

"""
import json
from collections import defaultdict

from alembic import op
import sqlalchemy as sa
from flask import current_app

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entered_counts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subjects', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_entered_counts_tenant_id_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_entered_counts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'cycle_id', 'subject_kind', name=op.f('pk_entered_counts'))
    )
    rls.protect(op, 'entered_counts')
    op.create_index(
        'ix_members_active', 'members', ['tenant_id'],
        postgresql_where=sa.text('active'), sqlite_where=sa.text('active = 1'),
    )
    op.create_index(
        'ix_members_left', 'members', ['tenant_id', 'id'],
        postgresql_where=sa.text('NOT active'), sqlite_where=sa.text('active = 0'),
    )
    # the subjects already entered, under every tenant's scope (the tables force row-level
    # security on their owner too). The all-tenant test is written for this app's key
    # first, as 0010 does: were the secret key changed with this upgrade, the rows would
    # otherwise stay hidden until the end of the upgrade, and nothing would be counted.
    key = current_app.config.get('ZHIBU_ALL_TENANTS_KEY')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.key_function_sql(key))
    rls.see_all_tenants(op, key)
    op.execute(
        'INSERT INTO entered_counts (tenant_id, cycle_id, subject_kind, subjects)'
        ' SELECT tenant_id, cycle_id, subject_kind, count(*) FROM entered_subjects'
        ' WHERE sheets > 0 GROUP BY tenant_id, cycle_id, subject_kind'
    )
    _count_levels()


def _count_levels():
    """Each result set's results counted as ``zhibu.evaluations.compute.count_levels``
    counts them since this revision: 0018's groups, each vetoed or not."""
    bind = op.get_bind()
    vetoed = 'CAST(flags AS TEXT) LIKE \'%"vetoed"%\''
    rows = bind.execute(sa.text(
        'SELECT tenant_id, result_set_id, track, kind, subject_kind, rated, stars, grade,'
        f' CAST(titles AS TEXT), {vetoed}, count(*) FROM results'
        ' GROUP BY tenant_id, result_set_id, track, kind, subject_kind, rated, stars, grade,'
        f' CAST(titles AS TEXT), {vetoed}'
    ))
    sets = defaultdict(list)
    for tenant, result_set, track, kind, subject, rated, stars, grade, titles, veto, n in rows:
        sets[tenant, result_set].append({
            'track': track, 'kind': kind, 'subject_kind': subject, 'rated': bool(rated),
            'stars': stars, 'grade': grade, 'titles': json.loads(titles) if titles else [],
            'vetoed': bool(veto), 'count': n,
        })
    for (tenant, result_set), groups in sets.items():
        bind.execute(
            sa.text('UPDATE result_sets SET levels = :levels WHERE tenant_id = :t AND id = :s'),
            {'levels': json.dumps(groups, ensure_ascii=False), 't': tenant, 's': result_set},
        )


def downgrade():
    op.drop_index('ix_members_left', table_name='members')
    op.drop_index('ix_members_active', table_name='members')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.drop_policies_sql('entered_counts'))
    op.drop_table('entered_counts')
