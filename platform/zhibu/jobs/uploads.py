"""Uploaded files a later request or a job will read: kept in Redis for a day under an
id (the job gets the id, not the bytes), or in the process when jobs run inline. A retry
finds the file again.

An upload belongs to the tenant and the user it was made for: its key holds both, so
the id alone finds nothing from another tenant or another user (a stolen or guessed id
reads as expired). Beside the bytes an upload keeps its file name and, for a roster, the
last preview made of it (what the commit must match).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from flask import current_app

from zhibu.errors import NotFound
from zhibu.i18n import _
from zhibu.jobs.queue import redis_connection

UPLOAD_TTL = 24 * 3600
INLINE_UPLOADS_KEY = "zhibu.inline_uploads"
INLINE_KEPT = 20


@dataclass(frozen=True)
class Upload:
    id: str
    data: bytes
    name: str
    preview: dict[str, Any] | None
    plan: bytes | None = None


def stash(data: bytes, *, tenant_id: uuid.UUID, user_id: uuid.UUID | None, name: str = "") -> str:
    """Keep ``data`` for ``user_id`` in ``tenant_id``; returns its id."""
    upload_id = uuid.uuid4().hex
    key = _key(upload_id, tenant_id, user_id)
    fields = {b"data": data, b"name": name.encode()}
    if _redis():
        connection = redis_connection()
        with connection.pipeline() as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, UPLOAD_TTL)
            pipe.execute()
    else:
        store = _inline()
        store[key] = fields
        while len(store) > INLINE_KEPT:
            store.pop(next(iter(store)))
    return upload_id


def take(upload_id: str, *, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> Upload:
    """The upload, if it is this user's in this tenant; :class:`NotFound` otherwise (also
    once it expired)."""
    key = _key(upload_id, tenant_id, user_id)
    fields = redis_connection().hgetall(key) if _redis() else _inline().get(key) or {}
    if not fields.get(b"data"):
        raise NotFound(
            _("上传的文件已过期或不存在(文件保留一天,且只有上传者本人可用);请重新上传。")
        )
    preview = fields.get(b"preview")
    return Upload(
        upload_id,
        fields[b"data"],
        (fields.get(b"name") or b"").decode(),
        orjson.loads(preview) if preview else None,
        fields.get(b"plan") or None,
    )


def keep_preview(
    upload_id: str,
    preview: dict[str, Any],
    plan: bytes | None = None,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
) -> None:
    """Store the preview made of an upload and what its commit would write (the last
    preview wins)."""
    key = _key(upload_id, tenant_id, user_id)
    fields = {b"preview": orjson.dumps(preview), b"plan": plan or b""}
    if _redis():
        connection = redis_connection()
        if connection.exists(key):
            connection.hset(key, mapping=fields)
    elif key in _inline():
        _inline()[key].update(fields)


def _redis() -> bool:
    return bool(current_app.config.get("ZHIBU_REDIS_URL"))


def _inline() -> dict:
    return current_app.extensions.setdefault(INLINE_UPLOADS_KEY, {})


def _key(upload_id: str, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> str:
    owner = user_id.hex if user_id else "-"
    return f"zhibu:upload:{tenant_id.hex}:{owner}:{upload_id}"
