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
