"""All models, one module per aggregate; importing this package registers them all."""

from zhibu.models.accounts import ROLES, ApiToken, RoleAssignment, User
from zhibu.models.audit import AuditEntry
from zhibu.models.base import TenantOwned, TenantScoped
from zhibu.models.members import Member, MemberTransfer
from zhibu.models.orgs import ORG_KINDS, OrgEvent, OrgUnit
from zhibu.models.tenancy import OversightLink, Tenant, TenantScheme

__all__ = [
    "ORG_KINDS",
    "ROLES",
    "ApiToken",
    "AuditEntry",
    "Member",
    "MemberTransfer",
    "OrgEvent",
    "OrgUnit",
    "OversightLink",
    "RoleAssignment",
    "Tenant",
    "TenantOwned",
    "TenantScheme",
    "TenantScoped",
    "User",
]
