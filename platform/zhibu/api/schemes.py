"""``/api/v1/schemes``: the schemes the loaded plugins contribute."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from zhibu import plugins
from zhibu.api.blueprint import Blueprint
from zhibu.i18n import _

blp = Blueprint(
    "schemes",
    __name__,
    url_prefix="/api/v1/schemes",
    description="Schemes contributed by plugins (global reference data)",
)


class SchemeSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    title_en = fields.String(required=True)
    seed = fields.String(required=True)
    description = fields.String()


@blp.route("")
class SchemeList(MethodView):
    @blp.response(200, SchemeSchema(many=True))
    @blp.doc(security=[])  # global reference data, open to anyone
    def get(self):
        """List the loaded schemes."""
        return sorted(plugins.registry().schemes.values(), key=lambda s: s.key)


@blp.route("/<string:key>")
class SchemeDetail(MethodView):
    @blp.response(200, SchemeSchema)
    @blp.doc(security=[])  # global reference data, open to anyone
    def get(self, key: str):
        """One scheme by key."""
        try:
            return plugins.registry().scheme(key)
        except KeyError:
            abort(404, message=_("没有这个评定方案:%(key)s", key=key))
