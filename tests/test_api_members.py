"""The member registry through the API: listing, creating, editing, transfers, ID cards
and who may see and do what (every role, oversight, and tenants kept apart)."""

import uuid
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from zhibu.db import db
from zhibu.members.idcard import check_digit
from zhibu.members.roster import read_roster
from zhibu.models import Member
from zhibu.tenancy import system_scope, use_scope

CARD = "11010519491231002X"  # a woman born 1949-12-31
MAN_1985 = "65290119850615123" + check_digit("65290119850615123")


def url(world, tenant="A", rest=""):
    return f"/api/v1/tenants/{world.id(tenant)}/members{rest}"


def member_url(world, code, rest="", tenant="A"):
    return url(world, tenant, f"/{world.id(code)}{rest}")


def listed(client, world, user, query="", tenant="A"):
    response = client.get(url(world, tenant, query), headers=world.headers[user])
    assert response.status_code == 200, response.json
    return response.json


def create(client, world, user="admin_a", expect=201, **body):
    body.setdefault("org_id", world.id("A-Z02"))
    body.setdefault("name", "赵六")
    response = client.post(url(world), json=body, headers=world.headers[user])
    assert response.status_code == expect, response.json
    return response.json


def enable_id_cards(client, world, tenant="A", admin="admin_a"):
    response = client.patch(
        f"/api/v1/tenants/{world.id(tenant)}",
        json={"id_card_enabled": True},
        headers=world.headers[admin],
    )
    assert response.status_code == 200 and response.json["id_card_enabled"] is True


def stored(app, member_id) -> Member:
    member_id = uuid.UUID(str(member_id))
    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(select(Member).where(Member.id == member_id))


# --- listing -----------------------------------------------------------------------------


def test_list_filters_by_subtree_status_category_and_text(client, world):
    assert [m["archive_code"] for m in listed(client, world, "admin_a")] == ["A-M1", "A-M2"]
    subtree = listed(client, world, "admin_a", f"?org_id={world.id('A-ZZ1')}")
    assert {m["name"] for m in subtree} == {"张三", "李四"}
    branch = listed(client, world, "admin_a", f"?org_id={world.id('A-Z02')}")
    assert [(m["name"], m["org_name"]) for m in branch] == [("李四", "机电系第二党支部")]
    assert listed(client, world, "admin_a", f"?org_id={world.id('A-Z09')}") == []
    assert [m["name"] for m in listed(client, world, "admin_a", "?q=张")] == ["张三"]
    assert [m["name"] for m in listed(client, world, "admin_a", "?q=M2")] == ["李四"]
    assert listed(client, world, "admin_a", "?status=probationary") == []
    assert len(listed(client, world, "admin_a", "?category=serving&status=full")) == 2
    page = client.get(url(world, rest="?page_size=1"), headers=world.headers["admin_a"])
    assert len(page.json) == 1 and '"total": 2' in page.headers["X-Pagination"]


def test_an_unknown_unit_in_the_filter_is_a_404_naming_it(client, world):
    response = client.get(
        url(world, rest=f"?org_id={world.id('B-Z01')}"), headers=world.headers["admin_a"]
    )
    assert response.status_code == 404


# --- creating and editing ----------------------------------------------------------------


def test_create_generates_unique_archive_codes(client, world):
    first = create(client, world, joined_on="2015-07-01", status="probationary")
    second = create(client, world, name="钱七")
    assert (first["archive_code"], second["archive_code"]) == ("A-000001", "A-000002")
    assert first["status"] == "probationary" and first["category"] == "serving"
    assert first["org_name"] == "机电系第二党支部" and first["active"] is True
    taken = create(client, world, expect=409, archive_code="A-M1")
    assert list(taken["errors"]) == ["archive_code"]


def test_bad_input_names_the_field(client, world):
    unknown = create(client, world, expect=422, colour="red", id_card_masked="x")
    assert unknown["errors"]["json"] == {
        "colour": ["没有这一字段。"],
        "id_card_masked": ["没有这一字段。"],
    }
    assert "name" in create(client, world, expect=422, name="")["errors"]["json"]
    assert "gender" in create(client, world, expect=422, gender="M")["errors"]["json"]
    other_tenant = create(client, world, expect=404, org_id=world.id("B-Z01"))
    assert list(other_tenant["errors"]) == ["org_id"]
    dates = create(client, world, expect=400, birth_date="1990-01-01", joined_on="1980-01-01")
    assert list(dates["errors"]) == ["joined_on"]


