"""Two administrators at once, on PostgreSQL: each request in a thread of its own, with its
own connection, released together by a barrier.

Each service's check is slowed down (it reads, then waits a moment before going on) so
that both requests have read before either writes: without the tenant's lock (or the
unique key), both would pass the check. The database and the services are the real ones.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from zhibu.accounts import service
from zhibu.db import db
from zhibu.models import RoleAssignment, User
from zhibu.tenancy import system_scope, use_scope

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
PAUSE = 0.5


def slowed(monkeypatch, name: str) -> None:
    """``service.<name>`` as it is, then a pause: the other request reads meanwhile."""
    original = getattr(service, name)

    def slow(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(PAUSE)
        return found

    monkeypatch.setattr(service, name, slow)


def at_once(app, calls) -> list:
    """Run each ``call(client)`` in its own thread, released together; their responses."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        answers[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_two_admins_deactivating_each_other_leave_one(app, client, world, monkeypatch):
    a = world.id("A")
    second = client.post(
        f"/api/v1/tenants/{a}/users",
        json={
            "username": "admin_a2",
            "password": "long enough pw",
            "roles": [{"role": "tenant_admin"}],
        },
        headers=world.headers["admin_a"],
    )
    assert second.status_code == 201
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "admin_a2", "password": "long enough pw"}
    ).json["token"]
    slowed(monkeypatch, "active_admins")

    def deactivate(headers, user_id):
        return lambda c: c.patch(
            f"/api/v1/tenants/{a}/users/{user_id}", json={"active": False}, headers=headers
        )

    answers = at_once(
        app,
        [
            deactivate(world.headers["admin_a"], second.json["id"]),
            deactivate({"Authorization": f"Bearer {token}"}, world.id("admin_a")),
        ],
    )
    assert sorted(r.status_code for r in answers) == [200, 409]
    refused = next(r for r in answers if r.status_code == 409)
    assert "最后一位管理员" in refused.json["message"]
    with app.app_context(), use_scope(system_scope()):
        assert len(service.active_admins(world.ids["A"])) == 1
        db.session.remove()


def test_one_user_name_made_in_two_tenants_at_once(app, world, monkeypatch):
    slowed(monkeypatch, "check_username")
    body = {"username": "zhang", "password": "long enough pw", "roles": [{"role": "assessor"}]}

    def create(tenant, admin):
        return lambda c: c.post(
            f"/api/v1/tenants/{world.id(tenant)}/users", json=body, headers=world.headers[admin]
        )

    answers = at_once(app, [create("A", "admin_a"), create("B", "admin_b")])
    assert sorted(r.status_code for r in answers) == [201, 409]
    refused = next(r for r in answers if r.status_code == 409)
    assert refused.json["errors"] == {"username": ["用户名 zhang 已被使用,请换一个。"]}
    with app.app_context(), use_scope(system_scope()):
        users = db.session.scalars(select(User.id).where(User.username == "zhang")).all()
        roles = db.session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.user_id.in_(users))
        )
        assert len(users) == 1 and roles == 1  # nothing of the refused one is left
        db.session.remove()


def test_members_accounts_opened_twice_at_once_are_opened_once(app, world, monkeypatch):
    slowed(monkeypatch, "members_without_account")
    url = f"/api/v1/tenants/{world.id('A')}/member-accounts"
    answers = at_once(
        app,
        [lambda c: c.post(url, json={}, headers=world.headers["admin_a"])] * 2,
    )
    assert [r.status_code for r in answers] == [201, 201]
    assert sorted(len(r.json) for r in answers) == [0, 1]  # 李四 once; 张三 has member_a
    with app.app_context(), use_scope(system_scope()):
        linked = db.session.scalars(
            select(RoleAssignment.member_id).where(RoleAssignment.role == "member")
        ).all()
        assert sorted(map(str, linked)) == sorted([world.id("A-M1"), world.id("A-M2")])
        db.session.remove()
