"""Users of a tenant and their roles."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from zhibu.accounts.auth import set_password
from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.models import ROLES, Member, OrgUnit, RoleAssignment, User


def users_of(tenant_id: uuid.UUID) -> list[tuple[User, list[RoleAssignment]]]:
    assignments = db.session.scalars(
        select(RoleAssignment).where(RoleAssignment.tenant_id == tenant_id)
    ).all()
    by_user: dict[uuid.UUID, list[RoleAssignment]] = {}
    for assignment in assignments:
        by_user.setdefault(assignment.user_id, []).append(assignment)
    users = db.session.scalars(select(User).where(User.id.in_(by_user)).order_by(User.username))
    return [(user, by_user[user.id]) for user in users]


def _check_role(tenant_id: uuid.UUID, role: str, org_id, member_id) -> None:
    if role not in ROLES:
        raise ServiceError(f"role must be one of {', '.join(ROLES)}", field="role")
    unit = db.session.get(OrgUnit, (tenant_id, org_id)) if org_id else None
    if role == "branch_secretary" and unit is None:
        raise ServiceError("a branch secretary needs an org unit of this tenant", field="org_id")
    member = db.session.get(Member, (tenant_id, member_id)) if member_id else None
    if role == "member" and member is None:
        raise ServiceError("a member role needs a member of this tenant", field="member_id")


def grant(tenant_id: uuid.UUID, user: User, role: str, org_id=None, member_id=None):
    _check_role(tenant_id, role, org_id, member_id)
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
    tenant_id: uuid.UUID, *, username: str, password: str, display_name: str = "", roles: list[dict]
) -> User:
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user name {username!r} is taken", field="username")
    if not roles:
        raise ServiceError("give the user at least one role in this tenant", field="roles")
    user = User(id=uuid.uuid4(), username=username, display_name=display_name, password_hash="")
    try:
        set_password(user, password)
    except ValueError as exc:
        raise ServiceError(str(exc), field="password") from None
    db.session.add(user)
    db.session.flush()
    for role in roles:
        grant(tenant_id, user, **role)
    db.session.commit()
    return user


def revoke(
    tenant_id: uuid.UUID, assignment_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> None:
    """Take back a role; with ``user_id``, only that user's (the id in the URL names it)."""
    assignment = db.session.get(RoleAssignment, (tenant_id, assignment_id))
    if assignment is None or (user_id is not None and assignment.user_id != user_id):
        raise NotFound(f"no role assignment {assignment_id} in this tenant")
    db.session.delete(assignment)
    db.session.commit()


def member_of_tenant(tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user, if they hold a role in the tenant (what a tenant admin may manage)."""
    held = db.session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.tenant_id == tenant_id, RoleAssignment.user_id == user_id
        )
    )
    user = db.session.get(User, user_id)
    if held is None or user is None:
        raise NotFound(f"no user {user_id} in this tenant")
    return user