def test_a_member_belongs_to_an_active_unit(client, world):
    admin = world.headers["admin_a"]
    dissolved = client.post(
        f"/api/v1/tenants/{world.id('A')}/orgs/{world.id('A-Z09')}/dissolve",
        json={"on": "2024-06-30"},
        headers=admin,
    )
    assert dissolved.status_code == 200
    refused = create(client, world, expect=400, org_id=world.id("A-Z09"))
    assert list(refused["errors"]) == ["org_id"] and "已撤销" in refused["message"]


def test_patch_changes_fields_but_not_the_unit(client, world):
    admin = world.headers["admin_a"]
    target = member_url(world, "A-M1")
    changed = client.patch(
        target, json={"phone": "13800000000", "position": "组织委员"}, headers=admin
    )
    assert changed.status_code == 200
    assert (changed.json["phone"], changed.json["position"]) == ("13800000000", "组织委员")
    moved = client.patch(target, json={"org_id": world.id("A-Z02")}, headers=admin)
    assert moved.status_code == 400 and list(moved.json["errors"]) == ["org_id"]
    assert "transfer" in moved.json["message"]
    clash = client.patch(target, json={"archive_code": "A-M2"}, headers=admin)
    assert clash.status_code == 409 and list(clash.json["errors"]) == ["archive_code"]
    unknown = client.patch(target, json={"salary": 1}, headers=admin)
    assert unknown.status_code == 422 and unknown.json["errors"]["json"] == {
        "salary": ["没有这一字段。"]
    }


# --- ID cards ----------------------------------------------------------------------------


def test_id_cards_are_refused_while_the_tenant_has_them_off(client, world):
    refused = create(client, world, expect=400, id_card=CARD)
    assert list(refused["errors"]) == ["id_card"] and "未启用身份证号" in refused["message"]


def test_id_cards_are_encrypted_and_shown_masked_to_admins_only(client, world, app):
    enable_id_cards(client, world)
    made = create(client, world, org_id=world.id("A-Z01"), name="孙八", id_card=CARD.lower())
    assert made["id_card_masked"] == "110105********002X"
    assert (made["birth_date"], made["gender"]) == ("1949-12-31", "女")  # from the card
    assert CARD not in str(made) and "id_card" not in made
    row = stored(app, made["id"])
    assert CARD not in row.id_card_cipher and len(row.id_card_digest) == 64
    for user in ("secretary_a", "assessor_a"):
        seen = client.get(url(world, rest=f"/{made['id']}"), headers=world.headers[user]).json
        assert seen["name"] == "孙八" and "id_card_masked" not in seen
    again = create(client, world, expect=409, name="重复", id_card=CARD)
    assert list(again["errors"]) == ["id_card"] and made["archive_code"] in again["message"]
    bad = create(client, world, expect=400, id_card=CARD[:17] + "1")
    assert list(bad["errors"]) == ["id_card"] and "校验位" in bad["message"]
    wrong_birth = create(client, world, expect=400, id_card=MAN_1985, birth_date="1985-06-16")
    assert list(wrong_birth["errors"]) == ["birth_date"]


def test_an_id_card_can_be_replaced_or_removed(client, world, app):
    enable_id_cards(client, world)
    admin = world.headers["admin_a"]
    target = member_url(world, "A-M1")
    replaced = client.patch(
        target, json={"id_card": MAN_1985, "birth_date": "1985-06-15"}, headers=admin
    )
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["id_card_masked"] == MAN_1985[:6] + "********" + MAN_1985[-4:]
    removed = client.patch(target, json={"id_card": None}, headers=admin)
    assert removed.json["id_card_masked"] is None
    assert stored(app, world.ids["A-M1"]).id_card_digest is None


# --- transfers ---------------------------------------------------------------------------


