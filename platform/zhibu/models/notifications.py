"""Reminders the scheduled job leaves for a tenant's users: phase deadlines, rectification
items due soon or overdue. One row per thing, kind and day, so re-runs add nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned, tenant_fk

NOTIFICATION_KINDS = (
    "phase_deadline",  # the current phase of a cycle ends within the reminder window
    "phase_overdue",  # … or has ended and the cycle has not moved on
    "rectification_due",  # a ledger item's 整改时限 falls within the window
    "rectification_overdue",  # … or has passed without 销号
)


class Notification(TenantOwned, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "ref", "day"),
        tenant_fk("org_id", "org_units"),
        Index("ix_notifications_day", "tenant_id", "day"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in NOTIFICATION_KINDS)})", name="kind"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(80))  # what it is about: item id, cycle:phase
    org_id: Mapped[uuid.UUID | None]  # the unit concerned (a secretary sees their subtree)
    day: Mapped[date]  # the day the reminder is for
    due_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
