"""Where evidence files' bytes are kept: a folder on the local disk, one subfolder per
tenant (``ZHIBU_EVIDENCE_DIR``, default ``instance/evidence``), or a bucket of an
S3-compatible object store, one key prefix per tenant (``ZHIBU_EVIDENCE_STORE=s3``). Every
key begins with the tenant's id, and a store refuses a key of another tenant than the one it
is asked for, so a file row of one tenant can never name another tenant's bytes.

Both stores have the same methods: ``put`` (whole or not at all), ``get`` (the bytes),
``stream`` (the bytes in chunks, for downloads), ``exists`` and ``delete``. A key that is
not there raises :class:`FileNotFoundError` from ``get`` and ``stream`` in both."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zhibu.errors import ServiceError
from zhibu.i18n import _

CHUNK = 64 * 1024  # bytes a download is sent in


class StoreError(Exception):
    pass


class StoreUnavailable(ServiceError):
    """The object store cannot be reached or refuses the app (a setting or the server is
    wrong): the user is told to try later, the operator finds the cause in the log."""

    status = 503


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

    def exists(self, tenant_id: uuid.UUID, key: str) -> bool:
        return (self.root / _checked(tenant_id, key)).is_file()

    def stream(self, tenant_id: uuid.UUID, key: str) -> Iterator[bytes]:
        """The file in chunks; opened now (a missing file raises here), read as sent."""
        handle = (self.root / _checked(tenant_id, key)).open("rb")
        return _chunks(handle.read, handle.close)


def _chunks(read, close) -> Iterator[bytes]:
    try:
        while chunk := read(CHUNK):
            yield chunk
    finally:
        close()


@dataclass(frozen=True)
class S3Settings:
    """Where the S3-compatible store is and how to sign in (``ZHIBU_EVIDENCE_S3_*``)."""

    bucket: str
    endpoint_url: str | None = None  # None: Amazon S3 of the region
    access_key: str | None = None  # None (both): the client's own credential chain
    secret_key: str | None = None
    region: str = "us-east-1"
    addressing_style: str = "path"  # path | virtual | auto


@lru_cache(maxsize=8)
def _client(settings: S3Settings):
    """One client per settings, shared by the threads of the process (boto3's clients
    are thread-safe; making one reads its service description, a few tens of ms)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
        config=Config(
            s3={"addressing_style": settings.addressing_style},
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """Objects ``<tenant id>/<file id>`` in one bucket of an S3-compatible store."""

    def __init__(self, settings: S3Settings):
        self.settings = settings
        self.bucket = settings.bucket
        self.client = _client(settings)

    def _call(self, what: str, key: str, call, **params):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(Bucket=self.bucket, Key=key, **params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from None
            raise self._unavailable(what, key, exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(what, key, exc) from exc

    def _unavailable(self, what: str, key: str, exc: Exception) -> StoreUnavailable:
        import logging

        logging.getLogger(__name__).error(
            "evidence store: %s s3://%s/%s at %s failed: %s",
            what,
            self.bucket,
            key,
            self.settings.endpoint_url or "Amazon S3",
            exc,
        )
        return StoreUnavailable(
            _("佐证材料的存储服务暂时无法使用,请稍后再试;如仍不行,请联系系统管理员。")
        )

    def put(self, tenant_id: uuid.UUID, key: str, content: bytes) -> None:
        self._call("put", _checked(tenant_id, key), self.client.put_object, Body=content)

    def get(self, tenant_id: uuid.UUID, key: str) -> bytes:
        found = self._call("get", _checked(tenant_id, key), self.client.get_object)
        with found["Body"] as body:
            return body.read()

    def stream(self, tenant_id: uuid.UUID, key: str) -> Iterator[bytes]:
        """The object in chunks as the server sends them, never whole in memory."""
        body = self._call("get", _checked(tenant_id, key), self.client.get_object)["Body"]
        return _chunks(body.read, body.close)

    def exists(self, tenant_id: uuid.UUID, key: str) -> bool:
        try:
            self._call("head", _checked(tenant_id, key), self.client.head_object)
        except FileNotFoundError:
            return False
        return True

    def delete(self, tenant_id: uuid.UUID, key: str) -> None:
        self._call("delete", _checked(tenant_id, key), self.client.delete_object)
