"""Tenant isolation through every endpoint, enumerated from the app's URL map.

A user of tenant B may read or write nothing of tenant A; an overseer of A may read but
never write. Request bodies are generated from the OpenAPI document so that each request
passes validation and reaches the authorization check: a new endpoint is covered
without anyone remembering to add it here.
"""

import io
import re

import pytest
from sqlalchemy import func, select

from zhibu.db import db
from zhibu.members.roster import write_roster
from zhibu.models import AuditEntry, Member, OrgUnit, RoleAssignment, TenantScoped
from zhibu.tenancy import system_scope, use_scope

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def tenant_endpoints(app) -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) for every route under a tenant."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<uuid:tenant_id>" not in rule.rule or not rule.rule.startswith("/api/"):
            continue  # pages (session users): tests/test_web_pages.py enumerates them
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, rule.endpoint))
    return found


def fill(rule: str, world) -> str:
    values = {
        "tenant_id": world.id("A"),
        "org_id": world.id("A-Z01"),
        "member_id": world.id("A-M1"),
        "user_id": world.id("assessor_a"),
        "overseen_id": world.id("B"),
        "key": "akesu_college",
    }

    def value(match):
        name = match.group(2)
        return values.get(name, "00000000-0000-4000-8000-000000000000")

    values["fmt"] = "xlsx"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule)


def sample(schema: dict, spec: dict, world, name: str = ""):
    """A valid value for an OpenAPI schema, pointing at tenant A's own rows."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: sample(v, spec, world, k) for k, v in props.items() if not v.get("readOnly")}
    if kind == "array":
        return [sample(schema.get("items", {}), spec, world, name)]
    if fmt == "uuid":
        by_name = {"member_id": "A-M2", "overseen_id": "B"}
        return world.id(by_name.get(name, "A-Z02"))
    if name == "month":
        return "2024-06"
    if fmt == "date":
        return "2024-06-30"
    if fmt == "date-time":
        return "2024-06-30T00:00:00"
    if kind == "boolean":
        return False
    if kind in {"integer", "number"}:
        return 1
    if name == "role":
        return "assessor"
    return f"x-{name}-long-enough"


def request_kwargs(app, client, rule: str, method: str, world) -> dict:
    spec = client.get("/api/openapi.json").json
    path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        book = write_roster([{"name": "测试", "branch": "机电系第二党支部"}])
        schema = content["multipart/form-data"]["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        # every file field the form takes (file, files …) gets a well-formed upload
        fields = [
            name
            for name, field in schema.get("properties", {}).items()
            if "binary" in (field.get("format"), field.get("items", {}).get("format"))
        ]
        return {
            "data": {name: (io.BytesIO(book), "roster.xlsx") for name in fields},
            "content_type": "multipart/form-data",
        }
    if "application/json" in content:
        return {"json": sample(content["application/json"]["schema"], spec, world)}
    return {}


def tenant_a_state(app, world) -> dict:
    """Row counts of tenant A in every tenant-scoped table, and its audit entries."""
    with app.app_context(), use_scope(system_scope()):
        counts = {}
        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            if issubclass(cls, TenantScoped):
                counts[cls.__tablename__] = db.session.scalar(
                    select(func.count()).select_from(cls).where(cls.tenant_id == world.ids["A"])
                )
        return counts


def test_there_are_endpoints_to_check(app):
    endpoints = tenant_endpoints(app)
    assert len(endpoints) >= 20
    assert {m for _, m, _ in endpoints} >= {"GET", "POST", "PATCH", "DELETE"}


def test_a_user_of_tenant_b_can_read_or_write_nothing_of_a(app, client, world):
    before = tenant_a_state(app, world)
    secrets = ["张三", "李四", "机电系", world.id("A-Z01"), world.id("A-M1")]
    for rule, method, endpoint in tenant_endpoints(app):
        kwargs = request_kwargs(app, client, rule, method, world)
        response = client.open(
            fill(rule, world), method=method, headers=world.headers["admin_b"], **kwargs
        )
        assert response.status_code in {403, 404}, (
            endpoint,
            method,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        body = response.get_data(as_text=True)
        assert not any(s in body for s in secrets), (endpoint, method, body[:300])
    assert tenant_a_state(app, world) == before


def test_an_overseer_reads_but_never_writes(app, client, world):
    before = tenant_a_state(app, world)
    reads = 0
    for rule, method, endpoint in tenant_endpoints(app):
        kwargs = request_kwargs(app, client, rule, method, world)
        response = client.open(
            fill(rule, world), method=method, headers=world.headers["overseer_c"], **kwargs
        )
        if method in WRITES:
            assert response.status_code == 403, (endpoint, method, response.status_code)
        else:
            assert response.status_code in {200, 403, 404}, (endpoint, response.status_code)
            reads += response.status_code == 200
    assert reads >= 5
    assert tenant_a_state(app, world) == before


ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.mark.postgres
@ON_POSTGRES
def test_row_level_security_hides_rows_a_forgotten_filter_would_leak(app, world):
    """Bypass the application's own filter: PostgreSQL still shows only the scope's rows."""
    from zhibu.tenancy import Scope

    unscoped = {"zhibu_unscoped": True}
    with app.app_context():
        with use_scope(Scope.for_tenants([world.ids["B"]], [world.ids["B"]])):
            names = db.session.scalars(select(Member.name).execution_options(**unscoped)).all()
            assert names == ["王五"]
            units = db.session.scalars(select(OrgUnit.code).execution_options(**unscoped)).all()
            assert set(units) == {"B-DW", "B-Z01"}
            db.session.rollback()
        with use_scope(Scope()):  # no scope at all
            assert (
                db.session.scalars(select(RoleAssignment).execution_options(**unscoped)).all() == []
            )
            db.session.rollback()


@pytest.mark.postgres
@ON_POSTGRES
def test_row_level_security_refuses_writes_into_another_tenant(app, world):
    from sqlalchemy import insert
    from sqlalchemy.exc import ProgrammingError

    from zhibu.tenancy import Scope

    with app.app_context(), use_scope(Scope.for_tenants([world.ids["B"]], [world.ids["B"]])):
        with pytest.raises(ProgrammingError, match="row-level security"):
            db.session.execute(
                insert(AuditEntry).values(
                    tenant_id=world.ids["A"], action="create", entity="x", username="intruder"
                )
            )
        db.session.rollback()


def test_bulk_writes_into_another_tenant_are_refused_on_every_backend(app, world):
    """Bulk INSERT and bulk UPDATE by primary key pass rows as parameters; the scoping
    layer checks each row's tenant (PostgreSQL's RLS would too, SQLite has none)."""
    from sqlalchemy import insert, update

    from zhibu.tenancy import Scope, TenantScopeError

    b_scope = Scope.for_tenants([world.ids["B"]], [world.ids["B"]])
    with app.app_context(), use_scope(b_scope):
        with pytest.raises(TenantScopeError, match="bulk write names tenant"):
            db.session.execute(
                update(Member),
                [{"tenant_id": world.ids["A"], "id": world.ids["A-M1"], "name": "入侵"}],
            )
        db.session.rollback()
        with pytest.raises(TenantScopeError):
            db.session.execute(
                insert(OrgUnit),
                [
                    {
                        "tenant_id": world.ids["A"],
                        "code": "X",
                        "name": "x",
                        "kind": "branch",
                        "path": "/x/",
                        "depth": 0,
                    }
                ],
            )
        db.session.rollback()
    with app.app_context(), use_scope(system_scope()):
        assert db.session.get(Member, (world.ids["A"], world.ids["A-M1"])).name == "张三"