def test_transfer_moves_the_member_and_keeps_the_history(client, world):
    admin = world.headers["admin_a"]
    move = member_url(world, "A-M1", "/transfer")
    first = client.post(
        move,
        json={"to_org_id": world.id("A-Z02"), "on": "2024-03-01", "reason": "工作调动"},
        headers=admin,
    )
    assert first.status_code == 201, first.json
    assert (first.json["from_org_name"], first.json["to_org_name"]) == (
        "机电系第一党支部",
        "机电系第二党支部",
    )
    assert first.json["user_id"] == world.id("admin_a")
    back = client.post(
        move, json={"to_org_id": world.id("A-Z01"), "on": "2024-09-01"}, headers=admin
    )
    assert back.status_code == 201
    member = client.get(member_url(world, "A-M1"), headers=admin).json
    assert member["id"] == world.id("A-M1") and member["org_id"] == world.id("A-Z01")
    history = client.get(member_url(world, "A-M1", "/transfers"), headers=admin).json
    assert [(t["transferred_on"], t["to_org_name"], t["reason"]) for t in history] == [
        ("2024-03-01", "机电系第二党支部", "工作调动"),
        ("2024-09-01", "机电系第一党支部", ""),
    ]
    earlier = client.post(
        move, json={"to_org_id": world.id("A-Z02"), "on": "2024-01-01"}, headers=admin
    )
    assert earlier.status_code == 400 and list(earlier.json["errors"]) == ["on"]


def test_transfer_refuses_the_same_unit_and_a_dissolved_one(client, world):
    admin = world.headers["admin_a"]
    move = member_url(world, "A-M1", "/transfer")
    same = client.post(
        move, json={"to_org_id": world.id("A-Z01"), "on": "2024-03-01"}, headers=admin
    )
    assert same.status_code == 400 and list(same.json["errors"]) == ["to_org_id"]
    client.post(
        f"/api/v1/tenants/{world.id('A')}/orgs/{world.id('A-Z09')}/dissolve",
        json={"on": "2024-06-30"},
        headers=admin,
    )
    gone = client.post(
        move, json={"to_org_id": world.id("A-Z09"), "on": "2024-07-01"}, headers=admin
    )
    assert gone.status_code == 400 and list(gone.json["errors"]) == ["to_org_id"]
    other = client.post(
        move, json={"to_org_id": world.id("B-Z01"), "on": "2024-07-01"}, headers=admin
    )
    assert other.status_code == 404
    assert client.get(member_url(world, "A-M1", "/transfers"), headers=admin).json == []


# --- who sees and does what --------------------------------------------------------------


def test_a_branch_secretary_reads_and_edits_their_subtree_only(client, world):
    secretary = world.headers["secretary_a"]
    assert [m["name"] for m in listed(client, world, "secretary_a")] == ["张三"]
    assert client.get(member_url(world, "A-M2"), headers=secretary).status_code == 404
    assert (
        client.patch(
            member_url(world, "A-M2"), json={"phone": "13800000000"}, headers=secretary
        ).status_code
        == 404
    )
    outside = create(client, world, "secretary_a", expect=403, org_id=world.id("A-Z02"))
    assert list(outside["errors"]) == ["org_id"]
    made = create(client, world, "secretary_a", org_id=world.id("A-Z01"), name="周九")
    assert made["birth_date"] is None and "id_card_masked" not in made
    edit = client.patch(member_url(world, "A-M1"), json={"education": "本科"}, headers=secretary)
    assert edit.status_code == 200 and edit.json["education"] == "本科"
    away = client.post(
        member_url(world, "A-M1", "/transfer"),
        json={"to_org_id": world.id("A-Z02"), "on": "2024-03-01"},
        headers=secretary,
    )
    assert away.status_code == 403 and list(away.json["errors"]) == ["to_org_id"]


def test_a_member_reads_only_themselves_and_writes_nothing(client, world):
    member = world.headers["member_a"]
    mine = listed(client, world, "member_a")
    assert [m["archive_code"] for m in mine] == ["A-M1"] and mine[0]["phone"] == "13912345678"
    assert client.get(member_url(world, "A-M2"), headers=member).status_code == 404
    assert (
        client.patch(
            member_url(world, "A-M1"), json={"phone": "13800000000"}, headers=member
        ).status_code
        == 403
    )
    create(client, world, "member_a", expect=403)
    assert client.get(url(world, rest="/export"), headers=member).status_code == 403


