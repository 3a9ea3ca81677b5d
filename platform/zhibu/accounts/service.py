"""Users of a tenant and their roles: the one service behind the pages, the API and the
commands.

Login is global (one account, one user name across the platform); what an account may do
in a tenant is its role assignments there. A tenant administrator manages the accounts
that are wholly their tenant's: not a platform administrator's, not one holding roles in
another tenant (those are the platform administrator's to manage).

Writes that two administrators may make at once (a user name taken twice, the last two
administrators deactivating each other, two bulk openings of the same members' accounts)
first lock the tenant's row (:func:`lock_tenant`), so that the second sees what the first
did. Every write is audited by the ORM's flush hook (:mod:`zhibu.audit`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from zhibu.accounts.auth import set_password, sign_out_everywhere
from zhibu.accounts.password_policy import password_problems
from zhibu.accounts.passwords import generate_password, hash_generated, verify_password
from zhibu.db import db
from zhibu.errors import Conflict, Forbidden, NotFound, ServiceError, Unprocessable
from zhibu.i18n import _, _l
from zhibu.models import ROLES, Member, OrgUnit, RoleAssignment, Tenant, User
from zhibu.tenancy.scope import Scope, current_scope, system_scope, use_scope

ROLE_NAMES = {
    "tenant_admin": _l("管理员"),
    "assessor": _l("考核员"),
    "branch_secretary": _l("支部书记"),
    "member": _l("党员"),
    "overseer": _l("监督员"),
}
USERNAME = re.compile(r"^[\w.@-]{2,80}$")


@dataclass(frozen=True)
class Credentials:
    """An account with the password made for it, to hand over once (never stored)."""

    user: User
    password: str
    member: Member | None = None
    unit: OrgUnit | None = None


def lock_tenant(tenant_id: uuid.UUID) -> None:
    """Hold the tenant's row until the transaction ends (PostgreSQL; SQLite has one writer
    at a time anyway): account changes of one tenant happen one after another."""
    db.session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


# --- reading -------------------------------------------------------------------------------


def _matching(q: str):
    """Users whose user name or name holds ``q`` (any case; % and _ taken as themselves)."""
    return or_(
        User.username.icontains(q, autoescape=True),
        User.display_name.icontains(q, autoescape=True),
    )


def users_of(
    tenant_id: uuid.UUID, q: str = "", role: str | None = None
) -> list[tuple[User, list[RoleAssignment]]]:
    """The tenant's users (those with a role in it) and their roles here, by user name;
    ``q`` searches user names and names, ``role`` keeps those holding it."""
    assignments = db.session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.tenant_id == tenant_id)
        .order_by(RoleAssignment.created_at, RoleAssignment.id)
    ).all()
    by_user: dict[uuid.UUID, list[RoleAssignment]] = {}
    for assignment in assignments:
        by_user.setdefault(assignment.user_id, []).append(assignment)
    if role:
        by_user = {k: v for k, v in by_user.items() if any(a.role == role for a in v)}
    query = select(User).where(User.id.in_(by_user)).order_by(User.username)
    if q.strip():
        query = query.where(_matching(q.strip()))
    return [(user, by_user[user.id]) for user in db.session.scalars(query)]


def users_page(
    tenant_id: uuid.UUID, q: str = "", role: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[tuple[User, list[RoleAssignment]]], bool]:
    """One page of :func:`users_of` (same filters, same order), found by the database: the
    page's users, their roles here, and whether another page follows. Two statements,
    however many users the tenant has."""
    held = select(RoleAssignment.user_id).where(RoleAssignment.tenant_id == tenant_id)
    if role:
        held = held.where(RoleAssignment.role == role)
    query = select(User).where(User.id.in_(held)).order_by(User.username)
    if q.strip():
        query = query.where(_matching(q.strip()))
    users = db.session.scalars(query.offset((page - 1) * size).limit(size + 1)).all()
    more, users = len(users) > size, users[:size]
    by_user: dict[uuid.UUID, list[RoleAssignment]] = {u.id: [] for u in users}
    if users:
        for assignment in db.session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.tenant_id == tenant_id, RoleAssignment.user_id.in_(by_user))
            .order_by(RoleAssignment.created_at, RoleAssignment.id)
        ):
            by_user[assignment.user_id].append(assignment)
    return [(user, by_user[user.id]) for user in users], more


def member_of_tenant(tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user, if they hold a role in the tenant (what a tenant admin may manage)."""
    held = db.session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.tenant_id == tenant_id, RoleAssignment.user_id == user_id
        )
    )
    user = db.session.get(User, user_id)
    if held is None or user is None:
        raise NotFound(_("本单位没有这个用户。"))
    return user


