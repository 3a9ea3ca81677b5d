"""The org tree of a tenant: 党委, 党总支, 党支部, 党小组 and the units the schemes rate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from zhibu.db import db
from zhibu.models.base import TenantOwned, Timestamps, tenant_fk

# The core's own kinds of unit (named in zhibu.plugins.builtin). Plugins add theirs through
# the zhibu_org_kinds hook: every kind a unit may have is zhibu.plugins.registry().org_kinds,
# which the org service checks (the database does not: migration 0014).
ORG_KINDS = (
    "committee",  # 党委
    "general_branch",  # 党总支
    "branch",  # 党支部
    "party_group",  # 党小组
    "township",  # 乡镇/街道
    "village",  # 村
    "community",  # 社区
    "two_new",  # "两新"组织
    "enterprise",  # 企业
    "organ",  # 机关
)
# 支部 → 总支 → 党委 (Dujiangyan upgraded 194 units this way)
UPGRADES = {"branch": "general_branch", "general_branch": "committee"}


class OrgUnit(TenantOwned, Timestamps, db.Model):
    """One unit of the tree. ``path`` holds the ids from the root down to this unit
    (``/<hex>/<hex>/``), so a subtree is one range query and a move is one UPDATE."""

    __tablename__ = "org_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("parent_id", "org_units"),
        Index("ix_org_units_tenant_path", "tenant_id", "path"),
        # the few 离退休 units, whose members are not rated (the 工作台's score entry)
        Index(
            "ix_org_units_retired",
            "tenant_id",
            "id",
            postgresql_where=text("retired"),
            sqlite_where=text("retired = 1"),
        ),
        CheckConstraint("status IN ('active', 'dissolved')", name="status"),
    )

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[uuid.UUID | None]
    path: Mapped[str] = mapped_column(String(1024))
    depth: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)  # 离退休党支部
    exempt: Mapped[bool] = mapped_column(default=False)  # 暂不列入星级管理
    status: Mapped[str] = mapped_column(String(16), default="active")
    dissolved_on: Mapped[date | None]


class OrgEvent(TenantOwned, db.Model):
    """History of a unit: created, changed, moved, upgraded, dissolved."""

    __tablename__ = "org_events"
    __table_args__ = (
        tenant_fk("org_id", "org_units"),
        Index("ix_org_events_org", "tenant_id", "org_id"),
    )

    org_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(
        default=lambda: datetime.now(UTC), server_default=func.now()
    )
    user_id: Mapped[uuid.UUID | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
