"""results drop their own key to tenants: the key to result_sets holds the tenant

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 05:40:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_results_tenant_id_tenants"), type_="foreignkey")


def downgrade():
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_results_tenant_id_tenants"), "tenants", ["tenant_id"], ["id"]
        )
