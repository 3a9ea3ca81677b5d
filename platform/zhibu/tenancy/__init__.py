"""Tenancy: the one scoping layer every query goes through (see :mod:`zhibu.tenancy.scope`)."""

from zhibu.tenancy.scope import (
    NOTHING,
    Scope,
    TenantScopeError,
    current_scope,
    system_scope,
    use_scope,
)

__all__ = ["NOTHING", "Scope", "TenantScopeError", "current_scope", "system_scope", "use_scope"]
