"""The operator's commands: tenants, oversight, users, the org tree."""

import json

from sqlalchemy import select

from zhibu.db import db
from zhibu.models import AuditEntry, OversightLink, RoleAssignment, User
from zhibu.tenancy import system_scope, use_scope


def run(runner, *args, input=None):
    result = runner.invoke(args=list(args), input=input)
    return result


def test_create_list_and_disable_tenants(runner):
    created = run(
        runner,
        "tenants",
        "create",
        "AKS",
        "阿克苏职院党委",
        "--kind",
        "college",
        "--scheme",
        "akesu_college",
    )
    assert created.exit_code == 0, created.output
    listed = json.loads(run(runner, "tenants", "list", "--json").output)
    assert [(t["code"], t["schemes"], t["active"]) for t in listed] == [
        ("AKS", ["akesu_college"], True)
    ]
    assert run(runner, "tenants", "disable", "AKS").exit_code == 0
    assert "(disabled)" in run(runner, "tenants", "list").output


def test_errors_are_clean_messages(runner):
    run(runner, "tenants", "create", "AKS", "甲")
    again = run(runner, "tenants", "create", "AKS", "乙")
    assert again.exit_code == 1 and "单位代码 AKS 已被使用" in again.output
    unknown = run(runner, "tenants", "create", "X", "丙", "--scheme", "nope")
    assert unknown.exit_code == 1 and "没有这个评定方案:nope" in unknown.output
    missing = run(runner, "tenants", "disable", "NOPE")
    assert missing.exit_code == 2 and "no tenant with code 'NOPE'" in missing.output


def test_oversight_and_users(runner, app):
    for code in ("COUNTY", "T1", "T2"):
        run(runner, "tenants", "create", code, code)
    assert run(runner, "tenants", "oversee", "COUNTY", "T1", "T2").exit_code == 0
    made = run(
        runner,
        "users",
        "create",
        "kz",
        "--tenant",
        "COUNTY",
        "--role",
        "overseer",
        input="long enough pw\nlong enough pw\n",
    )
    assert made.exit_code == 0, made.output
    weak = run(runner, "users", "create", "weak", "--platform-admin", input="short\nshort\n")
    assert weak.exit_code == 1 and "至少 10 位" in weak.output
    with app.app_context(), use_scope(system_scope()):
        assert len(db.session.scalars(select(OversightLink)).all()) == 2
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.username == "cli"))
        assert {"tenants", "oversight_links", "users", "role_assignments"} <= {
            e.entity for e in entries
        }


def test_a_member_account_from_the_console(runner, app, world):
    args = ["users", "create", "zs", "--tenant", "A", "--role", "member"]
    pw = "long enough pw\nlong enough pw\n"
    taken = run(runner, *args, "--member", "A-M1", input=pw)  # 张三 is member_a already
    assert taken.exit_code == 1 and "已有账号 member_a" in taken.output
    foreign = run(runner, *args, "--member", "B-M1", input=pw)  # 王五 is tenant B's
    assert foreign.exit_code == 2 and "no member with archive code 'B-M1'" in foreign.output
    made = run(runner, *[a.replace("zs", "ls") for a in args], "--member", "A-M2", input=pw)
    assert made.exit_code == 0, made.output
    with app.app_context(), use_scope(system_scope()):
        user = db.session.scalar(select(User).where(User.username == "ls"))
        role = db.session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
        assert (role.role, role.member_id) == ("member", world.ids["A-M2"])


def test_org_tree_is_printed_by_depth(runner, world):
    out = run(runner, "orgs", "tree", "--tenant", "A").output.splitlines()
    assert out[0].startswith("A-DW  甲学院党委  (committee)")
    assert "    A-Z01  机电系第一党支部  (branch)" in out
    assert any(line.endswith("[retired]") for line in out)
    sub = run(runner, "orgs", "tree", "--tenant", "A", "--root", "A-ZZ1").output.splitlines()
    assert [line.split()[0] for line in sub] == ["A-ZZ1", "A-Z01", "A-Z02"]


def test_cycles_from_the_console(runner, app, world):
    from tiny_scheme import TINY
    from world import enable_scheme

    enable_scheme(app, world.ids["A"], TINY)
    assert "2021-01-01" in run(runner, "cycles", "open", "--tenant", "A", "tiny", "2021").output
    assert run(runner, "cycles", "advance", "--tenant", "A", "tiny", "2021").output.strip() == (
        "assessment"
    )
    done = run(runner, "cycles", "recompute", "--tenant", "A", "tiny", "2021")
    assert done.exit_code == 0 and "results" in done.output
    rows = json.loads(
        run(runner, "cycles", "results", "--tenant", "A", "tiny", "2021", "--json").output
    )
    assert {r["subject"] for r in rows} >= {"A-Z01", "A-M1"}
    assert all("missing_source" in r["flags"] for r in rows if r["subject"] == "A-Z01")
    to_publicity = ("cycles", "advance", "--tenant", "A", "tiny", "2021", "--to", "publicity")
    shown = run(runner, *to_publicity)
    assert shown.exit_code == 1 and "version 1:" in shown.output and "--yes" in shown.output
    published = run(runner, *to_publicity, "--yes")
    assert published.exit_code == 0 and published.output.strip().endswith("publicity (version 1)")
    missing = run(runner, "cycles", "advance", "--tenant", "A", "tiny", "1999")
    assert missing.exit_code == 2 and "no tiny cycle '1999'" in missing.output
    assert run(runner, "cycles", "list", "--tenant", "A").output.startswith("tiny\t2021")