def other_tenants_of(user: User, tenant_id: uuid.UUID) -> list[Tenant]:
    """Tenants other than ``tenant_id`` where the user holds a role (read past the
    request's tenant scope: that is the question)."""
    with use_scope(system_scope(username=current_scope().username)):
        return list(
            db.session.scalars(
                select(Tenant)
                .where(
                    Tenant.id.in_(
                        select(RoleAssignment.tenant_id).where(RoleAssignment.user_id == user.id)
                    ),
                    Tenant.id != tenant_id,
                )
                .order_by(Tenant.code)
            )
        )


def active_admins(tenant_id: uuid.UUID) -> set[uuid.UUID]:
    """Active users holding the tenant's administrator role."""
    return set(
        db.session.scalars(
            select(RoleAssignment.user_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                RoleAssignment.tenant_id == tenant_id,
                RoleAssignment.role == "tenant_admin",
                User.active,
            )
        )
    )


# --- checks --------------------------------------------------------------------------------


def check_username(username: str) -> str:
    """The user name as it will be stored; refused when malformed or taken (in any case:
    ``Zhang`` is taken when ``zhang`` is)."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise ServiceError(
            _("用户名须为 2 至 80 个字母、数字或 . _ - @,不含空格。"), field="username"
        )
    taken = db.session.scalar(
        select(User.username).where(func.lower(User.username) == username.lower())
    )
    if taken is not None:
        raise Conflict(_("用户名 %(name)s 已被使用,请换一个。", name=taken), field="username")
    return username


def _check_role(tenant_id: uuid.UUID, user: User | None, role: str, org_id, member_id) -> None:
    if role not in ROLES:
        raise ServiceError(_("请选择角色。"), field="role")
    if role == "branch_secretary":
        unit = db.session.get(OrgUnit, (tenant_id, org_id)) if org_id else None
        if unit is None:
            raise ServiceError(_("支部书记须选择本单位组织架构中的一个组织。"), field="org_id")
    if role == "member":
        _check_member(tenant_id, user, member_id)
    if user is not None and holds(tenant_id, user, role, org_id, member_id):
        raise Conflict(_("该用户已有这个角色。"), field="role")


def _check_member(tenant_id: uuid.UUID, user: User | None, member_id) -> None:
    member = db.session.get(Member, (tenant_id, member_id)) if member_id else None
    if member is None:
        raise ServiceError(_("党员账号须关联本单位党员名册中的一名党员。"), field="member_id")
    linked = db.session.scalar(
        select(User.username)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.tenant_id == tenant_id,
            RoleAssignment.role == "member",
            RoleAssignment.member_id == member.id,
        )
    )
    if linked is not None and (user is None or linked != user.username):
        raise Conflict(
            _("党员 %(name)s 已有账号 %(username)s。", name=member.name, username=linked),
            field="member_id",
        )


def holds(tenant_id, user: User, role: str, org_id=None, member_id=None) -> bool:
    """The user holds the role here already (over that unit, as that member)."""
    query = select(RoleAssignment.id).where(
        RoleAssignment.tenant_id == tenant_id,
        RoleAssignment.user_id == user.id,
        RoleAssignment.role == role,
    )
    if role == "branch_secretary":
        query = query.where(RoleAssignment.org_id == org_id)
    if role == "member":
        query = query.where(RoleAssignment.member_id == member_id)
    return db.session.scalar(query) is not None


def check_manageable(tenant_id: uuid.UUID, user: User, actor: User) -> None:
    """A tenant administrator changes only accounts wholly of their tenant; the platform
    administrator any account."""
    if actor.is_platform_admin:
        return
    if user.is_platform_admin:
        raise Forbidden(_("平台管理员的账号只能由平台管理员管理。"), field="user")
    elsewhere = other_tenants_of(user, tenant_id)
    if elsewhere:
        names = "、".join(t.name for t in elsewhere)
        raise Forbidden(
            _(
                "该用户在其他单位(%(names)s)也有角色,其账号只能由平台管理员停用或重置密码。",
                names=names,
            ),
            field="user",
        )


def _keep_an_admin(tenant_id: uuid.UUID, leaving: uuid.UUID) -> None:
    if active_admins(tenant_id) == {leaving}:
        raise Conflict(
            _("不能停用或撤销最后一位管理员:请先为本单位指定另一位管理员。"), field="user"
        )


# --- writing -------------------------------------------------------------------------------


def grant(tenant_id: uuid.UUID, user: User, role: str, org_id=None, member_id=None):
    """Give ``user`` a role here (not committed): a branch secretary over a unit of this
    tenant and its subtree, a member as a member of this tenant's roster."""
    _check_role(tenant_id, user, role, org_id, member_id)
    assignment = RoleAssignment(
        tenant_id=tenant_id,
        user_id=user.id,
        role=role,
        org_id=org_id if role == "branch_secretary" else None,
        member_id=member_id if role == "member" else None,
    )
    db.session.add(assignment)
    return assignment


