"""The board's refusals: a short page in Chinese with the right 4xx status, nothing else said."""

from __future__ import annotations

from typing import NoReturn

from flask import Response, abort, make_response, render_template
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "请求无效", 401: "请先登录", 403: "无权查看", 404: "没有找到", 405: "不支持的请求", 410: "链接已失效",
    413: "请求太大", 414: "地址太长", 429: "请求太频繁", 500: "系统错误", 503: "系统繁忙",
}
DEFAULT_MESSAGES = {
    400: "请求的参数不正确。", 401: "请从企业微信打开督办看板。", 403: "您没有查看这里的权限。", 404: "没有找到这个页面。",
    405: "这个地址不支持这种请求。", 413: "请求内容太大。", 414: "请求的地址太长。",
    500: "系统暂时出了问题，请稍后再试。", 503: "系统繁忙，请稍后再试。",
}


class Refused(HTTPException):
    def __init__(self, code: int, message: str, signin: bool = False, clear_cookie: bool = False) -> None:
        super().__init__(description=message)
        self.code = code
        self.signin = signin
        self.clear_cookie = clear_cookie


def refuse(code: int, message: str, *, signin: bool = False, clear_cookie: bool = False) -> NoReturn:
    raise Refused(code, message, signin, clear_cookie)


def error_page(code: int, message: str | None = None, *, signin: bool = False, clear_cookie: bool = False) -> Response:
    from web.auth import SESSION_COOKIE

    code = code if 400 <= code < 600 else 500
    body = render_template("error.html", status=code, title=TITLES.get(code, "请求无效"),
                           message=message or DEFAULT_MESSAGES.get(code, "请求无效。"), signin=signin)
    response = make_response(body, code)
    if clear_cookie:
        response.delete_cookie(SESSION_COOKIE, path=_cookie_path())
    return response


def _cookie_path() -> str:
    from flask import current_app

    return current_app.extensions["duban_board_path"]


def handle_http_error(exc: HTTPException) -> Response:
    if isinstance(exc, Refused):
        return error_page(exc.code, exc.description, signin=exc.signin, clear_cookie=exc.clear_cookie)
    return error_page(exc.code or 400)


__all__ = ["Refused", "abort", "error_page", "handle_http_error", "refuse"]
