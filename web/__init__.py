"""The leaders' status board (督办看板): a Flask blueprint served by `duban serve` beside the WeCom callback.

Server-rendered Jinja2 pages (autoescaped, no JavaScript, no build step), small enough for WeCom's built-in
browser on a phone. Reads go through store/ (store.board_data); sign-in through WeCom web OAuth in wecom/.
What other rooms provide (the calendar, the 台账 writer) comes in as `BoardServices` from the wiring.

    register_board(app, config, services)   # mounts it at [web] path (default /board)
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from store.board_data import STATUS_LABELS
from store.clock import clock
from store.config import Config
from store.db import unit_of_work
from store.models import ROLE_LABELS
from web.auth import SESSION_COOKIE, read_session
from web.errors import error_page, handle_http_error, refuse
from web.services import BoardServices
from web.signin import register_signin
from web.views import register_pages

PUBLIC_ENDPOINTS = {"board.login", "board.oauth", "board.link", "board.login_link", "board.logout",
                    "board.signed_out", "board.static"}
MAX_QUERY_BYTES = 2048
MAX_PATH_BYTES = 512
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
    "X-Frame-Options": "DENY",
}


def create_blueprint(config: Config) -> Blueprint:
    bp = Blueprint("board", __name__, url_prefix=config.web.path.rstrip("/"), template_folder="templates",
                   static_folder="static")
    register_signin(bp)
    register_pages(bp)

    @bp.before_request
    def check_viewer() -> Response | None:
        if len(request.query_string) > MAX_QUERY_BYTES or len(request.path.encode()) > MAX_PATH_BYTES:
            refuse(414, "请求的地址太长。")
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        check = read_session(config, request.cookies.get(SESSION_COOKIE))
        if check.viewer is not None:
            g.viewer = check.viewer
            return None
        if check.problem == "none":
            if request.method in ("GET", "HEAD"):
                return redirect(url_for("board.login", next=request.full_path.rstrip("?")))
            refuse(401, "请从企业微信打开督办看板。", signin=True)
        if check.problem == "expired":
            refuse(401, "登录已过期，请重新登录。", signin=True, clear_cookie=True)
        if check.problem == "stranger":
            refuse(403, "您不在督办通讯录中，无法查看。如需查看，请联系管理员。", clear_cookie=True)
        refuse(400, "登录信息无效，请重新登录。", signin=True, clear_cookie=True)

    @bp.after_request
    def headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint == "board.static":
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @bp.app_template_filter("local")
    def local_time(value) -> str:
        return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    @bp.app_template_filter("md")
    def month_day(value) -> str:
        return f"{value.month}月{value.day}日" if value else "—"

    @bp.app_template_filter("size")
    def file_size(value: int) -> str:
        if value < 1024:
            return f"{value}字节"
        return f"{value / 1024:.0f}KB" if value < 1024 * 1024 else f"{value / 1024 / 1024:.1f}MB"

    @bp.app_template_filter("inert")
    def inert_text(value) -> str:
        """What people wrote, as plain text (the one function every notice, digest and card uses too)."""
        from wecom.shaping import inert

        return inert(value)

    @bp.app_template_filter("pct")
    def percent(value) -> str:
        return "—" if value is None else f"{value * 100:.0f}%"

    @bp.app_context_processor
    def labels() -> dict:
        return {"STATUS": STATUS_LABELS, "ROLE": ROLE_LABELS, "viewer": g.get("viewer")}

    return bp


def register_board(app: Flask, config: Config, services: BoardServices) -> Flask:
    """Mount the board on `app` (the callback's Flask app, or a fresh one)."""
    path = config.web.path.rstrip("/")
    app.extensions["duban_board"] = services
    app.extensions["duban_board_config"] = config
    app.extensions["duban_board_path"] = path
    app.register_blueprint(create_blueprint(config))
    wrap_unit_of_work(app)
    if services.refresh_seconds:
        from store.board_cache import Refresher

        app.extensions["duban_board_refresher"] = Refresher(services.refresh_seconds).start()

    @app.errorhandler(HTTPException)
    def board_errors(exc: HTTPException):
        if request.path == path or request.path.startswith(path + "/"):
            return handle_http_error(exc)
        return exc

    return app


def wrap_unit_of_work(app: Flask) -> None:
    """Open the database per request (the callback does the same inside its handler)."""
    path = app.extensions["duban_board_path"]

    @app.before_request
    def _open() -> None:
        if request.path == path or request.path.startswith(path + "/"):
            g.duban_uow = unit_of_work()
            g.duban_uow.__enter__()

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        uow = g.pop("duban_uow", None)
        if uow is not None:
            uow.__exit__(type(exc) if exc else None, exc, None)


__all__ = ["BoardServices", "create_blueprint", "error_page", "register_board", "wrap_unit_of_work"]
