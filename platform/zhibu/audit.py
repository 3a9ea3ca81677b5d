"""Every write goes to the audit log: who, when, what, and the values before and after.

ORM writes are captured at flush time, so no service can forget them. Bulk statements
(a 10,000-row import) bypass the ORM's unit of work; their services call
:func:`record_many` with the before and after of every row they change (written in bulk
too) and :func:`record` with a summary.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import uuid_utils.compat
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from zhibu import bulk
from zhibu.models import AuditEntry, Tenant, TenantScoped
from zhibu.tenancy.scope import current_scope

SECRET_FIELDS = {"password_hash", "id_card_cipher", "id_card_digest", "digest"}
SKIPPED_FIELDS = {"created_at", "updated_at", "last_used_at", "last_login_at"}
MASK = "***"


def json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _fields(obj) -> list[str]:
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in SKIPPED_FIELDS]


def _shown(field: str, value: Any) -> Any:
    return MASK if field in SECRET_FIELDS and value is not None else json_value(value)


def _snapshot(obj) -> dict[str, Any]:
    return {f: _shown(f, getattr(obj, f)) for f in _fields(obj)}


def _changes(obj) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for field in _fields(obj):
        history = state.attrs[field].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            before[field] = _shown(field, old)
            after[field] = _shown(field, getattr(obj, field))
    return before, after


def _tenant_of(obj) -> uuid.UUID | None:
    if isinstance(obj, TenantScoped):
        return obj.tenant_id
    if isinstance(obj, Tenant):
        return obj.id
    scope = current_scope()
    return next(iter(scope.write)) if len(scope.write) == 1 else None


def _entity_id(obj) -> str:
    ident = getattr(obj, "id", None)
    if ident is not None:
        return str(ident)
    keys = [c.key for c in inspect(obj).mapper.primary_key if c.key != "tenant_id"]
    return "/".join(str(getattr(obj, key)) for key in keys)


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: str = "",
    tenant_id: uuid.UUID | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Add one audit entry for a write the ORM does not see (a bulk statement, a login)."""
    _insert(session, [_row(action, entity, entity_id, tenant_id, before, after)])


AUDIT_COLUMNS = ("id", "tenant_id", "user_id", "username", "action", "entity", "entity_id")


def record_many(
    session: Session,
    *,
    entity: str,
    tenant_id: uuid.UUID,
    changes: list[tuple[str, str, dict | None, dict | None]],
) -> None:
    """One entry per row a bulk statement changed: ``(action, entity_id, before, after)``
    each (secrets already masked; dates and ids are written as JSON text). Written in
    bulk: multi-row INSERTs on PostgreSQL, one executemany elsewhere."""
    rows = [
        _row(action, entity, key, tenant_id, before, after, uuid_utils.compat.uuid7())
        for action, key, before, after in changes
    ]
    if not rows:
        return
    connection = session.connection()
    if not bulk.pipelined(connection):
        for row in rows:  # dates and ids as the JSON text has them
            row["before"] = orjson.loads(_json(row["before"]) or "null")
            row["after"] = orjson.loads(_json(row["after"]) or "null")
        _insert(session, rows)
        return
    bulk.insert_rows(
        connection,
        AuditEntry.__tablename__,
        (*AUDIT_COLUMNS, "before", "after"),
        rows,
        _audit_values,
        tenants=[tenant_id],
        casts={"before": "json", "after": "json"},
    )


def _audit_values(row: dict[str, Any]) -> list[Any]:
    values = [row[column] for column in AUDIT_COLUMNS]
    return [*values, _json(row["before"]), _json(row["after"])]


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _row(action, entity, entity_id, tenant_id, before, after, key=None) -> dict[str, Any]:
    scope = current_scope()
    return {
        "id": key or uuid.uuid4(),
        "tenant_id": tenant_id,
        "user_id": scope.user_id,
        "username": scope.username,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context) -> None:
    """After the rows are written (ids known, foreign keys satisfied), while the session
    still shows what the flush changed."""
    rows = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not hasattr(obj, "__table__"):
                continue
            if action == "create":
                before, after = None, _snapshot(obj)
            elif action == "delete":
                before, after = _snapshot(obj), None
            else:
                before, after = _changes(obj)
                if not after:
                    continue
            rows.append(
                _row(action, obj.__tablename__, _entity_id(obj), _tenant_of(obj), before, after)
            )
    _insert(session, rows)