def test_an_assessor_reads_everyone_and_writes_nothing(client, world):
    everyone = listed(client, world, "assessor_a")
    assert len(everyone) == 2 and everyone[0]["birth_date"] == "1985-03-01"
    assert all("id_card_masked" not in m for m in everyone)
    create(client, world, "assessor_a", expect=403)


def test_the_overseer_sees_no_member_not_even_a_name(client, world):
    """Issue 23: a member's name is personal data; an overseer reads units, not members."""
    overseer = world.headers["overseer_c"]
    for path in (
        "",
        "?q=A-M1",
        f"/{world.id('A-M1')}",
        "/export",
        f"/{world.id('A-M1')}/transfers",
    ):
        answer = client.get(url(world, rest=path), headers=overseer)
        assert answer.status_code == 403 and "张三" not in answer.get_data(as_text=True)
    create(client, world, "overseer_c", expect=403)
    assert client.get(url(world, "B"), headers=overseer).status_code == 404


def test_tenants_never_see_each_others_members(client, world):
    assert [m["name"] for m in listed(client, world, "admin_b", tenant="B")] == ["王五"]
    b_admin = world.headers["admin_b"]
    assert client.get(url(world), headers=b_admin).status_code == 404
    assert client.get(member_url(world, "A-M1", tenant="B"), headers=b_admin).status_code == 404
    assert (
        client.patch(
            member_url(world, "A-M1", tenant="B"), json={"name": "x"}, headers=b_admin
        ).status_code
        == 404
    )
    assert (
        client.get(member_url(world, "B-M1"), headers=world.headers["admin_a"]).status_code == 404
    )
    moved = client.post(
        member_url(world, "B-M1", "/transfer", tenant="B"),
        json={"to_org_id": world.id("A-Z01"), "on": "2024-01-01"},
        headers=b_admin,
    )
    assert moved.status_code == 404


# --- export ------------------------------------------------------------------------------


def test_export_is_an_xlsx_with_a_chinese_file_name(client, world):
    response = client.get(url(world, rest="/export"), headers=world.headers["admin_a"])
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="roster-A-')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded).startswith("甲学院党委党员花名册") and encoded.isascii()
    parsed = read_roster(response.data)
    assert parsed.ok
    assert sorted((r.values["name"], r.values["branch"]) for r in parsed.rows) == [
        ("张三", "机电系第一党支部"),
        ("李四", "机电系第二党支部"),
    ]


@pytest.mark.parametrize(
    "user,names", [("secretary_a", ["张三"]), ("assessor_a", ["张三", "李四"])]
)
def test_export_holds_what_the_caller_may_read(client, world, user, names):
    response = client.get(url(world, rest="/export"), headers=world.headers[user])
    assert response.status_code == 200
    assert sorted(r.values["name"] for r in read_roster(response.data).rows) == sorted(names)


def test_a_secretary_who_is_also_assessor_reads_all_and_writes_their_branch(client, world, app):
    from zhibu.db import db
    from zhibu.models import RoleAssignment
    from zhibu.tenancy import system_scope, use_scope

    with app.app_context(), use_scope(system_scope()):
        db.session.add(
            RoleAssignment(
                tenant_id=world.ids["A"], user_id=world.ids["secretary_a"], role="assessor"
            )
        )
        db.session.commit()
    headers = world.headers["secretary_a"]
    base = f"/api/v1/tenants/{world.id('A')}/members"
    names = {m["name"] for m in client.get(base, headers=headers).json}
    assert names == {"张三", "李四"}
    own = client.patch(f"{base}/{world.id('A-M1')}", json={"phone": "13800000000"}, headers=headers)
    assert own.status_code == 200
    other = client.patch(
        f"{base}/{world.id('A-M2')}", json={"phone": "13800000000"}, headers=headers
    )
    assert other.status_code == 403
