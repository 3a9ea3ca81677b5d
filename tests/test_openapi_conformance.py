"""Issue 17: the API answers what its OpenAPI document says, for generated requests.

Every operation of ``/api/openapi.json`` is sent a bounded number of requests generated
from the document (schemathesis, on the WSGI app, no server), as tenant A's administrator
in the world of tests/authz_scene.py. The path's ids are the world's own most of the time
(a made-up id only tests the 404). A failure is any 5xx, any answer whose status, headers
or body the document does not declare, or a request the document declares invalid that
the app accepts. Every failing example is collected, then the test fails listing them.

Bounded: ``EXAMPLES`` per operation, no shrinking, on both backends (SQLite gives times
back without their zone, PostgreSQL refuses NUL in a text: each found what the other did
not). The figures of a run are printed (``-s``) and recorded in docs/api.md. The tests
after it check what schemathesis cannot: the JSON inside ``X-Pagination``, ``Allow``
on 405, and that every API route of the app is in the document.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections import Counter

import pytest
import schemathesis
from authz_scene import build_scene
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.models import User
from zhibu.tenancy import system_scope, use_scope

EXAMPLES = 8
# a request the document allows may still be refused by what the data says (an unknown
# scheme, a deadline before the cycle, a parent of another kind …): 400/409/422 naming
# the field, which the document declares; only a 5xx or a broken promise fails
NOT_CHECKED = [positive_data_acceptance]
# revoking the caller's token, or changing their password, ends the caller's tokens: these
# run last, each request with a token of its own
LAST = {("DELETE", "/api/v1/auth/tokens"), ("POST", "/api/v1/me/password")}


def known_ids(scene) -> dict[str, list[str]]:
    return {
        "tenant_id": [scene.id("A")],
        "org_id": [scene.id("A-Z01"), scene.id("A-ZZ1"), scene.id("A-DW")],
        "member_id": [scene.id("A-M1"), scene.id("A-M2")],
        "cycle_id": [scene.id("cycle"), scene.id("djy")],
        "item_id": [scene.id("item A-Z01")],
        "deduction_id": [scene.id("deduction A-Z01")],
        "user_id": [scene.id("spare_a")],
        "job_id": [scene.job],
        "file_id": [scene.id("file")],
        "key": ["akesu_college", "dujiangyan_quantified", "core.stars"],
        "month": ["2021-03"],
    }


@pytest.mark.slow
def test_every_operation_answers_as_its_document_says(app):
    scene = build_scene(app)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    ids = known_ids(scene)
    headers = scene.world.headers["admin_a"]
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in LAST)
    tried, failures, started = Counter(), {}, time.monotonic()

    def fresh_token() -> dict:
        with app.app_context(), use_scope(system_scope()):
            user = db.session.scalar(select(User).where(User.username == "admin_a"))
            plain, _ = issue_token(user, "conformance")
            db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    for operation in operations:
        last = (operation.method.upper(), operation.path) in LAST
        run_operation(operation, ids, fresh_token if last else lambda: headers, tried, failures)

    took = time.monotonic() - started
    print(
        f"\n{len(operations)} operations, {sum(tried.values())} requests in {took:.0f}s, "
        f"{len(failures)} distinct failures in {len({n for n, _ in failures})} operations"
    )
    report = [f"{name}: {title}\n    {detail}" for (name, title), detail in failures.items()]
    assert report == [], "\n".join(report)


def run_operation(operation, ids, headers_of, tried, failures) -> None:
    """Up to ``EXAMPLES`` generated requests of one operation, each checked."""
    name = f"{operation.method.upper()} {operation.path}"

    @settings(  # the same examples every run: CI is red for a bug, never by chance
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), pick=st.randoms(use_true_random=False))
    def run(case, pick):
        for param in list(case.path_parameters or {}):
            if param in ids and pick.random() < 0.8:
                case.path_parameters[param] = pick.choice(ids[param])
        tried[name] += 1
        try:
            case.call_and_validate(headers=headers_of(), excluded_checks=NOT_CHECKED)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.setdefault((name, failure.title), str(failure)[:400])
        except Exception as exc:  # the app raised: a 500 in production
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{exc!r:.300} at {where.filename}:{where.lineno}"
            failures.setdefault((name, f"server error {type(exc).__name__}"), detail)

    run()


def test_the_pagination_header_is_the_json_object_the_document_declares(client, world):
    spec = client.get("/api/openapi.json").json
    header = spec["components"]["headers"]["PAGINATION"]
    declared = spec["components"]["schemas"]["PaginationMetadata"]["properties"]
    assert list(header["content"]) == ["application/json"]
    url = f"/api/v1/tenants/{world.id('A')}/members?page_size=1"
    answer = client.get(url, headers=world.headers["admin_a"])
    sent = json.loads(answer.headers["X-Pagination"])
    assert sent["total"] == 2 and sent["next_page"] == 2
    assert set(sent) <= set(declared)
    assert all(isinstance(value, int) for value in sent.values())
    beyond = client.get(f"{url}&page={10**20}", headers=world.headers["admin_a"])
    assert beyond.status_code == 200 and beyond.json == []


def test_a_method_not_allowed_says_which_are(client, world):
    answer = client.delete("/api/v1/me", headers=world.headers["admin_a"])
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert answer.json["code"] == 405


def test_every_api_route_of_the_app_is_an_operation_of_the_document(app, client):
    """The plugins' API routes too (the dujiangyan months were missing): a route the
    document does not list cannot be called by a client made from it."""
    spec = client.get("/api/openapi.json").json
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routes = {
        (method, re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - documented) == []
    assert any("/dujiangyan/" in path for _, path in documented)


def test_times_carry_their_offset_and_absent_values_are_declared_nullable(client, world):
    spec = client.get("/api/openapi.json").json
    org = spec["components"]["schemas"]["Org"]["properties"]
    assert org["dissolved_on"].get("nullable") is True
    answer = client.get(f"/api/v1/tenants/{world.id('A')}", headers=world.headers["admin_a"])
    created = answer.json["created_at"]
    assert created.endswith("+00:00") or created.endswith("Z"), created
