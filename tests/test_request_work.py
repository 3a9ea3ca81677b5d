"""What every request does once rather than on each call (issue 19).

- A request that only read ends its PostgreSQL transaction with COMMIT, so the driver
  keeps the statements it prepared on the connection (a ROLLBACK drops them all), and a
  page's statements are not planned afresh on every request. A request that wrote, or
  holds changes, is rolled back as before unless its view committed.
- JSON columns are read in native code, the standard library taking what it refuses.
- The API's argument schemas are made once; the pagination header is the same as
  flask-smorest's own.
"""

from __future__ import annotations

import pytest
from flask_smorest.pagination import PaginationMixin
from sqlalchemy import func, select, text
from world import build_world, unit_under

from zhibu.api.blueprint import Blueprint, Parser
from zhibu.api.members import MemberFilterSchema
from zhibu.db import db, read_json
from zhibu.models import Member, OrgUnit
from zhibu.tenancy import Scope, system_scope, use_scope
from zhibu.tenancy.scope import only_read
from zhibu.testing.fixtures import make_test_app

postgres = pytest.mark.postgres


@pytest.fixture
def routes(app):
    """Two views that change data and return 200 without committing (a bug a view could
    have): one flushes a new unit, one leaves a change to a unit unflushed."""

    @app.get("/_test/flushes/<uuid:tenant_id>")
    def flushes(tenant_id):
        with use_scope(system_scope()):
            unit_under(None, tenant_id, "FLUSHED", "未提交的单位")
            db.session.flush()
        return "ok"

    @app.get("/_test/dirties/<uuid:tenant_id>/<uuid:org_id>")
    def dirties(tenant_id, org_id):
        with use_scope(system_scope()):
            db.session.get(OrgUnit, (tenant_id, org_id)).name = "未提交的名称"
        return "ok"

    return app


def _units(app, tenant_id, **where) -> list[str]:
    with app.app_context(), use_scope(system_scope()):
        query = select(OrgUnit.name).where(OrgUnit.tenant_id == tenant_id)
        for column, value in where.items():
            query = query.where(getattr(OrgUnit, column) == value)
        return list(db.session.scalars(query))


def test_a_view_that_changed_data_without_committing_leaves_nothing(routes, world):
    client = routes.test_client()
    tenant = world.ids["A"]
    assert client.get(f"/_test/flushes/{tenant}").status_code == 200
    assert _units(routes, tenant, code="FLUSHED") == []
    unit = world.ids["A-Z01"]
    assert client.get(f"/_test/dirties/{tenant}/{unit}").status_code == 200
    assert "未提交的名称" not in _units(routes, tenant, id=unit)
    assert _units(routes, tenant, id=unit)


@postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_only_plain_selects_count_as_reading(app, world):
    tenant = world.ids["A"]
    with app.app_context(), use_scope(Scope.for_tenants([tenant], [tenant])):
        assert not only_read(db.session())  # no transaction yet
        db.session.scalar(select(func.count()).select_from(Member))
        assert only_read(db.session())
        db.session.get(OrgUnit, (tenant, world.ids["A-Z01"])).name = "改了"
        assert not only_read(db.session())  # a change waits for a flush
        db.session.rollback()

        db.session.execute(select(OrgUnit).with_for_update()).all()
        assert not only_read(db.session())  # rows locked for writing
        db.session.rollback()

        db.session.execute(text("SELECT 1"))
        assert not only_read(db.session())  # text is not known to be a read
        db.session.rollback()

        db.session.scalar(select(func.count()).select_from(Member))
        assert only_read(db.session())
        db.session.rollback()
        assert not only_read(db.session())


@postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_reading_requests_keep_the_statements_the_driver_prepared(app, world):
    """psycopg prepares a statement at its fifth run on a connection, and forgets them
    all at a ROLLBACK: read-only requests that end with one never reuse a plan."""
    with app.app_context():
        db.engine.dispose()  # one connection, used by every request below in turn
    client = app.test_client()
    headers = world.headers["admin_a"]
    for _ in range(6):
        answer = client.get(f"/api/v1/tenants/{world.ids['A']}/members", headers=headers)
        assert answer.status_code == 200
    with app.app_context():
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.rollback()
        assert db.engine.pool.checkedin() == 1
    assert prepared > 0


@postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_preparing_can_be_switched_off_for_a_pooler(database_url, tmp_path):
    """``ZHIBU_DATABASE_PREPARED=false``: nothing prepared, for a pooler in transaction
    mode that would send a prepared statement's name to another server connection."""
    app = make_test_app(database_url, tmp_path, ZHIBU_DATABASE_PREPARED=False)
    try:
        with app.app_context():
            world = build_world()
            db.engine.dispose()
        client = app.test_client()
        for _ in range(6):
            answer = client.get(
                f"/api/v1/tenants/{world.ids['A']}/members", headers=world.headers["admin_a"]
            )
            assert answer.status_code == 200
        with app.app_context():
            assert db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) == 0
            db.session.rollback()
    finally:
        with app.app_context():
            db.session.remove()
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} CASCADE"))
            db.engine.dispose()


def test_json_columns_are_read_by_orjson_and_by_the_standard_library_past_it():
    assert read_json(b'{"a": [1, 2.5, "\xe6\x98\x9f"]}') == {"a": [1, 2.5, "星"]}
    assert read_json('{"a": 1e400}') == {"a": float("inf")}  # jsonb holds it; orjson refuses


def test_argument_schemas_are_made_once():
    parser = Parser()
    first = parser._get_schema(MemberFilterSchema, None)
    assert isinstance(first, MemberFilterSchema)
    assert Parser()._get_schema(MemberFilterSchema, None) is first
    assert Blueprint.ARGUMENTS_PARSER._get_schema(MemberFilterSchema, None) is first


@pytest.mark.parametrize("items", [0, 1, 9, 10, 11, 95])
@pytest.mark.parametrize("page", [1, 2, 10, 11])
def test_the_pagination_header_is_flask_smorests_own(items, page):
    for size in (1, 10):
        ours = Blueprint._make_pagination_metadata(page, size, items)
        theirs = PaginationMixin._make_pagination_metadata(page, size, items)
        assert ours == theirs
        assert list(ours) == list(theirs)
