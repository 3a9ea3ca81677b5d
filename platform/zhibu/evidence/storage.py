"""Where evidence files' bytes are kept: a folder on the local disk, one subfolder per
tenant (``ZHIBU_EVIDENCE_DIR``, default ``instance/evidence``). Every key begins with the
tenant's id, and a store refuses a key of another tenant than the one it is asked for, so
a file row of one tenant can never name another tenant's bytes."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path


class StoreError(Exception):
    pass


def key_for(tenant_id: uuid.UUID, file_id: uuid.UUID, suffix: str = "") -> str:
    return f"{tenant_id}/{file_id}{suffix}"


def _checked(tenant_id: uuid.UUID, key: str) -> str:
    head, _sep, rest = key.partition("/")
    if head != str(tenant_id) or not rest or "/" in rest or rest.startswith("."):
        raise StoreError(f"key {key!r} is not of tenant {tenant_id}")
    return key


class LocalStore:
    """Files under ``root/<tenant id>/``, written whole or not at all."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def put(self, tenant_id: uuid.UUID, key: str, content: bytes) -> None:
        path = self.root / _checked(tenant_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, tenant_id: uuid.UUID, key: str) -> bytes:
        return (self.root / _checked(tenant_id, key)).read_bytes()

    def delete(self, tenant_id: uuid.UUID, key: str) -> None:
        (self.root / _checked(tenant_id, key)).unlink(missing_ok=True)
