"""Sign-in routes: /login → WeCom authorize → /oauth; /link (a digest's signed link); /login/link; /logout."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, redirect, request, url_for

from store.board_data import board_viewer, group_viewer
from store.board_links import board_secret, check_group_link, check_signin
from store.clock import clock
from web.auth import SESSION_COOKIE, STATE_COOKIE, STATE_SECONDS, check_state, make_session, new_state
from web.errors import refuse
from wecom.oauth import OAuthRefused, authorize_url, client_from_config, oauth_settings, userid_for_code

log = logging.getLogger("duban.web")


def config():
    return current_app.extensions["duban_board_config"]


def board_path() -> str:
    return current_app.extensions["duban_board_path"]


def safe_next(value: str | None) -> str:
    """A path inside the board to return to after signing in; anything else becomes the overview."""
    root = board_path()
    if (not value or len(value) > 512 or not value.startswith(root + "/") or value.startswith("//")
            or "\\" in value or any(ord(ch) < 32 for ch in value)):
        return root + "/"
    return value


def external_url(endpoint: str) -> str:
    public = config().web.public_url
    if public:
        return public.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def signed_in(userid: str, next_path: str) -> Response:
    response = redirect(safe_next(next_path))
    secure = config().web.public_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, make_session(config(), userid), max_age=config().web.session_hours * 3600,
                        path=board_path(), httponly=True, samesite="Lax", secure=secure)
    response.delete_cookie(STATE_COOKIE, path=board_path())
    return response


def register_signin(bp: Blueprint) -> None:
    @bp.get("/login")
    def login() -> Response:
        settings = oauth_settings(config())
        if not settings.corp_id:
            refuse(403, "尚未配置企业微信（[wecom] corp_id），无法登录。")
        state, cookie = new_state(config(), safe_next(request.args.get("next")))
        response = redirect(authorize_url(settings, external_url("board.oauth"), state))
        response.set_cookie(STATE_COOKIE, cookie, max_age=STATE_SECONDS, path=board_path(), httponly=True,
                            samesite="Lax", secure=config().web.public_url.startswith("https://"))
        return response

    @bp.get("/oauth")
    def oauth() -> Response:
        next_path = check_state(config(), request.cookies.get(STATE_COOKIE), request.args.get("state", ""))
        if next_path is None:
            refuse(400, "登录请求无效或已过期，请从企业微信重新打开督办看板。", signin=True)
        try:
            userid = userid_for_code(client_from_config(config()), request.args.get("code", ""))
        except OAuthRefused as exc:
            log.warning("board sign-in refused from %s: %s", request.remote_addr, exc.reason)
            refuse(403, "企业微信未能确认您的身份，请从企业微信重新打开督办看板。", signin=True)
        if board_viewer(userid, config().web.admins, clock.today()) is None:
            log.warning("board sign-in by %s refused: not a contact", userid)
            refuse(403, "您不在督办通讯录中，无法查看。如需查看，请联系管理员。")
        log.info("board sign-in: %s", userid)
        return signed_in(userid, next_path)

    @bp.get("/login/link")
    def login_link() -> Response:
        userid = request.args.get("u", "")
        problem = check_signin(board_secret(config().web.secret), userid, request.args.get("e", ""),
                               request.args.get("s", ""), clock.utcnow())
        if problem:
            refuse(403, "登录链接已过期，请重新生成。" if problem == "expired" else "登录链接无效。")
        if board_viewer(userid, config().web.admins, clock.today()) is None:
            refuse(403, "您不在督办通讯录中，无法查看。如需查看，请联系管理员。")
        return signed_in(userid, board_path() + "/")

    @bp.get("/link")
    def link() -> Response | str:
        from web.views import render_overview

        group, problem = check_group_link(board_secret(config().web.secret), request.args.get("g", ""),
                                          request.args.get("e", ""), request.args.get("s", ""), clock.utcnow())
        if group is None:
            message = "这个链接已过期，请打开最新一期周报中的链接，或登录查看。" if problem == "expired" else "链接无效。"
            refuse(403, message, signin=True)
        g.viewer = group_viewer(group)
        return render_overview(read_only=True)

    @bp.get("/logout")
    def logout() -> Response:
        response = redirect(url_for("board.signed_out"))
        response.delete_cookie(SESSION_COOKIE, path=board_path())
        return response

    @bp.get("/signed-out")
    def signed_out() -> Response:
        from web.errors import error_page

        response = error_page(401, "您已退出督办看板。")
        response.status_code = 200
        return response
