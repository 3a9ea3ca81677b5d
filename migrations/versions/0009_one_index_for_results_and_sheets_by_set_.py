"""one index for results by set and subject; no second index for a cycle's sheets

A set's results and a subject's results in the current sets are both found through
(tenant_id, result_set_id, subject_id); a cycle's sheets through their unique key, which
begins with (tenant_id, cycle_id). Each index dropped is one fewer for every row a city's
recompute or a city's month writes.

Building the new index blocks writes to ``results`` while it runs (a minute or so on
tens of millions of rows). On a large database build it beforehand without blocking,
``CREATE INDEX CONCURRENTLY ix_results_set_subject ON results (tenant_id,
result_set_id, subject_id)``; this migration then keeps it (docs/operations.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_set_subject",
            ["tenant_id", "result_set_id", "subject_id"],
            unique=False,
            if_not_exists=True,
        )
        batch_op.drop_index("ix_results_subject")
        batch_op.drop_index("ix_results_set")

    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.drop_index("ix_score_sheets_cycle")


def downgrade():
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.create_index("ix_score_sheets_cycle", ["tenant_id", "cycle_id"], unique=False)

    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index("ix_results_set", ["tenant_id", "result_set_id"], unique=False)
        batch_op.create_index("ix_results_subject", ["tenant_id", "subject_id"], unique=False)
        batch_op.drop_index("ix_results_set_subject")
