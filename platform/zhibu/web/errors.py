"""Error answers outside the blueprints' own: a browser gets a page in its language with a
way back, a script or the API gets JSON.

Flask answers an unknown address (and a method a route does not take, and an error no
handler caught) at the application's level, where the API's JSON handler sits. Here that
handler is kept for ``/api/`` and for scripts that ask for JSON; everyone else gets
``error.html`` with a message in the user's language.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from zhibu.web.guard import wants_json

MESSAGES = {
    400: _l("请求有误,无法处理。请返回上一页检查后重试。"),
    401: _l("请先登录。"),
    403: _l("您的角色不能进行此操作。"),
    404: _l("没有找到该页面。"),
    405: _l("该页面不接受这种请求方式。"),
    409: _l("该操作与当前状态冲突,请刷新页面后重试。"),
    413: _l("上传的内容过大,未读取。"),
    422: _l("提交的内容无法处理,请检查后重试。"),
    429: _l("请求过于频繁,请稍后再试。"),
    500: _l("服务器出错,操作未完成。请稍后重试;若一再出现,请联系管理员。"),
}


def message_for(code: int) -> str:
    """The words a person reads for an HTTP status (the nearest kind for one not listed)."""
    if code in MESSAGES:
        return str(MESSAGES[code])
    return str(MESSAGES[500] if code >= 500 else MESSAGES[400])


def init_error_pages(app: Flask, json_answer) -> None:
    """Answer errors raised outside a blueprint's handlers. ``json_answer`` is the API's
    handler (it keeps the API's JSON error body); it must run after the API is set up."""

    def answer(exc: HTTPException):
        if request.path.startswith("/api/") or wants_json():
            return json_answer(exc)
        code = exc.code or 500
        page = render_template("error.html", code=code, message=message_for(code))
        response = exc.get_response()
        response.set_data(page)
        response.content_type = "text/html; charset=utf-8"
        return response

    app.register_error_handler(HTTPException, answer)
