"""Generated report files: the workbook and printable page of each report of a cycle,
kept in the database (the web app and the workers share nothing else) and replaced
whenever the cycle's report set is generated again."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned, tenant_fk

REPORT_FORMATS = ("xlsx", "html")


class ReportFile(TenantOwned, db.Model):
    __tablename__ = "report_files"
    __table_args__ = (
        tenant_fk("cycle_id", "cycles"),
        UniqueConstraint("tenant_id", "cycle_id", "key", "fmt"),
        CheckConstraint(f"fmt IN ({', '.join(repr(f) for f in REPORT_FORMATS)})", name="fmt"),
    )

    cycle_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(100))  # the report's key (core.ranking)
    fmt: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    personal: Mapped[bool] = mapped_column(default=False)  # not for overseers
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    result_set_id: Mapped[uuid.UUID | None]  # the results it was built from
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
