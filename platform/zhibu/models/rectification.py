"""The rectification ledger (整改台账): items, their follow-up checks and sign-off."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned, tenant_fk

ITEM_STATUSES = ("open", "rectified", "signed_off")


class RectificationItem(TenantOwned, db.Model):
    """党组织名称、整改事项、整改措施、整改时限、责任人、完成销号时间."""

    __tablename__ = "rectification_items"
    __table_args__ = (
        tenant_fk("org_id", "org_units"),
        Index("ix_rectification_items_org", "tenant_id", "org_id"),
        Index("ix_rectification_items_deadline", "tenant_id", "status", "deadline"),
        CheckConstraint("status IN ('open', 'rectified', 'signed_off')", name="status"),
    )

    org_id: Mapped[uuid.UUID]
    member_id: Mapped[uuid.UUID | None]
    cycle_id: Mapped[uuid.UUID | None]
    origin: Mapped[str] = mapped_column(String(16))  # deduction, action, manual
    origin_ref: Mapped[str] = mapped_column(String(200), default="")
    issue: Mapped[str] = mapped_column(Text)  # 整改事项
    measure: Mapped[str] = mapped_column(Text, default="")  # 整改措施
    deadline: Mapped[date]  # 整改时限
    responsible: Mapped[str] = mapped_column(String(100), default="")  # 责任人
    status: Mapped[str] = mapped_column(String(16), default="open")
    raised_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    signed_off_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None]  # 完成销号时间
    # what the 销号 checked (a written note, where no photo shows it)
    signed_off_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FollowUp(TenantOwned, db.Model):
    """A 回头看 check of an item: what was found, and whether it holds."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        tenant_fk("item_id", "rectification_items", ondelete="CASCADE"),
        Index("ix_follow_ups_item", "tenant_id", "item_id"),
    )

    item_id: Mapped[uuid.UUID]
    checked_on: Mapped[date]
    finding: Mapped[str] = mapped_column(Text)
    satisfactory: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