def create_user(
    tenant_id: uuid.UUID,
    *,
    username: str,
    password: str,
    display_name: str = "",
    roles: list[dict],
    must_change_password: bool = False,
) -> User:
    """An account with ``password`` (the policy applies) and roles in this tenant."""
    problems = password_problems(password, username)
    if problems:
        raise ServiceError("; ".join(problems), field="password")
    return _create(tenant_id, username, display_name, roles, must_change_password, password)


def open_account(
    tenant_id: uuid.UUID, *, username: str, display_name: str = "", roles: list[dict]
) -> Credentials:
    """An account with a password made for it, to be changed at its first login."""
    password = generate_password(current_min_length())
    user = _create(tenant_id, username, display_name, roles, True, password, generated=True)
    return Credentials(user, password)


def current_min_length() -> int:
    from flask import current_app

    return current_app.config["ZHIBU_PASSWORD_MIN_LENGTH"]


def _create(tenant_id, username, display_name, roles, must_change, password, generated=False):
    lock_tenant(tenant_id)
    username = check_username(username)
    if not roles:
        raise ServiceError(_("请至少给用户一个本单位的角色。"), field="roles")
    user = User(
        id=uuid.uuid4(),
        username=username,
        display_name=(display_name or "").strip(),
        password_hash=hash_generated(password) if generated else "",
        must_change_password=must_change,
    )
    if not generated:
        set_password(user, password)
    db.session.add(user)
    try:
        db.session.flush()
        for role in roles:
            grant(tenant_id, user, **role)
        db.session.commit()
    except IntegrityError:  # the same name, made at the same moment in another tenant
        db.session.rollback()
        raise Conflict(
            _("用户名 %(name)s 已被使用,请换一个。", name=username), field="username"
        ) from None
    return user


def revoke(
    tenant_id: uuid.UUID, assignment_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> None:
    """Take a role back; never the last active administrator's. With ``user_id``, only
    that user's (the id in the URL names it)."""
    lock_tenant(tenant_id)
    assignment = db.session.get(RoleAssignment, (tenant_id, assignment_id))
    if assignment is None or (user_id is not None and assignment.user_id != user_id):
        raise NotFound(_("本单位没有这个角色分配。"))
    if assignment.role == "tenant_admin" and assignment.user.active:
        others = db.session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(
                RoleAssignment.tenant_id == tenant_id,
                RoleAssignment.user_id == assignment.user_id,
                RoleAssignment.role == "tenant_admin",
            )
        )
        if others == 1:
            _keep_an_admin(tenant_id, assignment.user_id)
    db.session.delete(assignment)
    db.session.commit()


def set_active(tenant_id: uuid.UUID, user: User, active: bool, actor: User) -> User:
    """Deactivate (the account can no longer log in; its history stays) or reactivate.
    Refused: oneself, the last active administrator, an account not wholly this tenant's."""
    lock_tenant(tenant_id)
    db.session.refresh(user)
    if user.active == active:
        return user
    check_manageable(tenant_id, user, actor)
    if not active:
        if user.id == actor.id:
            raise Conflict(_("不能停用自己的账号。"), field="user")
        _keep_an_admin(tenant_id, user.id)
    user.active = active
    db.session.commit()
    return user


