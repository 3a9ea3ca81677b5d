"""the kinds of unit come from the plugins: org_units.kind is checked by the service

A plugin may add kinds of unit (站所, 街道 …) through ``zhibu_org_kinds``; the fixed list
of the database's check constraint would refuse them. The org service checks a unit's
kind against the loaded plugins' kinds (the core's own come through the same hook).

Downgrading puts the check back, and fails while a unit has a kind a plugin added.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CORE_KINDS = (
    "committee",
    "general_branch",
    "branch",
    "party_group",
    "township",
    "village",
    "community",
    "two_new",
    "enterprise",
    "organ",
)


def _rebuilt(change) -> None:
    """Change org_units. SQLite rebuilds the table to change a constraint, and the old
    table may not go while members and units point at it: foreign keys are not enforced
    meanwhile (outside a transaction), or checked at its end (inside one), then checked
    for the whole database."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        change(batch_op)
    if sqlite:
        op.execute("PRAGMA foreign_keys = ON")
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild of org_units: {broken}")


def upgrade():
    _rebuilt(lambda batch_op: batch_op.drop_constraint(op.f("ck_org_units_kind"), type_="check"))


def downgrade():
    kinds = ", ".join(f"'{kind}'" for kind in CORE_KINDS)
    _rebuilt(
        lambda batch_op: batch_op.create_check_constraint(
            op.f("ck_org_units_kind"), f"kind IN ({kinds})"
        )
    )
