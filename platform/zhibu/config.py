"""Settings from ``ZHIBU_*`` environment variables, with defaults that need nothing installed.

Every setting is declared once in :data:`SETTINGS`; ``docs/operations.md`` documents each
(a test checks that none is missing).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zhibu.i18n import _


class ConfigError(RuntimeError):
    """A setting has a value the application cannot use."""


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _name_list(raw: str) -> list[str] | None:
    """``*`` means every installed plugin; an empty value means none."""
    if raw.strip() == "*":
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _megabytes(raw: str) -> int:
    """A size in megabytes, as bytes."""
    value = float(raw)
    if value <= 0:
        raise ValueError(f"expected a size in megabytes above 0, got {raw!r}")
    return int(value * 1024 * 1024)


def _positive(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a number above 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ZHIBU_DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        str,
        None,
        "Database URL. Default: SQLite file `instance/zhibu.sqlite3`. "
        "`postgresql://…` is read as `postgresql+psycopg://…`.",
    ),
    Setting(
        "ZHIBU_MIGRATE_DATABASE_URL",
        "ZHIBU_MIGRATE_DATABASE_URL",
        str,
        None,
        "Database URL `zhibu db …` (migrations) connects with: the role that owns the "
        "tables. Unset: `ZHIBU_DATABASE_URL`. When its role differs, the app's role is the "
        "runtime role and is granted what it needs after each upgrade.",
    ),
    Setting(
        "ZHIBU_REDIS_URL",
        "ZHIBU_REDIS_URL",
        str,
        None,
        "Redis URL for background jobs (RQ). Unset: jobs run inline in the request.",
    ),
    Setting(
        "ZHIBU_SECRET_KEY",
        "SECRET_KEY",
        str,
        None,
        "Key that signs sessions. Unset: generated once into `instance/secret_key`.",
    ),
    Setting(
        "ZHIBU_PLUGINS",
        "ZHIBU_PLUGINS",
        _name_list,
        None,
        "Comma-separated entry-point names of the plugins to load. Unset or `*`: all "
        "installed; empty: none.",
    ),
    Setting(
        "ZHIBU_INSTANCE_PATH",
        "ZHIBU_INSTANCE_PATH",
        str,
        None,
        "Folder for the SQLite database, the secret key and uploads. "
        "Default: `instance/` in the source tree.",
    ),
    Setting(
        "ZHIBU_SESSION_IDLE_MINUTES",
        "ZHIBU_SESSION_IDLE_MINUTES",
        int,
        30,
        "A page session ends after this many idle minutes.",
    ),
    Setting(
        "ZHIBU_SESSION_MAX_HOURS",
        "ZHIBU_SESSION_MAX_HOURS",
        int,
        12,
        "A page session ends this many hours after login, however active.",
    ),
    Setting(
        "ZHIBU_SECURE_COOKIES",
        "SESSION_COOKIE_SECURE",
        _boolean,
        True,
        "The session cookie is sent over HTTPS only. `zhibu run` (the development "
        "server, plain HTTP) defaults it to false.",
    ),
    Setting(
        "ZHIBU_TRUSTED_PROXIES",
        "ZHIBU_TRUSTED_PROXIES",
        int,
        0,
        "Reverse proxies in front of the app that set X-Forwarded-For/-Proto: the client's "
        "address (login throttle) and scheme are read from them.",
    ),
    Setting(
        "ZHIBU_LOGIN_MAX_FAILURES",
        "ZHIBU_LOGIN_MAX_FAILURES",
        int,
        5,
        "Failed logins for one account from one address, within the lockout time, that lock "
        "the account for that address.",
    ),
    Setting(
        "ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES",
        "ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES",
        int,
        50,
        "Failed logins for one account from all addresses, within the lockout time, that "
        "lock the account everywhere.",
    ),
    Setting(
        "ZHIBU_LOGIN_LOCKOUT_MINUTES",
        "ZHIBU_LOGIN_LOCKOUT_MINUTES",
        int,
        30,
        "The window failed logins are counted in, and how long a locked account stays locked.",
    ),
    Setting(
        "ZHIBU_LOGIN_ADDRESS_MAX_FAILURES",
        "ZHIBU_LOGIN_ADDRESS_MAX_FAILURES",
        int,
        30,
        "Failed logins from one address (any accounts) after which it must wait.",
    ),
    Setting(
        "ZHIBU_LOGIN_ADDRESS_MINUTES",
        "ZHIBU_LOGIN_ADDRESS_MINUTES",
        int,
        10,
        "The window an address's failed logins are counted in.",
    ),
    Setting(
        "ZHIBU_PASSWORD_MIN_LENGTH",
        "ZHIBU_PASSWORD_MIN_LENGTH",
        int,
        10,
        "Shortest password accepted.",
    ),
    Setting(
        "ZHIBU_PASSWORD_COMPLEXITY",
        "ZHIBU_PASSWORD_COMPLEXITY",
        _boolean,
        False,
        "Also require three of: upper case, lower case, digit, symbol (等保).",
    ),
    Setting(
        "ZHIBU_TOKEN_DAYS",
        "ZHIBU_TOKEN_DAYS",
        int,
        30,
        "Days an API token stays valid.",
    ),
    Setting(
        "ZHIBU_ID_CARD_KEY",
        "ZHIBU_ID_CARD_KEY",
        str,
        None,
        "Key that encrypts ID-card numbers. Unset: generated once into `instance/id_card_key`.",
    ),
    Setting(
        "ZHIBU_JOB_QUEUE",
        "ZHIBU_JOB_QUEUE",
        str,
        "zhibu",
        "Name of the RQ queue the web app enqueues to and `zhibu worker` listens on.",
    ),
    Setting(
        "ZHIBU_JOB_HEARTBEAT_SECONDS",
        "ZHIBU_JOB_HEARTBEAT_SECONDS",
        int,
        10,
        "A worker vouches for its running job this often; a job not vouched for in three "
        "times as long is marked failed (its worker died) and can be retried.",
    ),
    Setting(
        "ZHIBU_REMINDER_CRON",
        "ZHIBU_REMINDER_CRON",
        str,
        "0 7 * * *",
        "When `zhibu scheduler` enqueues the reminders job (cron syntax, server local time).",
    ),
    Setting(
        "ZHIBU_REMINDER_DAYS",
        "ZHIBU_REMINDER_DAYS",
        int,
        7,
        "Remind of phase deadlines and rectification items due within this many days.",
    ),
    Setting(
        "ZHIBU_MAX_UPLOAD_MB",
        "MAX_CONTENT_LENGTH",
        _megabytes,
        16 * 1024 * 1024,
        "Largest request body (an uploaded workbook) in MB; a larger one is refused (413).",
    ),
    Setting(
        "ZHIBU_WORKBOOK_MAX_CELLS",
        "ZHIBU_WORKBOOK_MAX_CELLS",
        _positive,
        2_000_000,
        "Largest sheet area (rows × columns) an uploaded workbook may have.",
    ),
    Setting(
        "ZHIBU_WORKBOOK_MAX_UNPACKED_MB",
        "ZHIBU_WORKBOOK_MAX_UNPACKED_MB",
        _positive,
        200,
        "Most an uploaded workbook may unpack to, in MB (a zip bomb unpacks to more).",
    ),
    Setting(
        "ZHIBU_EVIDENCE_DIR",
        "ZHIBU_EVIDENCE_DIR",
        str,
        None,
        "Folder of the evidence files (photos, PDF, Office documents), one subfolder per "
        "tenant. Unset: `instance/evidence`.",
    ),
    Setting(
        "ZHIBU_EVIDENCE_STORE",
        "ZHIBU_EVIDENCE_STORE",
        str,
        "local",
        "Where evidence files are kept: `local` (the folder `ZHIBU_EVIDENCE_DIR`) or `s3` "
        "(a bucket of an S3-compatible object store, `ZHIBU_EVIDENCE_S3_*`).",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_BUCKET",
        "ZHIBU_EVIDENCE_S3_BUCKET",
        str,
        None,
        "With `ZHIBU_EVIDENCE_STORE=s3`: the bucket (it must exist); keys are "
        "`<tenant id>/<file id>`. Required.",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_ENDPOINT_URL",
        "ZHIBU_EVIDENCE_S3_ENDPOINT_URL",
        str,
        None,
        "With `s3`: the store's URL, such as `http://10.0.0.5:7480` (Ceph), or the "
        "endpoint of a cloud's object storage. Unset: Amazon S3 of the region.",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_ACCESS_KEY",
        "ZHIBU_EVIDENCE_S3_ACCESS_KEY",
        str,
        None,
        "With `s3`: the access key. Set both keys or neither (then the client's own "
        "credentials: its environment variables, files or instance role).",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_SECRET_KEY",
        "ZHIBU_EVIDENCE_S3_SECRET_KEY",
        str,
        None,
        "With `s3`: the secret key that goes with the access key.",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_REGION",
        "ZHIBU_EVIDENCE_S3_REGION",
        str,
        "us-east-1",
        "With `s3`: the region requests are signed for (most S3-compatible stores accept "
        "the default).",
    ),
    Setting(
        "ZHIBU_EVIDENCE_S3_ADDRESSING",
        "ZHIBU_EVIDENCE_S3_ADDRESSING",
        str,
        "path",
        "With `s3`: `path` (`endpoint/bucket/key`, what most S3-compatible stores expect), "
        "`virtual` (`bucket.endpoint/key`) or `auto`.",
    ),
    Setting(
        "ZHIBU_EVIDENCE_MAX_MB",
        "ZHIBU_EVIDENCE_MAX_BYTES",
        _megabytes,
        10 * 1024 * 1024,
        "Largest evidence file in MB (a photo after the phone shrank it is far smaller).",
    ),
    Setting(
        "ZHIBU_EVIDENCE_MAX_PIXELS",
        "ZHIBU_EVIDENCE_MAX_PIXELS",
        _positive,
        50_000_000,
        "Largest photo in pixels (width × height); a larger one is refused as a "
        "decompression bomb. Office documents may unpack to `ZHIBU_WORKBOOK_MAX_UNPACKED_MB`.",
    ),
    Setting(
        "ZHIBU_DATABASE_PREPARED",
        "ZHIBU_DATABASE_PREPARED",
        _boolean,
        True,
        "PostgreSQL: the driver prepares a statement run five times on a connection. Set "
        "false behind a connection pooler in transaction mode older than PgBouncer 1.21.",
    ),
    Setting(
        "ZHIBU_SQL_ECHO",
        "SQLALCHEMY_ECHO",
        _boolean,
        False,
        "Log every SQL statement (debugging only).",
    ),
)


EVIDENCE_STORES = ("local", "s3")
S3_ADDRESSING = ("path", "virtual", "auto")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def check_evidence_store(config: dict[str, Any]) -> None:
    """The evidence store's settings, checked at start: a wrong one is named in the
    operator's language (Chinese outside a request) with what it should be."""
    kind = str(config.get("ZHIBU_EVIDENCE_STORE") or "local").strip().lower()
    if kind not in EVIDENCE_STORES:
        raise ConfigError(
            _(
                "ZHIBU_EVIDENCE_STORE 的值“%(value)s”无法使用:应为 local(本机磁盘)"
                "或 s3(S3 兼容的对象存储)。",
                value=config.get("ZHIBU_EVIDENCE_STORE"),
            )
        )
    config["ZHIBU_EVIDENCE_STORE"] = kind
    if kind != "s3":
        return
    bucket = str(config.get("ZHIBU_EVIDENCE_S3_BUCKET") or "").strip()
    if not bucket:
        raise ConfigError(
            _("ZHIBU_EVIDENCE_STORE=s3 时须设置 ZHIBU_EVIDENCE_S3_BUCKET(存储桶名称)。")
        )
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            _(
                "ZHIBU_EVIDENCE_S3_BUCKET 的值“%(value)s”不是有效的存储桶名称:应为 3 至 63 "
                "个小写字母、数字、点或连字符,以字母或数字开头和结尾。",
                value=bucket,
            )
        )
    config["ZHIBU_EVIDENCE_S3_BUCKET"] = bucket
    endpoint = str(config.get("ZHIBU_EVIDENCE_S3_ENDPOINT_URL") or "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(
                _(
                    "ZHIBU_EVIDENCE_S3_ENDPOINT_URL 的值“%(value)s”不是有效的地址:应形如 "
                    "http://主机:端口 或 https://主机。",
                    value=endpoint,
                )
            )
    config["ZHIBU_EVIDENCE_S3_ENDPOINT_URL"] = endpoint or None
    access = str(config.get("ZHIBU_EVIDENCE_S3_ACCESS_KEY") or "").strip()
    secret = str(config.get("ZHIBU_EVIDENCE_S3_SECRET_KEY") or "").strip()
    if bool(access) != bool(secret):
        missing = "ZHIBU_EVIDENCE_S3_SECRET_KEY" if access else "ZHIBU_EVIDENCE_S3_ACCESS_KEY"
        raise ConfigError(
            _(
                "已设置 S3 访问密钥中的一个,还须设置 %(missing)s(两个都设,或都不设以使用"
                "客户端自身的凭据)。",
                missing=missing,
            )
        )
    style = str(config.get("ZHIBU_EVIDENCE_S3_ADDRESSING") or "path").strip().lower()
    if style not in S3_ADDRESSING:
        raise ConfigError(
            _(
                "ZHIBU_EVIDENCE_S3_ADDRESSING 的值“%(value)s”无法使用:应为 path、virtual 或 auto。",
                value=config.get("ZHIBU_EVIDENCE_S3_ADDRESSING"),
            )
        )
    config["ZHIBU_EVIDENCE_S3_ADDRESSING"] = style
    config["ZHIBU_EVIDENCE_S3_REGION"] = (
        str(config.get("ZHIBU_EVIDENCE_S3_REGION") or "").strip() or "us-east-1"
    )


def settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read every declared setting that is present in ``environ``.

    :raises ConfigError: naming the variable whose value cannot be parsed.
    """
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.env not in environ:
            continue
        try:
            values[setting.key] = setting.parse(environ[setting.env])
        except ValueError as exc:
            raise ConfigError(f"{setting.env}: {exc}") from None
    return values


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS}


def normalize_database_url(url: str) -> str:
    """Accept the URLs people write (``postgres://``, ``postgresql://``) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def source_tree_root() -> Path | None:
    """The checkout this package runs from, or None when installed as a wheel."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def default_instance_path() -> Path:
    root = source_tree_root()
    return (root / "instance") if root else Path.cwd() / "instance"


def load_secret_key(instance_path: Path) -> str:
    """Read ``instance/secret_key``, creating it (mode 0600) on first run."""
    path = instance_path / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def build_config(
    instance_path: Path, overrides: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Defaults, then the environment, then ``overrides`` (``create_app``'s test config)."""
    config = defaults()
    config.update(settings_from_env(environ))
    config.update(overrides or {})
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        instance_path.mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'zhibu.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = load_secret_key(instance_path)
    check_evidence_store(config)
    return config
