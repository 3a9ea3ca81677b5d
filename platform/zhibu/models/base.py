"""The shape every tenant-owned row shares: keyed on ``(tenant_id, id)``.

Keying on the tenant first is what lets PostgreSQL become Citus (rows distributed by
``tenant_id``, co-located joins) and what row-level security filters on. Foreign keys
between tenant-owned tables include ``tenant_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from zhibu.db import new_id

if TYPE_CHECKING:
    from zhibu.models.tenancy import Tenant


class TenantScoped:
    """The scoping layer filters these tables on their ``tenant_id`` column."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))


class TenantOwned(TenantScoped):
    """Mixin for tables whose rows belong to one tenant (RLS policies apply to them)."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)

    @declared_attr
    def tenant(cls) -> Mapped[Tenant]:
        """Also tells the unit of work to write a new tenant before its rows."""
        return relationship("Tenant", viewonly=False)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def tenant_fk(column: str, target: str, **kwargs):
    """A composite foreign key ``(tenant_id, column) → target(tenant_id, id)``."""
    from sqlalchemy import ForeignKeyConstraint

    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], **kwargs
    )
