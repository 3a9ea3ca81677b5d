"""publications of results, their entries, objections; who recomputed a result set

A publication and its entries are never updated nor deleted: a trigger refuses it on
PostgreSQL and on SQLite (the service refuses it first).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:41:10.223565

"""
from alembic import op
import sqlalchemy as sa

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publications',
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('result_set_id', sa.Uuid(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("phase IN ('publicity', 'final')", name=op.f('ck_publications_phase')),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_publications_tenant_id_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['tenant_id', 'result_set_id'], ['result_sets.tenant_id', 'result_sets.id'], name=op.f('fk_publications_tenant_id_result_set_id_result_sets')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_publications_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_publications_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_publications')),
    sa.UniqueConstraint('tenant_id', 'cycle_id', 'version', name=op.f('uq_publications_tenant_id_cycle_id_version'))
    )
    op.create_table('objections',
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('subject_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'rejected', 'upheld')", name=op.f('ck_objections_status')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_objections_reason')),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_objections_answered_by_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'cycle_id'], ['cycles.tenant_id', 'cycles.id'], name=op.f('fk_objections_tenant_id_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['tenant_id', 'publication_id'], ['publications.tenant_id', 'publications.id'], name=op.f('fk_objections_tenant_id_publication_id_publications')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_objections_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_objections_user_id_users')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index('ix_objections_cycle', ['tenant_id', 'cycle_id', 'status'], unique=False)

    op.create_table('publication_entries',
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('subject_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('track', sa.String(length=32), nullable=True),
    sa.Column('rated', sa.Boolean(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(length=32), nullable=True),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('gap', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'publication_id'], ['publications.tenant_id', 'publications.id'], name=op.f('fk_publication_entries_tenant_id_publication_id_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_publication_entries_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_publication_entries'))
    )
    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.create_index('ix_publication_entries_publication', ['tenant_id', 'publication_id', 'subject_id'], unique=False)

    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_result_sets_user_id_users'), 'users', ['user_id'], ['id'])

    for table in ('publications', 'objections', 'publication_entries'):
        rls.protect(op, table)
    for statement in immutable_sql(op.get_bind().dialect.name):
        op.execute(statement)


IMMUTABLE = ('publications', 'publication_entries')
MESSAGE = 'published results are immutable: publish a new version instead'


def immutable_sql(dialect: str) -> list[str]:
    """Triggers refusing UPDATE and DELETE of published rows."""
    if dialect == 'postgresql':
        statements = [
            "CREATE OR REPLACE FUNCTION zhibu_published_immutable() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = '55000'; END $$"
        ]
        statements += [
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION zhibu_published_immutable()"
            for table in IMMUTABLE
        ]
        return statements
    return [
        f"CREATE TRIGGER {table}_immutable_{op} BEFORE {op.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for table in IMMUTABLE
        for op in ('update', 'delete')
    ]


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in IMMUTABLE:
        if dialect == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        else:
            for what in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable_{what}")
    if dialect == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS zhibu_published_immutable()")
        for table in ('publications', 'objections', 'publication_entries'):
            op.execute(rls.drop_policies_sql(table))
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_result_sets_user_id_users'), type_='foreignkey')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_entries_publication')

    op.drop_table('publication_entries')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index('ix_objections_cycle')

    op.drop_table('objections')
    op.drop_table('publications')
