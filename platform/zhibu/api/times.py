"""Times as the API sends them: ISO 8601 with the offset, always.

A time is stored in UTC; PostgreSQL gives it back with its zone, SQLite without one. A
time without an offset is not an RFC 3339 ``date-time`` (what the document declares), so
a naive time is sent as the UTC time it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import fields


class UtcDateTime(fields.DateTime):
    """``fields.DateTime`` whose naive values are UTC (``2026-12-04T09:54:03+00:00``)."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)
