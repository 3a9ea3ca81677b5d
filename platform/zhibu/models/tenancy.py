"""Tenants (institutions), the schemes each has enabled, and oversight links between them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhibu.db import db, new_id
from zhibu.models.base import TenantScoped

TENANT_KINDS = ("college", "county", "township", "company", "city", "institution")


class Tenant(db.Model):
    """An institution that runs schemes: a college, a county, a company, a city department.

    Global: a tenant is the unit of isolation itself.
    """

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="institution")
    region: Mapped[str] = mapped_column(String(200), default="", server_default="")  # 所在地区
    active: Mapped[bool] = mapped_column(default=True)
    id_card_enabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    schemes: Mapped[list[TenantScheme]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="TenantScheme.scheme_key"
    )

    @property
    def scheme_keys(self) -> list[str]:
        return [s.scheme_key for s in self.schemes]


class TenantScheme(TenantScoped, db.Model):
    """A scheme (plugin-contributed) enabled for a tenant."""

    __tablename__ = "tenant_schemes"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    scheme_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled_at: Mapped[datetime] = mapped_column(server_default=func.now())

    tenant: Mapped[Tenant] = relationship(back_populates="schemes")


class OversightLink(db.Model):
    """``overseer`` (a county organization department) may read ``overseen``."""

    __tablename__ = "oversight_links"
    __table_args__ = (CheckConstraint("overseer_id <> overseen_id", name="not_self"),)

    overseer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    overseen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
