"""Login with lockout, the password policy, and API bearer tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from zhibu.accounts.passwords import hash_password, needs_rehash, verify_password
from zhibu.db import db
from zhibu.i18n import _
from zhibu.models import ApiToken, User
from zhibu.tenancy.scope import system_scope, use_scope


class LoginError(Exception):
    """Login refused; the message can be shown to the person logging in."""


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def password_problems(password: str) -> list[str]:
    """What the configured policy finds wrong with ``password`` (empty: acceptable)."""
    config = current_app.config
    problems = []
    minimum = config["ZHIBU_PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("密码至少 %(minimum)s 位", minimum=minimum))
    if config["ZHIBU_PASSWORD_COMPLEXITY"]:
        classes = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
        if sum(bool(re.search(c, password)) for c in classes) < 3:
            problems.append(_("密码须包含大写字母、小写字母、数字、符号中的三类"))
    return problems


def set_password(user: User, password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise ValueError("; ".join(problems))
    user.password_hash = hash_password(password)


def authenticate(username: str, password: str) -> User:
    """The user, if the password is right and the account is open; else :class:`LoginError`."""
    config = current_app.config
    with use_scope(system_scope(username=username)):
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)  # same time as a real check
            raise LoginError("用户名或密码错误 / wrong user name or password")
        locked_until = _aware(user.locked_until)
        if locked_until and locked_until > now():
            minutes = max(1, int((locked_until - now()).total_seconds() // 60) + 1)
            raise LoginError(f"账户已锁定,请 {minutes} 分钟后再试 / locked, try in {minutes} min")
        if not verify_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= config["ZHIBU_LOGIN_MAX_FAILURES"]:
                user.locked_until = now() + timedelta(minutes=config["ZHIBU_LOGIN_LOCKOUT_MINUTES"])
                user.failed_logins = 0
            db.session.commit()
            raise LoginError("用户名或密码错误 / wrong user name or password")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        db.session.commit()
        return user


_DUMMY_HASH = hash_password("not a real password")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the plain token is returned once, never stored."""
    plain = "zb_" + secrets.token_urlsafe(32)
    days = current_app.config["ZHIBU_TOKEN_DAYS"]
    token = ApiToken(
        user_id=user.id, digest=_digest(plain), name=name, expires_at=now() + timedelta(days=days)
    )
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        db.session.add(token)
        db.session.commit()
    return plain, token


def user_for_token(plain: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == _digest(plain)))
    if token is None or token.revoked_at is not None or _aware(token.expires_at) <= now():
        return None
    user = db.session.get(User, token.user_id)
    return user if user is not None and user.active else None


def revoke_token(plain: str) -> bool:
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == _digest(plain)))
    if token is None or token.revoked_at is not None:
        return False
    with use_scope(system_scope(username="token owner", user_id=token.user_id)):
        token.revoked_at = now()
        db.session.commit()
    return True
