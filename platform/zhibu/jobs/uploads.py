"""Uploaded files a job will read: kept in Redis for a day under an id (the job gets the
id, not the bytes), or in the process when jobs run inline. A retry finds the file again."""

from __future__ import annotations

import uuid

from flask import current_app

from zhibu.errors import NotFound
from zhibu.jobs.queue import redis_connection

UPLOAD_TTL = 24 * 3600
INLINE_UPLOADS_KEY = "zhibu.inline_uploads"


def stash(data: bytes) -> str:
    """Keep ``data`` for a job; returns its id."""
    upload_id = uuid.uuid4().hex
    if current_app.config.get("ZHIBU_REDIS_URL"):
        redis_connection().set(_key(upload_id), data, ex=UPLOAD_TTL)
    else:
        store = current_app.extensions.setdefault(INLINE_UPLOADS_KEY, {})
        store[upload_id] = data
        while len(store) > 20:
            store.pop(next(iter(store)))
    return upload_id


def take(upload_id: str) -> bytes:
    """The stashed bytes; :class:`NotFound` once they expired."""
    if current_app.config.get("ZHIBU_REDIS_URL"):
        data = redis_connection().get(_key(upload_id))
    else:
        data = current_app.extensions.get(INLINE_UPLOADS_KEY, {}).get(upload_id)
    if data is None:
        raise NotFound(f"upload {upload_id} is gone (uploads are kept a day); upload it again")
    return data


def _key(upload_id: str) -> str:
    return f"zhibu:upload:{upload_id}"
