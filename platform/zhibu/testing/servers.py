"""The real PostgreSQL, Redis and S3-compatible servers tests talk to.

``ZHIBU_TEST_POSTGRES_URL`` and ``ZHIBU_TEST_REDIS_URL`` name them (default: the local
servers); ``ZHIBU_TEST_S3_URL``, ``ZHIBU_TEST_S3_ACCESS_KEY`` and
``ZHIBU_TEST_S3_SECRET_KEY`` the object store (``scripts/s3-test-server start`` prints them;
the defaults are its own). A server that does not answer skips its tests, except under
``CI=true``, where it fails them: CI must never go green on tests it did not run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, ProgrammingError

from zhibu.config import normalize_database_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_url() -> str:
    """The maintenance database URL of the test server (databases are created beside it)."""
    return normalize_database_url(os.environ.get("ZHIBU_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


def redis_url() -> str:
    """The URL of the test Redis (``ZHIBU_TEST_REDIS_URL``, default the local one, db 15)."""
    return os.environ.get("ZHIBU_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unreachable(what: str, url: str, exc: Exception) -> None:
    message = f"{what} at {url} is unreachable ({exc.__class__.__name__}: {exc})".splitlines()[0]
    unavailable(message)


def unavailable(message: str) -> None:
    """A test's real dependency (a server, a program) is missing: skip the test on a
    developer's machine, fail it under ``CI=true`` — CI never passes by skipping."""
    if _in_ci():
        pytest.fail(
            f"{message}; under CI=true this fails the run instead of skipping", pytrace=False
        )
    pytest.skip(message)


def require_postgres() -> str:
    """Return the server URL, or skip (fail under CI) when PostgreSQL does not answer."""
    url = postgres_url()
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        _unreachable("PostgreSQL", make_url(url).render_as_string(hide_password=True), exc)
    finally:
        engine.dispose()
    return url


def require_redis() -> str:
    """Return the Redis URL, or skip (fail under CI) when Redis does not answer."""
    from redis import Redis

    url = redis_url()
    try:
        Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        _unreachable("Redis", url, exc)
    return url


DEFAULT_S3_URL = "http://127.0.0.1:37480"


def s3_settings() -> dict[str, str]:
    """The test object store's URL and keys (those of ``scripts/s3-test-server``)."""
    return {
        "url": os.environ.get("ZHIBU_TEST_S3_URL", DEFAULT_S3_URL),
        "access_key": os.environ.get("ZHIBU_TEST_S3_ACCESS_KEY", "zhibu-test-access"),
        "secret_key": os.environ.get(
            "ZHIBU_TEST_S3_SECRET_KEY", "zhibu-test-secret-only-for-tests"
        ),
    }


def require_s3() -> dict[str, str]:
    """The test object store's settings, or skip (fail under CI) when it does not answer
    with them (a listing of the buckets, signed with the keys)."""
    from botocore.config import Config

    found = s3_settings()
    client = s3_client(
        found, config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 1})
    )
    try:
        client.list_buckets()
    except Exception as exc:
        _unreachable("The S3-compatible server (scripts/s3-test-server)", found["url"], exc)
    return found


def s3_client(found: dict[str, str], **options):
    """A boto3 client of the test object store, from :func:`require_s3`'s settings."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=found["url"],
        aws_access_key_id=found["access_key"],
        aws_secret_access_key=found["secret_key"],
        region_name="us-east-1",
        **options,
    )


APP_ROLE = "zhibu_test_app"


def _ensure_app_role(connection) -> None:
    """The tests' app role, made once; two test processes starting at once may both try
    (``pytest -n``): the one that loses finds it made."""
    exists = "SELECT 1 FROM pg_roles WHERE rolname = :r"
    if connection.execute(text(exists), {"r": APP_ROLE}).scalar():
        return
    try:
        connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    except (IntegrityError, ProgrammingError):
        if not connection.execute(text(exists), {"r": APP_ROLE}).scalar():
            raise


@contextmanager
def temporary_postgres_database(
    server_url: str | None = None, template: str | None = None
) -> Iterator[str]:
    """Create an empty database on the server (or a copy of the database ``template``,
    which nobody may be connected to), yield its URL, drop it afterwards.

    The database belongs to, and the URL connects as, a role without SUPERUSER or
    BYPASSRLS, as the app does in production: row-level security applies in tests too.
    """
    server_url = server_url or postgres_url()
    name = f"zhibu_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            _ensure_app_role(connection)
            copy = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy} OWNER {APP_ROLE}'))
        url = make_url(server_url).set(database=name, username=APP_ROLE, password=None)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
