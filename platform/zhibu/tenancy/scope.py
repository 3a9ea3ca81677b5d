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
from functools import lru_cache

from sqlalchemy import Select, event, false, text
from sqlalchemy.engine import Engine
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
    """Nothing is sent now: the scope reaches PostgreSQL with the next statement of the
    transaction (:func:`ensure_scope`), and only if it differs from the one in effect."""


# The scope in effect on a Session's PostgreSQL transaction: set_config(…, true) lasts
# until the transaction ends, so the state lives in the DBAPI connection's info while the
# transaction is open: (its Connection, (read, write, all_tenants)).
_STATE = "zhibu_scope"
_EMPTY = (frozenset(), frozenset(), False, None)  # a transaction begins with no tenant at all
_UNKNOWN = ("unknown",)  # after a rollback to a savepoint: send it again
_sending: ContextVar[bool] = ContextVar("zhibu_scope_sending", default=False)
# Set (to its Connection) once the transaction sent anything but a plain SELECT, or used
# the driver's own cursor: see only_read.
_WROTE = "zhibu_wrote"


def _key(scope: Scope) -> tuple:
    return (scope.read, scope.write, scope.all_tenants, scope.user_id)


def _reads_alike(sent: tuple, key: tuple) -> bool:
    """A SELECT sees the same rows under both: same readable tenants (read or write), same
    switch, same user. Only what may be written differs, which a SELECT never uses."""
    if sent == _UNKNOWN:
        return False
    return sent[0] | sent[1] == key[0] | key[1] and sent[2:] == key[2:]


def ensure_scope(connection, reads_only: bool = False) -> None:
    """Send the current scope to the connection's transaction unless it is in effect
    already: one statement (every setting in one ``SELECT set_config(…), …``), and only
    when the scope changed since the transaction's last statement. Runs before every
    statement of a Session's PostgreSQL transaction (``before_execute``); code that takes
    the driver's own cursor calls it first (:mod:`zhibu.bulk`).

    :param reads_only: the statement is a plain SELECT: a change of only the tenants one
        may *write* waits for the first statement that writes (a request's access check
        reads under its tenant's scope, the writes it grants follow with the first write,
        so a GET sends the scope once)."""
    state = connection.info.get(_STATE)
    if state is None or state[0] is not connection:
        return  # not a Session's PostgreSQL transaction
    if not reads_only:
        connection.info[_WROTE] = connection
    scope = current_scope()
    key = _key(scope)
    if state[1] == key or (reads_only and _reads_alike(state[1], key)):
        return
    connection.info[_STATE] = (connection, key)
    token = _sending.set(True)
    try:
        _set_config(connection, scope)
    except BaseException:
        connection.info[_STATE] = (connection, _UNKNOWN)
        raise
    finally:
        _sending.reset(token)


def _ids(values: Iterable[uuid.UUID]) -> str:
    return ",".join(sorted(str(v) for v in values))


def _set_config(connection, scope: Scope) -> None:
    """The scope for row-level security; the all-tenant switch is the app's key (see
    :mod:`zhibu.tenancy.rls`). The tenants it may write are among those it may read: a
    SELECT is held to the read policy only (migration 0021)."""
    connection.execute(
        text(
            "SELECT set_config('zhibu.read_tenants', :read, true),"
            " set_config('zhibu.write_tenants', :write, true),"
            " set_config('zhibu.all_tenants', :all, true),"
            " set_config('zhibu.user_id', :user, true)"
        ),
        {
            "read": _ids(scope.read | scope.write),
            "write": _ids(scope.write),
            "user": str(scope.user_id) if scope.user_id else "",
            "all": _all_tenants_key() if scope.all_tenants else "",
        },
    )


def _all_tenants_key() -> str:
    from flask import current_app, has_app_context

    return current_app.config.get("ZHIBU_ALL_TENANTS_KEY") or "" if has_app_context() else ""


@event.listens_for(Session, "after_begin")
def _on_begin(session, transaction, connection) -> None:
    """A Session's PostgreSQL transaction carries the scope from its first statement on;
    nothing is sent until then (:func:`ensure_scope`)."""
    if connection.dialect.name == "postgresql":
        connection.info[_STATE] = (connection, _EMPTY)
        connection.info.pop(_WROTE, None)


@event.listens_for(Engine, "before_execute")
def _before_execute(connection, clauseelement, multiparams, params, execution_options) -> None:
    if not _sending.get():
        ensure_scope(connection, reads_only=_plain_select(clauseelement))


def _plain_select(statement) -> bool:
    """A SELECT that writes nothing and locks nothing (``FOR UPDATE`` needs the tenants one
    may write under row-level security)."""
    return isinstance(statement, Select) and statement._for_update_arg is None


@event.listens_for(Engine, "rollback_savepoint")
def _on_rollback_savepoint(connection, name, context) -> None:
    """A rollback to a savepoint undoes a set_config made after it: send it again."""
    state = connection.info.get(_STATE)
    if state is not None and state[0] is connection:
        connection.info[_STATE] = (connection, _UNKNOWN)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _on_end(connection) -> None:
    """The transaction's settings end with it."""
    state = connection.info.get(_STATE)
    if state is not None and state[0] is connection:
        del connection.info[_STATE]
        connection.info.pop(_WROTE, None)


def only_read(session: Session) -> bool:
    """The session's open PostgreSQL transaction has sent nothing but plain SELECTs (each
    statement passes :func:`ensure_scope`, which tells them apart) and holds no change
    waiting for a flush: committing it changes nothing that rolling it back would not."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    connection = session.connection()
    state = connection.info.get(_STATE)
    return state is not None and state[0] is connection and connection.info.get(_WROTE) is None


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
    state.statement = state.statement.options(
        _tenant_filter(tuple(sorted(scope.read if state.is_select else scope.write)))
    )


@lru_cache(maxsize=256)
def _tenant_filter(ids: tuple[uuid.UUID, ...]):
    """``tenant_id IN (ids)`` for every tenant-scoped table of a statement (nothing at all
    without ids): made once per set of tenants, since making it costs as much as a fifth
    of a small query, not once per statement."""
    if ids:
        return with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id.in_(ids), include_aliases=True
        )
    return with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)


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
