"""Login with throttle and lockout, setting a password (the policy, the end of old sessions
and tokens), and API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from zhibu.accounts.password_policy import password_problems
from zhibu.accounts.passwords import hash_password, needs_rehash, verify_password
from zhibu.accounts.throttle import login_throttle
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


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (the policy applies: :class:`ValueError` naming what is
    wrong). Every page session of the user ends and every API token is revoked: whoever
    held the old password, or a session or token made with it, is out. The caller commits,
    in the platform scope (the user row is global)."""
    problems = password_problems(password, user.username or "")
    if problems:
        raise ValueError(" ".join(problems))
    user.password_hash = hash_password(password)
    sign_out_everywhere(user)


def sign_out_everywhere(user: User) -> None:
    """End every page session of ``user`` and revoke every API token of theirs (a new
    password, chosen by them or for them); the caller commits."""
    end_sessions(user)
    if user.id is not None:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now())
        )


def end_sessions(user: User) -> None:
    """End every page session of ``user`` (each carries the version it was opened with);
    the caller commits."""
    user.session_version = (user.session_version or 0) + 1


class LoginThrottled(LoginError):
    """Too many failed logins from the caller's address: wait ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def authenticate(username: str, password: str, address: str | None = None) -> User:
    """The user, if the password is right and the account open to ``address``; else
    :class:`LoginError` — one message, after one password check, whether the user name is
    unknown, the password wrong or the account locked (nothing tells them apart) — or
    :class:`LoginThrottled` when the address has failed too often (see
    :mod:`zhibu.accounts.throttle`)."""
    throttle = login_throttle()
    wait = throttle.address_wait(address)
    if wait:
        minutes = (wait + 59) // 60
        message = _("登录失败次数过多,请 %(minutes)s 分钟后再试。", minutes=minutes)
        raise LoginThrottled(message, wait)
    with use_scope(system_scope(username=username)):
        user = db.session.scalar(select(User).where(User.username == username))
        known = user is not None and user.active
        right = verify_password(user.password_hash if known else _DUMMY_HASH, password)
        locked = throttle.locked_for(username, address) or (known and _locked(user))
        if not (known and right) or locked:
            if throttle.failed(username, address) and known:
                minutes = current_app.config["ZHIBU_LOGIN_LOCKOUT_MINUTES"]
                user.locked_until = now() + timedelta(minutes=minutes)
                db.session.commit()
            raise LoginError(_("用户名或密码错误,或失败次数过多暂时不能登录,请稍后再试。"))
        throttle.succeeded(username, address)
        user.locked_until = None
        user.last_login_at = now()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        db.session.commit()
        return user


def _locked(user: User) -> bool:
    locked_until = _aware(user.locked_until)
    return locked_until is not None and locked_until > now()


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
    """The active user of a valid (not revoked, not expired) token: token and user read
    in one statement."""
    found = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.digest == _digest(plain))
    ).first()
    if found is None:
        return None
    token, user = found
    if token.revoked_at is not None or _aware(token.expires_at) <= now():
        return None
    return user if user.active else None


def revoke_token(plain: str) -> bool:
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == _digest(plain)))
    if token is None or token.revoked_at is not None:
        return False
    with use_scope(system_scope(username="token owner", user_id=token.user_id)):
        token.revoked_at = now()
        db.session.commit()
    return True
