"""The SQLAlchemy extension and the declarative base every model derives from."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import orjson
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Text, cast, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

# Named constraints, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Moments are stored with their time zone (audit trails are read across offices).
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)


def holds(column, key: str):
    """SQL: the JSON list of strings in ``column`` (flags, actions, titles) holds ``key``,
    a plain key (no quote, no backslash), found in the list's text on every backend."""
    return cast(column, Text).like(f'%"{key}"%')


def read_json(text: str | bytes):
    """A JSON column's value as read from the database, parsed in native code (orjson).
    What orjson refuses and the standard library reads (a number past a float's range,
    such as ``1e400``, which PostgreSQL's jsonb holds) is read by the standard library: a
    stored number never fails a page. As with orjson, an integer past 64 bits (which the
    application never writes) is read as a float."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def new_id() -> uuid.UUID:
    """Row ids are made by the application, so bulk loads need no round trip per row."""
    return uuid.uuid4()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, on every connection."""
    module = type(dbapi_connection).__module__
    if module.startswith(("sqlite3", "pysqlite")):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
