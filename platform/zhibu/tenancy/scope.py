"""The scoping layer: which tenants the current unit of work may read and write.

A :class:`Scope` is set per request (from the user and the tenant in the URL), per job and
per CLI command, with :func:`use_scope`. It is enforced twice:

- in the application: every ORM SELECT, UPDATE and DELETE gets ``tenant_id IN (…)`` for
  every tenant-scoped table (``with_loader_criteria``), and a flush refuses rows of a
  tenant the scope may not write;
- in PostgreSQL: each transaction carries the same tenants (``set_config(…, true)``) for
  the row-level security policies of :mod:`zhibu.tenancy.rls`.

No scope at all means nothing is visible: a forgotten scope fails closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event, false, text
from sqlalchemy.orm import Session, with_loader_criteria

from zhibu.models.base import TenantScoped


class TenantScopeError(PermissionError):
    """A write outside the tenants the current scope may write."""


@dataclass(frozen=True)
class Scope:
    read: frozenset[uuid.UUID] = frozenset()
    write: frozenset[uuid.UUID] = frozenset()
    all_tenants: bool = False
    user_id: uuid.UUID | None = None
    username: str = ""

    @classmethod
    def for_tenants(
        cls, read: Iterable[uuid.UUID], write: Iterable[uuid.UUID] = (), **who
    ) -> Scope:
        write = frozenset(write)
        return cls(read=frozenset(read) | write, write=write, **who)

    def can_read(self, tenant_id: uuid.UUID | None) -> bool:
        return self.all_tenants or tenant_id in self.read

    def can_write(self, tenant_id: uuid.UUID | None) -> bool:
        return self.all_tenants or tenant_id in self.write


NOTHING = Scope()
_current: ContextVar[Scope] = ContextVar("zhibu_scope", default=NOTHING)


def current_scope() -> Scope:
    return _current.get()


def system_scope(username: str = "system", user_id: uuid.UUID | None = None) -> Scope:
    """Every tenant: for the platform administrator, migrations, the CLI and jobs."""
    return Scope(all_tenants=True, username=username, user_id=user_id)


@contextmanager
def use_scope(scope: Scope, session: Session | None = None) -> Iterator[Scope]:
    """Make ``scope`` current; an open PostgreSQL transaction gets it at once."""
    token = _current.set(scope)
    _apply_to_open_transaction(session)
    try:
        yield scope
    finally:
        _current.reset(token)
        _apply_to_open_transaction(session)


def set_scope(scope: Scope, session: Session | None = None) -> None:
    """Make ``scope`` current until the context ends (a request's ``before_request``)."""
    _current.set(scope)
    _apply_to_open_transaction(session)


def reset_scope() -> None:
    """Back to no scope (at the start and end of every request: threads serve many)."""
    _current.set(NOTHING)


def _apply_to_open_transaction(session: Session | None) -> None:
    if session is None:
        from zhibu.db import db

        try:
            session = db.session()
        except RuntimeError:  # no app context: nothing is open
            return
    if session.in_transaction():
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            _set_config(connection, current_scope())


def _ids(values: Iterable[uuid.UUID]) -> str:
    return ",".join(sorted(str(v) for v in values))


def _set_config(connection, scope: Scope) -> None:
    """The scope for row-level security; the all-tenant switch is the app's key (see
    :mod:`zhibu.tenancy.rls`)."""
    connection.execute(
        text(
            "SELECT set_config('zhibu.read_tenants', :read, true),"
            " set_config('zhibu.write_tenants', :write, true),"
            " set_config('zhibu.all_tenants', :all, true)"
        ),
        {
            "read": _ids(scope.read),
            "write": _ids(scope.write),
            "all": _all_tenants_key() if scope.all_tenants else "",
        },
    )


def _all_tenants_key() -> str:
    from flask import current_app, has_app_context

    return current_app.config.get("ZHIBU_ALL_TENANTS_KEY") or "" if has_app_context() else ""


@event.listens_for(Session, "after_begin")
def _on_begin(session, transaction, connection) -> None:
    if connection.dialect.name == "postgresql":
        _set_config(connection, current_scope())


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state) -> None:
    if state.execution_options.get("zhibu_unscoped"):
        return
    scope = current_scope()
    if scope.all_tenants:
        return
    if state.is_insert or state.is_update:
        _check_bulk_rows(state, scope)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    ids = sorted(scope.read if state.is_select else scope.write)
    if ids:
        criteria = with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id.in_(ids), include_aliases=True
        )
    else:
        criteria = with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
    state.statement = state.statement.options(criteria)


def _check_bulk_rows(state, scope: Scope) -> None:
    """Bulk INSERT and bulk UPDATE by primary key carry their rows as parameters, where no
    WHERE clause can filter them: every row's tenant must be one the scope may write."""
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    require_writable({row.get("tenant_id") for row in rows if isinstance(row, dict)}, scope)


def require_writable(tenants: Iterable[uuid.UUID | None], scope: Scope | None = None) -> None:
    """Refuse a bulk write naming a tenant the scope may not write (:class:`TenantScopeError`).

    The ORM's writes are checked by the hooks here; a write sent past the ORM (the
    driver's multi-row INSERTs of :mod:`zhibu.bulk`) is checked by calling this first,
    so that it fails the same way on every backend, before PostgreSQL's row-level
    security would."""
    scope = scope or current_scope()
    if scope.all_tenants:
        return
    for tenant in tenants:
        if tenant is not None and not scope.can_write(tenant):
            raise TenantScopeError(
                f"a bulk write names tenant {tenant}, outside what "
                f"{scope.username or 'this request'} may write"
            )


@event.listens_for(Session, "before_flush")
def _check_writes(session, flush_context, instances) -> None:
    scope = current_scope()
    if scope.all_tenants:
        return
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, TenantScoped) and not scope.can_write(obj.tenant_id):
            raise TenantScopeError(
                f"{type(obj).__name__} of tenant {obj.tenant_id} is outside what "
                f"{scope.username or 'this request'} may write"
            )
