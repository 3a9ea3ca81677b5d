"""one current result set per cycle; notifications name their unit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:37:35.124554

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_tenant_id_org_id_org_units"),
            "org_units",
            ["tenant_id", "org_id"],
            ["tenant_id", "id"],
        )

    with op.batch_alter_table("result_sets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_result_sets_current",
            ["tenant_id", "cycle_id"],
            unique=True,
            postgresql_where=sa.text("current"),
            sqlite_where=sa.text("current"),
        )


def downgrade():
    with op.batch_alter_table("result_sets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_result_sets_current",
            postgresql_where=sa.text("current"),
            sqlite_where=sa.text("current"),
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_tenant_id_org_id_org_units"), type_="foreignkey"
        )
