"""the subjects with score sheets in a cycle, and how many, are kept as the sheets are
written, and a result set keeps its results counted by level: the 工作台 and the sheets'
list read neither every sheet nor every result; a page of a publication's entries is read
in the 公示名单's order from an index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 16:30:00

"""
import json
from collections import defaultdict

from alembic import op
import sqlalchemy as sa
from flask import current_app

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entered_subjects',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('sheets', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_entered_subjects_tenant_id_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_entered_subjects_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'cycle_id', 'subject_id', name=op.f('pk_entered_subjects'))
    )
    rls.protect(op, 'entered_subjects')
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('levels', sa.JSON(), nullable=True))
    op.create_index(
        'ix_publication_entries_order', 'publication_entries',
        ['tenant_id', 'publication_id', sa.text('subject_kind DESC'), 'track', 'subject_code'],
    )
    # the rows already stored, under every tenant's scope (the tables force row-level
    # security on their owner too)
    rls.see_all_tenants(op, current_app.config.get('ZHIBU_ALL_TENANTS_KEY'))
    op.execute(
        'INSERT INTO entered_subjects (tenant_id, cycle_id, subject_id, subject_kind, sheets)'
        ' SELECT tenant_id, cycle_id, subject_id, min(subject_kind), count(*) FROM score_sheets'
        ' GROUP BY tenant_id, cycle_id, subject_id'
    )
    _count_levels()


def _count_levels():
    """Each result set's results counted as ``zhibu.evaluations.compute.count_levels``
    counts them (the same groups, in the same form)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT tenant_id, result_set_id, track, kind, subject_kind, rated, stars, grade,'
        ' CAST(titles AS TEXT), count(*) FROM results'
        ' GROUP BY tenant_id, result_set_id, track, kind, subject_kind, rated, stars, grade,'
        ' CAST(titles AS TEXT)'
    ))
    sets = defaultdict(list)
    for tenant, result_set, track, kind, subject, rated, stars, grade, titles, n in rows:
        sets[tenant, result_set].append({
            'track': track, 'kind': kind, 'subject_kind': subject, 'rated': bool(rated),
            'stars': stars, 'grade': grade, 'titles': json.loads(titles) if titles else [],
            'count': n,
        })
    for (tenant, result_set), groups in sets.items():
        bind.execute(
            sa.text('UPDATE result_sets SET levels = :levels WHERE tenant_id = :t AND id = :s'),
            {'levels': json.dumps(groups, ensure_ascii=False), 't': tenant, 's': result_set},
        )


def downgrade():
    op.drop_index('ix_publication_entries_order', table_name='publication_entries')
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.drop_column('levels')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.drop_policies_sql('entered_subjects'))
    op.drop_table('entered_subjects')