def rename(tenant_id: uuid.UUID, user: User, display_name: str, actor: User) -> User:
    check_manageable(tenant_id, user, actor)
    user.display_name = (display_name or "").strip()[:120]
    db.session.commit()
    return user


def reset_password(tenant_id: uuid.UUID, user: User, actor: User) -> Credentials:
    """A new password made for the user, to be changed at their next login; the account
    is unlocked. Refused for an account not wholly this tenant's."""
    check_manageable(tenant_id, user, actor)
    password = generate_password(current_min_length())
    user.password_hash = hash_generated(password)
    user.must_change_password = True
    user.locked_until = None
    sign_out_everywhere(user)  # whoever held the old password, or a session made with it
    db.session.commit()
    return Credentials(user, password)


def change_own_password(user: User, current: str, new: str) -> None:
    """The user changes their own password: the current one is asked, the policy applies,
    a password someone else chose must give way to a new one. Audited in the user's
    tenant when they have one."""
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("当前密码不正确。"), field="current")
    if new == current:
        raise ServiceError(_("新密码不能与当前密码相同。"), field="new")
    try:
        with use_scope(_own_scope(user)):
            user.must_change_password = False
            set_password(user, new)
            db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise Unprocessable(str(exc), field="new") from None


def _own_scope(user: User) -> Scope:
    """Writes the user row; the audit entry goes to the user's tenant if they have one."""
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        tenants = set(
            db.session.scalars(
                select(RoleAssignment.tenant_id).where(RoleAssignment.user_id == user.id)
            )
        )
    if len(tenants) != 1:  # none, or several: a platform-wide entry
        return system_scope(username=user.username, user_id=user.id)
    return Scope.for_tenants(tenants, tenants, user_id=user.id, username=user.username)


# --- members' accounts from the roster -----------------------------------------------------


def _linked(tenant_id: uuid.UUID):
    """The members of the tenant that a member account is linked to (a subquery)."""
    return select(RoleAssignment.member_id).where(
        RoleAssignment.tenant_id == tenant_id,
        RoleAssignment.role == "member",
        RoleAssignment.member_id.is_not(None),
    )


def count_without_account(tenant_id: uuid.UUID) -> int:
    """How many active members of the tenant have no member account yet (what
    :func:`members_without_account` would list for the whole tenant), counted by the
    database."""
    return db.session.scalar(
        select(func.count()).where(
            Member.tenant_id == tenant_id, Member.active, Member.id.not_in(_linked(tenant_id))
        )
    )


@dataclass(frozen=True)
class AccountsPage:
    """The first members without an account (with their unit) and the counts."""

    first: list[tuple[Member, Any]]
    without: int
    having: int


def first_without_account(
    tenant_id: uuid.UUID, org_id: uuid.UUID | None = None, limit: int = 200
) -> AccountsPage:
    """What :func:`members_without_account` lists, its first ``limit`` only, with the
    counts: the members counted per unit by the database, then those of the first units
    (in tree order) that hold ``limit`` of them loaded. Three statements at any size."""
    from zhibu.orgs.service import in_tree_order

    units = in_tree_order(_unit_rows(tenant_id, org_id))
    without_account = case((Member.id.not_in(_linked(tenant_id)), 1), else_=0)
    counted = {
        unit: (active, without or 0)
        for unit, active, without in db.session.execute(
            select(Member.org_id, func.count(), func.sum(without_account))
            .where(Member.tenant_id == tenant_id, Member.active)
            .group_by(Member.org_id)
        )
    }
    wanted, taken = [], 0
    for unit in units:
        if taken >= limit:
            break
        found = counted.get(unit.id, (0, 0))[1]
        if found:
            wanted.append(unit)
            taken += found
    position = {unit.id: (n, unit) for n, unit in enumerate(wanted)}
    members = db.session.scalars(
        select(Member).where(
            Member.tenant_id == tenant_id,
            Member.active,
            Member.org_id.in_(list(position)),
            Member.id.not_in(_linked(tenant_id)),
        )
    ).all()
    members = sorted(members, key=lambda m: (position[m.org_id][0], m.archive_code))
    inside = [counted.get(unit.id, (0, 0)) for unit in units]
    without = sum(w for _active, w in inside)
    return AccountsPage(
        [(m, position[m.org_id][1]) for m in members[:limit]],
        without,
        sum(a for a, _w in inside) - without,
    )


