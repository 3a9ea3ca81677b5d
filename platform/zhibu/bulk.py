"""Many rows into one table in few statements (a city's results, a city's month of sheets).

SQLAlchemy's bulk insert sends one INSERT per row to PostgreSQL (pipelined, but each one
parsed, planned and checked on its own), and its multi-row form ("insertmanyvalues",
with RETURNING) makes statements so long that the driver converts every one of them
afresh. Here the rows go in INSERTs of :data:`ROWS_PER_STATEMENT` rows each: one
statement text, which the driver converts once and the server prepares once, sent in
one pipelined ``executemany`` whose parameters are made as the driver sends them, so the
server inserts while the next rows are encoded. COPY is not an option: PostgreSQL refuses
``COPY FROM`` under row-level security.

The rows pass the ORM's hooks by, so :func:`insert_rows` checks their tenants against the
request's scope itself (as the hooks would) before anything is sent. Other backends
(SQLite) take the ORM's bulk insert; :func:`pipelined` says which.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

from psycopg import sql
from sqlalchemy.engine import Connection

from zhibu.tenancy.scope import ensure_scope, require_writable

ROWS_PER_STATEMENT = 50  # rows per INSERT: longer ones cost the driver more to convert


def pipelined(connection: Connection) -> bool:
    """Whether :func:`insert_rows` can take rows on this connection (PostgreSQL)."""
    return connection.dialect.name == "postgresql"


def insert_rows(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Any],
    values: Callable[[Any], Sequence[Any]] = tuple,
    *,
    tenants: Collection[uuid.UUID],
    fixed: Mapping[str, sql.Composable] | None = None,
    casts: Mapping[str, str] | None = None,
    per_statement: int = ROWS_PER_STATEMENT,
) -> None:
    """Insert ``rows`` into ``table`` on a PostgreSQL connection, in the session's
    transaction (its tenant settings, and row-level security, hold).

    :param columns: the columns each row gives a value for, in order.
    :param values: turns one row into its values, in ``columns`` order; called as the
        driver sends the rows.
    :param tenants: every tenant the rows belong to; each must be one the request's
        scope may write (:func:`zhibu.tenancy.scope.require_writable`).
    :param fixed: columns with one SQL expression for every row (a literal id, such as
        the result set's), written into the statement.
    :param casts: a column's cast (``{"explanation": "json"}``).
    """
    if not rows:
        return
    require_writable(tenants)
    ensure_scope(connection)  # the driver's cursor passes no SQLAlchemy event
    statement = _Statement(table, columns, fixed or {}, casts or {})
    whole = len(rows) - len(rows) % per_statement
    with connection.connection.driver_connection.cursor() as cursor:
        if whole:
            cursor.executemany(
                statement.of(per_statement), _batches(rows, whole, per_statement, values)
            )
        if whole < len(rows):
            cursor.execute(statement.of(len(rows) - whole), _flat(rows[whole:], values))


def _batches(rows: Sequence, whole: int, size: int, values) -> Iterator[list]:
    for start in range(0, whole, size):
        yield _flat(rows[start : start + size], values)


def _flat(rows: Sequence, values) -> list:
    return [value for row in rows for value in values(row)]


class _Statement:
    def __init__(self, table: str, columns, fixed, casts) -> None:
        marks = [sql.SQL(f"%s::{casts[c]}" if c in casts else "%s") for c in columns]
        self.one = sql.SQL("({})").format(sql.SQL(", ").join([*fixed.values(), *marks]))
        self.head = sql.SQL("INSERT INTO {} ({}) VALUES ").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, [*fixed, *columns]))
        )

    def of(self, count: int) -> sql.Composed:
        return self.head + sql.SQL(", ").join([self.one] * count)
