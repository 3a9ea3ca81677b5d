"""All models, one module per aggregate; importing this package registers them all."""

from zhibu.models.accounts import User
from zhibu.models.tenancy import Tenant, TenantScheme

__all__ = ["Tenant", "TenantScheme", "User"]
