"""``/api/v1/auth``: get and revoke bearer tokens; ``/api/v1/me``."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from zhibu.accounts.access import visible_tenant_ids
from zhibu.accounts.auth import (
    LoginError,
    LoginThrottled,
    authenticate,
    issue_token,
    revoke_token,
)
from zhibu.api.blueprint import Blueprint
from zhibu.api.security import bearer_token, current_user
from zhibu.api.times import UtcDateTime
from zhibu.i18n import _

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log in for the API")


class LoginSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(load_default="", metadata={"description": "label for the token"})


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = UtcDateTime(required=True)
    token_type = fields.String(dump_default="Bearer")


class MeSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    is_platform_admin = fields.Boolean()
    tenant_ids = fields.List(fields.UUID(), allow_none=True)


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, response="DEFAULT_ERROR", description="Login refused")
    @blp.alt_response(
        429, response="DEFAULT_ERROR", description="Too many failed logins from this address"
    )
    @blp.doc(security=[])  # open to anyone: this is where a token comes from
    def post(self, login):
        """Exchange a user name and password for a bearer token.

        Refused with 401 (one message whether the user name is unknown, the password
        wrong or the account locked) or 429 with ``Retry-After`` when the caller's address
        has failed too often; the page login counts the same failures."""
        try:
            user = authenticate(login["username"], login["password"], request.remote_addr)
        except LoginThrottled as exc:
            abort(429, message=str(exc), headers={"Retry-After": str(exc.retry_after)})
        except LoginError as exc:
            abort(401, message=str(exc))
        if user.must_change_password:  # a password someone else chose opens no token
            abort(403, message=_("请先登录网页修改初始密码,再申请令牌。"))
        plain, token = issue_token(user, login["name"])
        return {"token": plain, "expires_at": token.expires_at, "token_type": "Bearer"}

    @blp.response(204)
    def delete(self):
        """Revoke the token this request carries."""
        current_user()
        revoke_token(bearer_token() or "")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The caller and the tenants they can see (null: all, for a platform admin)."""
        user = current_user()
        return {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "is_platform_admin": user.is_platform_admin,
            "tenant_ids": visible_tenant_ids(user),
        }