def _unit_rows(tenant_id: uuid.UUID, org_id: uuid.UUID | None) -> list:
    """Narrow rows (id, parent, code, name, path, depth) of the unit's subtree (of the
    whole tree without ``org_id``)."""
    from zhibu.orgs.service import PATH_END

    query = select(
        OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.depth
    ).where(OrgUnit.tenant_id == tenant_id)
    if org_id is not None:
        root = db.session.get(OrgUnit, (tenant_id, org_id))
        if root is None:
            raise ServiceError(_("所选组织不在本单位的组织架构中。"), field="org_id")
        query = query.where(OrgUnit.path.between(root.path, root.path + PATH_END))
    return db.session.execute(query).all()


def members_without_account(
    tenant_id: uuid.UUID, org_id: uuid.UUID | None = None
) -> tuple[list[tuple[Member, OrgUnit]], int]:
    """Active members of the unit's subtree (of the whole tenant without ``org_id``) who
    have no member account yet, in tree order with their unit; and how many have one."""
    from zhibu.orgs.service import in_tree_order, subtree_query

    if org_id is not None:
        root = db.session.get(OrgUnit, (tenant_id, org_id))
        if root is None:
            raise ServiceError(_("所选组织不在本单位的组织架构中。"), field="org_id")
        units = list(db.session.scalars(subtree_query(tenant_id, [root.path])))
    else:
        units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.tenant_id == tenant_id)))
    order = {unit.id: n for n, unit in enumerate(in_tree_order(units))}
    by_id = {unit.id: unit for unit in units}
    linked = set(
        db.session.scalars(
            select(RoleAssignment.member_id).where(
                RoleAssignment.tenant_id == tenant_id, RoleAssignment.role == "member"
            )
        )
    )
    members = db.session.scalars(
        select(Member).where(
            Member.tenant_id == tenant_id, Member.active, Member.org_id.in_(list(by_id))
        )
    ).all()
    members = sorted(members, key=lambda m: (order[m.org_id], m.archive_code))
    without = [(m, by_id[m.org_id]) for m in members if m.id not in linked]
    return without, len(members) - len(without)


def member_username(tenant: Tenant, member: Member) -> str:
    """``<tenant code>-<archive code>`` in lower case (the archive code alone when it
    already starts with the tenant's code), characters a user name may not hold as ``-``."""
    code = member.archive_code
    if not code.lower().startswith(tenant.code.lower() + "-"):
        code = f"{tenant.code}-{code}"
    return re.sub(r"[^\w.@-]", "-", code.lower())[:76]


def open_member_accounts(tenant: Tenant, org_id: uuid.UUID | None = None) -> list[Credentials]:
    """An account for every active member of the unit's subtree (the whole tenant without
    ``org_id``) who has none: the user name from the archive code, a password made for it
    (changed at first login), the member's name, the member role linked to the member.
    Members with an account are left alone, so running it again opens only new members'."""
    lock_tenant(tenant.id)
    found, _having = members_without_account(tenant.id, org_id)
    wanted = [member_username(tenant, m) for m, _unit in found]
    taken = {
        name.lower()
        for name in db.session.scalars(
            select(User.username).where(func.lower(User.username).in_(wanted))
        )
    }
    opened = []
    length = current_min_length()
    for (member, unit), name in zip(found, wanted, strict=True):
        name = _free_name(name, taken)
        taken.add(name)
        password = generate_password(length)
        user = User(
            id=uuid.uuid4(),
            username=name,
            display_name=member.name,
            password_hash=hash_generated(password),
            must_change_password=True,
        )
        db.session.add(user)
        db.session.add(
            RoleAssignment(tenant_id=tenant.id, user_id=user.id, role="member", member_id=member.id)
        )
        opened.append(Credentials(user, password, member, unit))
    try:
        db.session.commit()
    except IntegrityError:  # a name taken at this moment by another tenant's administrator
        db.session.rollback()
        message = _("有用户名刚被别人占用,未开通任何账号,请重试。")
        raise Conflict(message, field="username") from None
    return opened


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3`` … when it is taken (a rare case: asked one by one)."""
    candidate, number = name, 1
    while candidate in taken or (number > 1 and _exists(candidate)):
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def _exists(username: str) -> bool:
    query = select(User.id).where(func.lower(User.username) == username.lower())
    return db.session.scalar(query) is not None
