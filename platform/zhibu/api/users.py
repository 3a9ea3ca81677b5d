"""``/api/v1/tenants/<id>/users``: the people who use a tenant, and their roles;
``/api/v1/tenants/<id>/member-accounts``: members' accounts opened from the roster;
``/api/v1/me/password``: change one's own password. The pages use the same service
(:mod:`zhibu.accounts.service`), so the same rules refuse the same things."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from zhibu.accounts import service
from zhibu.api.blueprint import Blueprint
from zhibu.api.security import authorize, current_user
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.models import ROLES
from zhibu.tenancy.service import get_tenant

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1", description="Users, their roles in a tenant, passwords"
)


class RoleSchema(Schema):
    id = fields.UUID(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org_id = fields.UUID(allow_none=True, load_default=None)
    member_id = fields.UUID(allow_none=True, load_default=None)


class UserSchema(Schema):
    id = fields.UUID(dump_only=True)
    username = fields.String(required=True, validate=validate.Length(2, 80))
    display_name = fields.String(load_default="")
    password = fields.String(required=True, load_only=True)
    must_change_password = fields.Boolean(
        load_default=False,
        metadata={"description": "the user changes the password at their next login"},
    )
    active = fields.Boolean(dump_only=True)
    last_login_at = UtcDateTime(dump_only=True, allow_none=True)
    roles = fields.List(fields.Nested(RoleSchema), required=True)


class UserPatchSchema(Schema):
    display_name = fields.String()
    active = fields.Boolean(metadata={"description": "false: deactivate (never the last admin)"})


class CredentialsSchema(Schema):
    user_id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    password = fields.String(metadata={"description": "shown once; to be changed at first login"})
    member_id = fields.UUID(allow_none=True)
    archive_code = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)


class MemberAccountsSchema(Schema):
    org_id = fields.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "only members of this unit's subtree (default: all)"},
    )


class PasswordSchema(Schema):
    current = fields.String(required=True)
    new = fields.String(required=True)


def _dump(user, assignments) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "must_change_password": user.must_change_password,
        "active": user.active,
        "last_login_at": user.last_login_at,
        "roles": assignments,
    }


def _credentials(opened: service.Credentials) -> dict:
    member = opened.member
    return {
        "user_id": opened.user.id,
        "username": opened.user.username,
        "display_name": opened.user.display_name,
        "password": opened.password,
        "member_id": member.id if member else None,
        "archive_code": member.archive_code if member else None,
        "org_name": opened.unit.name if opened.unit else None,
    }


def _with_roles(tenant_id: uuid.UUID, user) -> dict:
    return _dump(user, next(r for u, r in service.users_of(tenant_id) if u.id == user.id))


@blp.route("/tenants/<uuid:tenant_id>/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self, tenant_id: uuid.UUID):
        """The tenant's users with their roles (tenant administrator)."""
        authorize(tenant_id, "admin")
        return [_dump(u, a) for u, a in service.users_of(tenant_id)]

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Create an account with roles in this tenant."""
        authorize(tenant_id, "admin")
        user = service.create_user(tenant_id, **data)
        return _with_roles(tenant_id, user)


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>")
class UserDetail(MethodView):
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes, tenant_id: uuid.UUID, user_id: uuid.UUID):
        """Rename, deactivate (``active: false``) or reactivate a user of this tenant."""
        authorize(tenant_id, "admin")
        user = service.member_of_tenant(tenant_id, user_id)
        if "display_name" in changes:
            service.rename(tenant_id, user, changes["display_name"], current_user())
        if "active" in changes:
            service.set_active(tenant_id, user, changes["active"], current_user())
        return _with_roles(tenant_id, user)


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>/password-reset")
class PasswordReset(MethodView):
    @blp.response(201, CredentialsSchema)
    def post(self, tenant_id: uuid.UUID, user_id: uuid.UUID):
        """A new password made for the user (returned once), to be changed at next login."""
        authorize(tenant_id, "admin")
        user = service.member_of_tenant(tenant_id, user_id)
        return _credentials(service.reset_password(tenant_id, user, current_user()))


@blp.route("/tenants/<uuid:tenant_id>/member-accounts")
class MemberAccounts(MethodView):
    @blp.arguments(MemberAccountsSchema)
    @blp.response(201, CredentialsSchema(many=True))
    def post(self, data, tenant_id: uuid.UUID):
        """An account for every active member (of a unit's subtree) who has none, each with
        a password made for it (returned once, changed at first login)."""
        authorize(tenant_id, "admin")
        opened = service.open_member_accounts(get_tenant(tenant_id), data["org_id"])
        return [_credentials(c) for c in opened]


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>/roles")
class Roles(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(201, RoleSchema)
    def post(self, data, tenant_id: uuid.UUID, user_id: uuid.UUID):
        """Give a user of this tenant another role here."""
        authorize(tenant_id, "admin")
        service.lock_tenant(tenant_id)
        assignment = service.grant(tenant_id, service.member_of_tenant(tenant_id, user_id), **data)
        db.session.commit()
        return assignment


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>/roles/<uuid:role_id>")
class RoleDetail(MethodView):
    @blp.response(204)
    def delete(self, tenant_id: uuid.UUID, user_id: uuid.UUID, role_id: uuid.UUID):
        """Take a role back (never the last active administrator's)."""
        authorize(tenant_id, "admin")
        service.member_of_tenant(tenant_id, user_id)
        service.revoke(tenant_id, role_id, user_id)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordSchema)
    @blp.response(204)
    def post(self, data):
        """Change your own password (the policy applies). Every page session and API token
        of yours ends, this request's token included: log in again with the new password."""
        service.change_own_password(current_user(), data["current"], data["new"])
