"""One check of every request's text for control characters (issue 17), for the pages and
the API alike: the query string, the path's values, the form's fields and a JSON body.
A field holding one (see :mod:`zhibu.controls`) refuses the request before any view runs:
422 naming the field, in JSON for the API and for scripts (in flask-smorest's shape:
``{"errors": {"query": {"q": ["…"]}}}``), the error page otherwise. Uploaded files are
not text fields and are not looked at here (their readers check their cells)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from zhibu import controls
from zhibu.web.guard import wants_json

# the forms' fields as their labels name them (a field not listed: "one of the fields")
LABELS = {
    "name": _l("名称"),
    "display_name": _l("姓名"),
    "username": _l("用户名"),
    "password": _l("密码"),
    "new": _l("新密码"),
    "again": _l("确认密码"),
    "current": _l("当前密码"),
    "q": _l("搜索"),
    "code": _l("编码"),
    "member_code": _l("档案编码"),
    "reason": _l("原因"),
    "note": _l("备注"),
    "issue": _l("问题"),
    "measure": _l("整改措施"),
    "finding": _l("检查情况"),
    "responsible": _l("责任人"),
    "region": _l("地区"),
    "period": _l("期间"),
    "round": _l("轮次"),
    "deadline": _l("期限"),
    "occurred_on": _l("日期"),
    "checked_on": _l("检查日期"),
    "left_on": _l("离开日期"),
    "transfer_on": _l("转接日期"),
    "kind": _l("类型"),
    "subject": _l("对象"),
    "entity": _l("对象类型"),
    "next": _l("跳转地址"),
}


def init_inputs(app: Flask) -> None:
    app.before_request(refuse_control_characters)


def refuse_control_characters():
    found = _fields_with_controls()
    if not found:
        return None
    where, field = found[0], controls.visible(found[1])
    if request.path.startswith("/api/") or wants_json():
        from zhibu.api import error_body

        message = _("“%(field)s”含有不可见的控制字符,请删除后重试。", field=field)
        body = error_body(422, message, {where: {field: [message]}})
        return jsonify(body), 422
    label = LABELS.get(field.rpartition(".")[2])
    if label:
        message = _("“%(field)s”一栏含有不可见的控制字符,请删除后重新提交。", field=label)
    else:
        message = _("表单中有一栏含有不可见的控制字符,请删除后重新提交。")
    referrer = request.referrer or ""  # the form's page, to go back to (this site's only)
    back = referrer if referrer.startswith(request.host_url) else None
    return render_template("error.html", code=422, message=message, back=back), 422


def _fields_with_controls() -> tuple[str, str] | None:
    """The first field holding a control character, as (where, field): where is
    ``query``, ``path``, ``form`` or ``json`` (flask-smorest's locations)."""
    for key, value in request.args.items(multi=True):
        if controls.CONTROL.search(key) or controls.CONTROL.search(value):
            return "query", key
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and controls.CONTROL.search(value):
            return "path", key
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return None
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        for key, value in request.form.items(multi=True):
            key, value = key or "", value or ""  # a part without a name has none
            if controls.CONTROL.search(key) or controls.has_control(value, key):
                return "form", key
    elif request.is_json:
        field = next(controls.find(request.get_json(silent=True)), None)
        if field is not None:
            return "json", field
    return None
