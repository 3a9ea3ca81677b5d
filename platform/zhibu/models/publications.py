"""Publication of a cycle's results (结果公示) and objections to them (异议).

A publication is an immutable snapshot: its entries are copied from the result set that
was current when an administrator confirmed it, and neither the publication nor its
entries are ever updated (the service refuses it; on PostgreSQL and SQLite a trigger
refuses it too). A re-publication, after an upheld objection, is a new version.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
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
from zhibu.models.base import TenantOwned, tenant_fk

PUBLICATION_PHASES = ("publicity", "final")
OBJECTION_STATES = ("open", "rejected", "upheld")


class Publication(TenantOwned, db.Model):
    """One version of a cycle's published results: 结果公示 (``publicity``) or the
    final results (``final``), with the counts and the differences from the version
    before, as the administrator confirmed them."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "cycle_id", "version"),
        tenant_fk("cycle_id", "cycles"),
        tenant_fk("result_set_id", "result_sets"),
        CheckConstraint("phase IN ('publicity', 'final')", name="phase"),
    )

    cycle_id: Mapped[uuid.UUID]
    version: Mapped[int]
    phase: Mapped[str] = mapped_column(String(16))
    result_set_id: Mapped[uuid.UUID]
    published_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(80), default="")
    ends_on: Mapped[date | None]  # the publicity period's last day
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")


class PublicationEntry(TenantOwned, db.Model):
    """One subject's result as published: a copy, never updated."""

    __tablename__ = "publication_entries"
    __table_args__ = (
        tenant_fk("publication_id", "publications", ondelete="CASCADE"),
        Index("ix_publication_entries_publication", "tenant_id", "publication_id", "subject_id"),
        # a page of the 公示名单 in its order, read from the index and stopped at its end
        Index(
            "ix_publication_entries_order",
            "tenant_id",
            "publication_id",
            text("subject_kind DESC"),
            "track",
            "subject_code",
        ),
    )

    publication_id: Mapped[uuid.UUID]
    result_id: Mapped[uuid.UUID]
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[uuid.UUID]
    subject_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    track: Mapped[str | None] = mapped_column(String(32))
    rated: Mapped[bool] = mapped_column(default=True)
    total: Mapped[float | None] = mapped_column(Float)
    stars: Mapped[int | None]
    grade: Mapped[str | None] = mapped_column(String(32))
    titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    gap: Mapped[str | None] = mapped_column(Text)


class Objection(TenantOwned, db.Model):
    """A user's objection (异议) to a published result, with the administrator's answer."""

    __tablename__ = "objections"
    __table_args__ = (
        tenant_fk("cycle_id", "cycles"),
        tenant_fk("publication_id", "publications"),
        Index("ix_objections_cycle", "tenant_id", "cycle_id", "status"),
        CheckConstraint("status IN ('open', 'rejected', 'upheld')", name="status"),
        CheckConstraint("length(reason) > 0", name="reason"),
    )

    cycle_id: Mapped[uuid.UUID]
    publication_id: Mapped[uuid.UUID]
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[uuid.UUID]
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    status: Mapped[str] = mapped_column(String(12), default="open")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
