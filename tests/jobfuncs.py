"""Job functions the job tests enqueue; the worker imports them by name."""

from zhibu.db import db
from zhibu.models import Tenant


def create_tenant(code: str, name: str) -> str:
    """Needs the app context and the database: proves the worker provides both."""
    tenant = Tenant(code=code, name=name)
    db.session.add(tenant)
    db.session.commit()
    return str(tenant.id)


def fail(reason: str) -> None:
    raise ValueError(reason)


def scope_of_job() -> dict:
    """What the job may read and write: proves jobs run in their tenant's scope."""
    from zhibu.tenancy import current_scope

    scope = current_scope()
    return {"write": sorted(map(str, scope.write)), "all": scope.all_tenants}
