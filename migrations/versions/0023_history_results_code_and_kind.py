"""results loaded as history carry their subject's code and kind (a unit's own kind: 村,
社区 …), as computed results do, so that lists, counts and the overview find their track;
their sets' counts by level are counted again on first read

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 17:35:00

"""
from alembic import op
from flask import current_app

from zhibu.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

HISTORY = (
    "result_set_id IN (SELECT id FROM result_sets WHERE input_hash = 'history')"
)


def upgrade():
    # every tenant's rows (the tables force row-level security on their owner too), with
    # this app's key written first, as 0019 does
    key = current_app.config.get('ZHIBU_ALL_TENANTS_KEY')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(rls.key_function_sql(key))
    rls.see_all_tenants(op, key)
    op.execute(
        "UPDATE results SET"
        " subject_code = (SELECT u.code FROM org_units u"
        "  WHERE u.tenant_id = results.tenant_id AND u.id = results.subject_id),"
        " kind = (SELECT u.kind FROM org_units u"
        "  WHERE u.tenant_id = results.tenant_id AND u.id = results.subject_id)"
        f" WHERE subject_kind = 'org' AND track IS NULL AND {HISTORY} AND EXISTS"
        " (SELECT 1 FROM org_units u"
        "  WHERE u.tenant_id = results.tenant_id AND u.id = results.subject_id)"
    )
    op.execute(
        "UPDATE results SET"
        " subject_code = (SELECT coalesce(m.archive_code, '') FROM members m"
        "  WHERE m.tenant_id = results.tenant_id AND m.id = results.subject_id)"
        f" WHERE subject_kind = 'member' AND track IS NULL AND {HISTORY} AND EXISTS"
        " (SELECT 1 FROM members m"
        "  WHERE m.tenant_id = results.tenant_id AND m.id = results.subject_id)"
    )
    op.execute("UPDATE result_sets SET levels = NULL WHERE input_hash = 'history'")


def downgrade():
    pass  # the codes and kinds are facts about the subjects; nothing to undo
