"""``/api/v1/tenants/<id>/users``: the people who use a tenant, and their roles;
``/api/v1/me/password``: change one's own password."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from zhibu.accounts import service
from zhibu.accounts.auth import set_password
from zhibu.accounts.passwords import verify_password
from zhibu.api.security import authorize, current_user
from zhibu.db import db
from zhibu.models import ROLES
from zhibu.tenancy.scope import system_scope, use_scope

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
    active = fields.Boolean(dump_only=True)
    roles = fields.List(fields.Nested(RoleSchema), required=True)


class PasswordSchema(Schema):
    current = fields.String(required=True)
    new = fields.String(required=True)


def _dump(user, assignments) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "active": user.active,
        "roles": assignments,
    }


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
        return _dump(user, next(r for u, r in service.users_of(tenant_id) if u.id == user.id))


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>/roles")
class Roles(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(201, RoleSchema)
    def post(self, data, tenant_id: uuid.UUID, user_id: uuid.UUID):
        """Give a user of this tenant another role here."""
        authorize(tenant_id, "admin")
        assignment = service.grant(tenant_id, service.member_of_tenant(tenant_id, user_id), **data)
        db.session.commit()
        return assignment


@blp.route("/tenants/<uuid:tenant_id>/users/<uuid:user_id>/roles/<uuid:role_id>")
class RoleDetail(MethodView):
    @blp.response(204)
    def delete(self, tenant_id: uuid.UUID, user_id: uuid.UUID, role_id: uuid.UUID):
        authorize(tenant_id, "admin")
        service.member_of_tenant(tenant_id, user_id)
        service.revoke(tenant_id, role_id, user_id)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordSchema)
    @blp.response(204)
    def post(self, data):
        """Change your own password (the policy applies)."""
        user = current_user()
        if not verify_password(user.password_hash, data["current"]):
            abort(
                400,
                message="the current password is wrong",
                errors={"current": ["the current password is wrong"]},
            )
        with use_scope(system_scope(username=user.username, user_id=user.id)):
            try:
                set_password(user, data["new"])
            except ValueError as exc:
                abort(422, message=str(exc), errors={"new": [str(exc)]})
            db.session.commit()
