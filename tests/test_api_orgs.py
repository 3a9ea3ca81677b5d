"""The org tree through the API: create, subtree, move, upgrade, dissolve, history."""

import pytest


def url(world, tenant="A", rest=""):
    return f"/api/v1/tenants/{world.id(tenant)}/orgs{rest}"


def create(client, world, headers, **body):
    response = client.post(url(world), json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_list_is_paginated_and_filtered(client, world):
    admin = world.headers["admin_a"]
    page = client.get(url(world, rest="?page_size=2&kind=branch"), headers=admin)
    assert page.status_code == 200
    assert [o["code"] for o in page.json] == ["A-Z01", "A-Z02"]
    assert '"total": 3' in page.headers["X-Pagination"]
    found = client.get(url(world, rest="?q=离退休"), headers=admin).json
    assert [o["code"] for o in found] == ["A-Z09"] and found[0]["retired"] is True


def test_create_under_a_parent_and_query_the_subtree(client, world):
    admin = world.headers["admin_a"]
    group = create(
        client,
        world,
        admin,
        code="A-Z01-G1",
        name="第一党小组",
        kind="party_group",
        parent_id=world.id("A-Z01"),
    )
    assert group["depth"] == 3
    subtree = client.get(url(world, rest=f"/{world.id('A-ZZ1')}/subtree"), headers=admin).json
    assert [o["code"] for o in subtree] == ["A-ZZ1", "A-Z01", "A-Z01-G1", "A-Z02"]


def test_codes_are_unique_within_a_tenant_only(client, world):
    body = {"code": "A-Z01", "name": "重复", "kind": "branch", "parent_id": world.id("A-DW")}
    again = client.post(url(world), json=body, headers=world.headers["admin_a"])
    assert again.status_code == 409
    assert again.json["errors"] == {"code": ["组织编码“A-Z01”已被其他组织使用。"]}
    elsewhere = dict(body, parent_id=world.id("B-DW"))
    assert (
        client.post(url(world, "B"), json=elsewhere, headers=world.headers["admin_b"]).status_code
        == 201
    )


def test_bad_input_names_the_field(client, world):
    response = client.post(
        url(world),
        json={"code": "X", "name": "x", "kind": "branch", "colour": "red"},
        headers=world.headers["admin_a"],
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"]["colour"] == ["没有这一字段。"]
    # the kinds come from the loaded plugins: the org service names the known ones
    response = client.post(
        url(world),
        json={"code": "X", "name": "x", "kind": "club"},
        headers=world.headers["admin_a"],
    )
    assert response.status_code == 400
    (message,) = response.json["errors"]["kind"]
    assert "'club'" in message and "党支部、" in message and "branch" not in message


def test_move_a_subtree_in_one_statement(client, world, app):
    admin = world.headers["admin_a"]
    create(
        client,
        world,
        admin,
        code="A-ZZ2",
        name="管理系党总支",
        kind="general_branch",
        parent_id=world.id("A-DW"),
    )
    new_parent = next(o for o in client.get(url(world), headers=admin).json if o["code"] == "A-ZZ2")
    moved = client.post(
        url(world, rest=f"/{world.id('A-ZZ1')}/move"),
        json={"parent_id": new_parent["id"]},
        headers=admin,
    )
    assert moved.status_code == 200 and moved.json["depth"] == 2
    branch = client.get(url(world, rest=f"/{world.id('A-Z01')}"), headers=admin).json
    assert branch["depth"] == 3
    subtree = client.get(url(world, rest=f"/{new_parent['id']}/subtree"), headers=admin).json
    assert {o["code"] for o in subtree} == {"A-ZZ2", "A-ZZ1", "A-Z01", "A-Z02"}
    loop = client.post(
        url(world, rest=f"/{new_parent['id']}/move"),
        json={"parent_id": world.id("A-Z01")},
        headers=admin,
    )
    assert loop.status_code == 400 and "自己的下级组织" in loop.json["message"]


def test_upgrade_keeps_the_unit_and_its_history(client, world):
    admin = world.headers["admin_a"]
    target = url(world, rest=f"/{world.id('A-Z02')}")
    assert client.post(target + "/upgrade", headers=admin).json["kind"] == "general_branch"
    assert client.post(target + "/upgrade", headers=admin).json["kind"] == "committee"
    refused = client.post(target + "/upgrade", headers=admin)
    assert refused.status_code == 400 and "不能升格" in refused.json["message"]
    history = client.get(target + "/history", headers=admin).json
    assert [(e["before"], e["after"]) for e in history if e["kind"] == "upgraded"] == [
        ({"kind": "branch"}, {"kind": "general_branch"}),
        ({"kind": "general_branch"}, {"kind": "committee"}),
    ]


def test_dissolve_needs_an_empty_unit_and_keeps_it(client, world):
    admin = world.headers["admin_a"]
    target = url(world, rest=f"/{world.id('A-Z02')}")
    refused = client.post(target + "/dissolve", json={"on": "2024-06-30"}, headers=admin)
    assert refused.status_code == 409 and "还有 1 名在册党员" in refused.json["message"]
    empty = url(world, rest=f"/{world.id('A-Z09')}")
    done = client.post(empty + "/dissolve", json={"on": "2024-06-30"}, headers=admin)
    assert done.status_code == 200
    assert (done.json["status"], done.json["dissolved_on"]) == ("dissolved", "2024-06-30")
    assert client.get(empty, headers=admin).json["status"] == "dissolved"


@pytest.mark.parametrize("user", ["assessor_a", "secretary_a", "member_a", "overseer_c"])
def test_only_the_tenant_admin_edits_the_tree(client, world, user):
    response = client.post(
        url(world), json={"code": "N", "name": "新", "kind": "branch"}, headers=world.headers[user]
    )
    assert response.status_code == 403


def test_a_branch_secretary_sees_only_their_subtree(client, world):
    listed = client.get(url(world), headers=world.headers["secretary_a"]).json
    assert [o["code"] for o in listed] == ["A-Z01"]
    other = client.get(
        url(world, rest=f"/{world.id('A-Z02')}"), headers=world.headers["secretary_a"]
    )
    assert other.status_code == 404


def test_the_overseer_reads_the_overseen_tree(client, world):
    listed = client.get(url(world), headers=world.headers["overseer_c"])
    assert listed.status_code == 200 and len(listed.json) == 5
    assert client.get(url(world, "B"), headers=world.headers["overseer_c"]).status_code == 404


def test_q_takes_percent_and_underscore_as_themselves(client, world):
    """q is a part of the name or code, in any case: % and _ are no wildcards."""
    admin = world.headers["admin_a"]

    def codes(q: str) -> list[str]:
        found = client.get(url(world), query_string={"q": q}, headers=admin)
        assert found.status_code == 200, found.json
        return [o["code"] for o in found.json]

    assert "A-Z01" in codes("a-z01")
    assert codes("A_Z01") == [] and codes("%") == [] and codes("_") == []
