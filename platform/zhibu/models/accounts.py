"""Accounts, their roles in tenants, and API tokens. Login is global; what an account may
do in a tenant is its role assignments there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhibu.db import db, new_id
from zhibu.models.base import TenantOwned, tenant_fk

ROLES = ("tenant_admin", "assessor", "branch_secretary", "member", "overseer")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # set when someone else chose the password (a new account, a reset): changed at next login
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    locked_until: Mapped[datetime | None]
    # bumped by logout and by every password change: a page session carries the version it
    # was opened with and ends when the user's has moved on (all their sessions at once)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RoleAssignment(TenantOwned, db.Model):
    """``user`` holds ``role`` in the tenant; a branch secretary over the subtree of
    ``org_id``, a member as ``member_id``."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        tenant_fk("org_id", "org_units"),
        tenant_fk("member_id", "members"),
        Index("ix_role_assignments_user", "user_id"),
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("role <> 'branch_secretary' OR org_id IS NOT NULL", name="secretary_org"),
        CheckConstraint("role <> 'member' OR member_id IS NOT NULL", name="member_self"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[uuid.UUID | None]
    member_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A bearer token for the API. Only a digest of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
