"""The member registry and transfers between branches (组织关系转接)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned, Timestamps, tenant_fk

MEMBER_STATUSES = ("full", "probationary")  # 正式党员, 预备党员
MEMBER_CATEGORIES = ("serving", "retired", "mobile")  # 在职, 离退休, 流动


class Member(TenantOwned, Timestamps, db.Model):
    """A Party member. Results key on the member, so they follow the member on transfer."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "archive_code"),
        UniqueConstraint("tenant_id", "id_card_digest"),
        tenant_fk("org_id", "org_units"),
        Index("ix_members_org", "tenant_id", "org_id"),
        # the 工作台 counts the active members and looks up the few who left: both from an
        # index, without reading the rows
        Index(
            "ix_members_active",
            "tenant_id",
            postgresql_where=text("active"),
            sqlite_where=text("active = 1"),  # as SQLAlchemy writes the test on SQLite
        ),
        Index(
            "ix_members_left",
            "tenant_id",
            "id",
            postgresql_where=text("NOT active"),
            sqlite_where=text("active = 0"),
        ),
        # …and the few never rated (retired, exempt), to tell them from the active count
        Index(
            "ix_members_flagged",
            "tenant_id",
            "id",
            postgresql_where=text("category = 'retired' OR exempt"),
            sqlite_where=text("category = 'retired' OR exempt = 1"),
        ),
        CheckConstraint("status IN ('full', 'probationary')", name="status"),
        CheckConstraint("category IN ('serving', 'retired', 'mobile')", name="category"),
    )

    org_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(4))
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None]
    joined_on: Mapped[date | None]  # 入党时间
    full_member_on: Mapped[date | None]  # 转正时间
    status: Mapped[str] = mapped_column(String(16), default="full")
    category: Mapped[str] = mapped_column(String(16), default="serving")
    position: Mapped[str | None] = mapped_column(String(64))  # 党内职务
    education: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    archive_code: Mapped[str] = mapped_column(String(64))  # 一人一档一码
    id_card_cipher: Mapped[str | None] = mapped_column(Text)  # encrypted, only if enabled
    id_card_digest: Mapped[str | None] = mapped_column(String(64))  # keyed hash, for lookups
    exempt: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    left_on: Mapped[date | None]


class MemberTransfer(TenantOwned, db.Model):
    """A move of a member from one unit to another; the history is kept."""

    __tablename__ = "member_transfers"
    __table_args__ = (
        tenant_fk("member_id", "members"),
        tenant_fk("from_org_id", "org_units"),
        tenant_fk("to_org_id", "org_units"),
        Index("ix_member_transfers_member", "tenant_id", "member_id"),
    )

    member_id: Mapped[uuid.UUID]
    from_org_id: Mapped[uuid.UUID]
    to_org_id: Mapped[uuid.UUID]
    transferred_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[uuid.UUID | None]


IMPORT_STATUSES = ("committed", "rejected")


class RosterImport(TenantOwned, db.Model):
    """One roster import as it was committed or refused (导入记录): who, when, which file,
    the counts, and for a refused one the rows at fault (for the error report)."""

    __tablename__ = "roster_imports"
    __table_args__ = (
        Index("ix_roster_imports_tenant_at", "tenant_id", "at"),
        CheckConstraint("status IN ('committed', 'rejected')", name="status"),
    )

    at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(80), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    transferred: Mapped[int] = mapped_column(default=0)
    left: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
