"""Evidence (佐证材料): photos and documents attached to a deduction, a rectification item,
a 回头看 check or a 销号; and the offline sheets a device has sent (their client ids)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned


class EvidenceFile(TenantOwned, db.Model):
    """One stored file. Its owner is a pair ``(owner_kind, owner_id)`` checked per kind by
    :mod:`zhibu.evidence.service` (``deduction``: a score sheet, with the indicator in
    ``ref``; ``item``, ``sign_off``: a rectification item; ``follow_up``: a 回头看 check), so
    a new kind (an objection) needs no change of the table."""

    __tablename__ = "evidence_files"
    __table_args__ = (
        Index("ix_evidence_files_owner", "tenant_id", "owner_kind", "owner_id"),
        UniqueConstraint("tenant_id", "client_id"),
    )

    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[uuid.UUID]
    ref: Mapped[str] = mapped_column(String(32), default="")  # a deduction's indicator
    filename: Mapped[str] = mapped_column(String(255))  # as the uploader named it
    media_type: Mapped[str] = mapped_column(String(100))  # found from the content
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    thumb_key: Mapped[str | None] = mapped_column(String(300))  # photos only
    note: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(64))  # an offline device's id
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SheetSync(TenantOwned, db.Model):
    """A sheet an offline device sent, under the id the device gave it: sent again (a
    retry after a lost answer), it is answered from here and not saved twice."""

    __tablename__ = "sheet_syncs"
    __table_args__ = (UniqueConstraint("tenant_id", "client_id"),)

    client_id: Mapped[str] = mapped_column(String(64))
    cycle_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))  # the content saved (see offline.digest)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
