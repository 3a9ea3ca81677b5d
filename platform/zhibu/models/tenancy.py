"""Tenants (institutions) and the schemes each has enabled."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhibu.db import db, new_id


class Tenant(db.Model):
    """An institution that runs schemes: a college, a county, a company, a city department."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="institution")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    schemes: Mapped[list[TenantScheme]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="TenantScheme.scheme_key"
    )


class TenantScheme(db.Model):
    """A scheme (plugin-contributed) enabled for a tenant."""

    __tablename__ = "tenant_schemes"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    scheme_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled_at: Mapped[datetime] = mapped_column(server_default=func.now())

    tenant: Mapped[Tenant] = relationship(back_populates="schemes")
