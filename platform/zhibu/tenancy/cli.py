"""``zhibu tenants …``, ``zhibu users …`` and ``zhibu orgs …``: the operator's commands.

They run with the platform-wide scope (the operator at the console is the platform
administrator) and go through the same services as the API, so they are audited alike.
"""

from __future__ import annotations

import functools
import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from zhibu.accounts import service as accounts
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.models import ROLES, Member, OrgUnit, Tenant, User
from zhibu.orgs import service as orgs
from zhibu.tenancy import service as tenants
from zhibu.tenancy.scope import system_scope, use_scope


def _tenant(code: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        raise click.BadParameter(f"no tenant with code {code!r}", param_hint="--tenant")
    return tenant


def operator(func):
    """Run the command as the platform operator; a refused request is a clean error."""

    @with_appcontext
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with use_scope(system_scope(username="cli")):
            try:
                return func(*args, **kwargs)
            except ServiceError as exc:
                raise click.ClickException(exc.message) from None

    return wrapper


@click.group("tenants")
def tenants_group() -> None:
    """Tenants (institutions) and oversight links."""


@tenants_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@operator
def list_tenants(as_json: bool) -> None:
    """List tenants with their schemes."""
    rows = db.session.scalars(select(Tenant).order_by(Tenant.code)).all()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": str(t.id),
                        "code": t.code,
                        "name": t.name,
                        "kind": t.kind,
                        "active": t.active,
                        "schemes": t.scheme_keys,
                    }
                    for t in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for t in rows:
        state = "" if t.active else "  (disabled)"
        click.echo(f"{t.code}\t{t.name}\t{t.kind}\t{','.join(t.scheme_keys)}{state}")


@tenants_group.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--kind", default="institution", show_default=True)
@click.option("--scheme", "schemes", multiple=True, help="Scheme to enable (repeatable).")
@operator
def create_tenant(code: str, name: str, kind: str, schemes: tuple[str, ...]) -> None:
    """Create a tenant."""
    tenant = tenants.create_tenant(code=code, name=name, kind=kind, schemes=list(schemes))
    click.echo(f"created {tenant.code} {tenant.id}")


@tenants_group.command("disable")
@click.argument("code")
@operator
def disable_tenant(code: str) -> None:
    """Disable a tenant (its data stays)."""
    tenants.update_tenant(_tenant(code), active=False)
    click.echo(f"disabled {code}")


@tenants_group.command("oversee")
@click.argument("overseer")
@click.argument("overseen", nargs=-1, required=True)
@operator
def oversee(overseer: str, overseen: tuple[str, ...]) -> None:
    """Let OVERSEER (a county department) read the OVERSEEN tenants."""
    for code in overseen:
        tenants.link_oversight(_tenant(overseer), _tenant(code))
        click.echo(f"{overseer} oversees {code}")


@click.group("users")
def users_group() -> None:
    """Accounts and roles."""


@users_group.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--tenant", help="Tenant code (not needed for --platform-admin).")
@click.option("--role", type=click.Choice(ROLES), help="Role in the tenant.")
@click.option("--org", "org_code", help="Unit code, for a branch secretary.")
@click.option("--member", "member_code", help="Archive code of the member, for a member.")
@click.option("--platform-admin", is_flag=True, help="Administer every tenant.")
@click.option("--display-name", default="")
@operator
def create_user(
    username, password, tenant, role, org_code, member_code, platform_admin, display_name
):
    """Create an account: a platform administrator, or a user with a role in a tenant."""
    if platform_admin:
        _create_platform_admin(username, password, display_name)
        return
    if not (tenant and role):
        raise click.UsageError("give --tenant and --role (or --platform-admin)")
    target = _tenant(tenant)
    org_id = orgs.org_by_code(target.id, org_code).id if org_code else None
    member_id = _member(target, member_code).id if member_code else None
    user = accounts.create_user(
        target.id,
        username=username,
        password=password,
        display_name=display_name,
        roles=[{"role": role, "org_id": org_id, "member_id": member_id}],
    )
    click.echo(f"created {user.username} ({role} in {tenant})")


def _member(tenant: Tenant, code: str) -> Member:
    member = db.session.scalar(
        select(Member).where(Member.tenant_id == tenant.id, Member.archive_code == code)
    )
    if member is None:
        raise click.BadParameter(f"no member with archive code {code!r}", param_hint="--member")
    return member


def _create_platform_admin(username: str, password: str, display_name: str) -> None:
    from zhibu.accounts.auth import set_password

    if db.session.scalar(select(User.id).where(User.username == username)):
        raise click.ClickException(f"user name {username!r} is taken")
    user = User(
        username=username, display_name=display_name, is_platform_admin=True, password_hash=""
    )
    try:
        set_password(user, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.add(user)
    db.session.commit()
    click.echo(f"created platform administrator {username}")


@click.group("orgs")
def orgs_group() -> None:
    """The org tree of a tenant."""


@orgs_group.command("tree")
@click.option("--tenant", required=True, help="Tenant code.")
@click.option("--root", "root_code", help="Show only the subtree of this unit code.")
@operator
def tree(tenant: str, root_code: str | None) -> None:
    """Print the tree (one query), indented by depth."""
    target = _tenant(tenant)
    if root_code:
        query = orgs.subtree_query(target.id, [orgs.org_by_code(target.id, root_code).path])
    else:
        query = select(OrgUnit).where(OrgUnit.tenant_id == target.id)
    for unit in orgs.in_tree_order(list(db.session.scalars(query))):
        flags = [f for f in ("retired", "exempt") if getattr(unit, f)]
        flags += ["dissolved"] if unit.status == "dissolved" else []
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        click.echo(f"{'  ' * unit.depth}{unit.code}  {unit.name}  ({unit.kind}){suffix}")


def commands() -> list[click.Command]:
    return [tenants_group, users_group, orgs_group]
