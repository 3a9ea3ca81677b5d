"""The schema stays distributable by tenant (issue 19, docs/operations.md "Growing past
one PostgreSQL server"): in Citus a table distributed by ``tenant_id`` needs the column
in its primary key and in every unique key, and a foreign key between two distributed
tables must include it (the rows of both live on the same shard). Tables without
``tenant_id`` are reference tables (copied to every node): they may not point at a
distributed table.

The models are checked (``tests/test_migrations.py`` holds them equal to the migrations),
and the list of tables of each kind is written here, so that a new table is a decision.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

import zhibu.models  # noqa: F401  (every table in the metadata)
from zhibu.db import db

REFERENCE = {"tenants", "users", "api_tokens", "oversight_links"}
# Documented exceptions: tenant rows kept on the coordinator, not distributed (the reason
# is in docs/operations.md).
LOCAL = {
    # platform-wide entries (a new tenant, a user, a login) have no tenant: tenant_id is
    # nullable, so the key is (id); the log is append-only and joined with nothing
    "audit_log": "tenant_id is empty for platform-wide entries",
}


def _names(columns) -> list[str]:
    return [c.name for c in columns]


def _tables():
    return {t.name: t for t in db.metadata.sorted_tables}


def test_every_table_is_distributed_reference_or_a_documented_exception():
    tables = _tables()
    distributed = {name for name, t in tables.items() if "tenant_id" in t.c} - set(LOCAL)
    assert set(tables) == distributed | REFERENCE | set(LOCAL), (
        "a new table: tenant-owned (tenant_id), a reference table or a documented exception?"
    )
    assert not (REFERENCE & {name for name, t in tables.items() if "tenant_id" in t.c})
    assert {"results", "score_sheets", "members", "org_units", "cycles"} <= distributed


def test_distributed_tables_keep_tenant_id_in_every_key():
    wrong = []
    for name, table in _tables().items():
        if "tenant_id" not in table.c or name in LOCAL:
            continue
        if table.c.tenant_id.nullable:
            wrong.append(f"{name}: tenant_id may be empty")
        if "tenant_id" not in _names(table.primary_key.columns):
            wrong.append(f"{name}: primary key {_names(table.primary_key.columns)}")
        for constraint in table.constraints:
            columns = _names(constraint.columns)
            if isinstance(constraint, UniqueConstraint) and "tenant_id" not in columns:
                wrong.append(f"{name}: unique {columns}")
            if isinstance(constraint, ForeignKeyConstraint):
                target = constraint.referred_table.name
                if target not in REFERENCE and "tenant_id" not in columns:
                    wrong.append(f"{name}: foreign key {columns} → {target}")
                if target in LOCAL:
                    wrong.append(f"{name}: foreign key to the local table {target}")
        for index in table.indexes:
            if index.unique and "tenant_id" not in _names(index.columns):
                wrong.append(f"{name}: unique index {index.name}")
    assert wrong == [], "not distributable by tenant_id:\n" + "\n".join(wrong)


def test_reference_tables_point_at_no_distributed_table():
    tables = _tables()
    wrong = [
        f"{name}: {_names(c.columns)} → {c.referred_table.name}"
        for name in REFERENCE
        for c in tables[name].constraints
        if isinstance(c, ForeignKeyConstraint) and c.referred_table.name not in REFERENCE
    ]
    assert wrong == []


def test_the_exceptions_are_the_documented_ones():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Growing past one PostgreSQL server", 1)[1].split("\n## ", 1)[0]
    for name in [*LOCAL, *REFERENCE]:
        assert f"`{name}`" in section, name
