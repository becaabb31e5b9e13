"""State and API logic of the WeCom emulator, without HTTP (the server lives in wecom/emulator.py).

Behaviour follows /work/shared/wecom-notes.md. Where the WeCom docs give no code for a case, the emulator
makes a choice, listed here so nobody mistakes it for a WeCom fact:

- webhook text over 2048 bytes / markdown over 4096 bytes: errcode 40058 (what WeCom was seen answering:
  "markdown.content exceed max length 4096. invalid Request Parameter"); the app channel truncates instead.
- appchat/send to a chat this app did not create: 86003 (WeCom has also been seen answering 86001).
- appchat/create: bad chatid or a chatid already used → 86001; userlist outside 2..2000 → 40035;
  an unknown member → 40003.
- message/send: no recipient → 40035; more than 1000 userids → 40032; an unsupported msgtype → 40008;
  empty content → 44004; a textcard without url → 40058; unknown / expired / foreign media_id → 40007.
- webhook image: bad base64 or md5 mismatch → 40058; over 2 MB → 40009.
- duplicate_check_interval above 14400 is clamped to 14400. Only message/send deduplicates.
- users=None means an open directory: every syntactically valid userid exists (name = userid).
- a truncated body is recorded as delivered: the first N bytes, a split last character shown as U+FFFD.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from wecom.emulator_cards import CardsMixin
from wecom.emulator_oauth import OAUTH_ROUTES, OAuthMixin
from wecom.emulator_rules import (
    APP_MSGTYPES,
    CHATID_RE,
    DUPLICATE_DEFAULT,
    DUPLICATE_MAX,
    MARKDOWN_LIMIT,
    MAX_TOUSER,
    MEDIA_LIFETIME,
    MEDIA_LIMITS,
    MEDIA_MIN_BYTES,
    TEXT_LIMIT,
    TEXTCARD_BTNTXT_CHARS,
    TEXTCARD_DESCRIPTION_LIMIT,
    TEXTCARD_TITLE_LIMIT,
    USER_PER_HOUR,
    USER_PER_MINUTE,
    USERID_RE,
    WEBHOOK_MARKDOWN_LIMIT,
    WEBHOOK_PER_MINUTE,
    WEBHOOK_TEXT_LIMIT,
    ApiError,
    as_int,
    cut,
    error,
    fault_suffix,
    multipart_media,
    normalise_fault,
    ok,
    parse_json,
    webhook_image,
)

__all__ = ["WeComCore", "error"]

Answer = tuple[int, dict[str, Any]]  # HTTP status, JSON body


class WeComCore(CardsMixin, OAuthMixin):
    """All emulator state behind one lock; `handle()` answers one API call."""

    def __init__(
        self,
        corp_id: str = "ww_demo_corp",
        corp_secret: str = "demo-secret",
        agent_id: int = 1000002,
        token_lifetime: int = 7200,
        clock: Callable[[], float] | None = None,
        users: dict[str, dict] | None = None,
        webhook_keys: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = int(agent_id)
        self.token_lifetime = int(token_lifetime)
        self._clock = clock or time.time
        self._clock_offset = 0.0
        self._lock = threading.RLock()
        self._open_directory = users is None
        self._users: dict[str, dict] = {uid: dict(info) for uid, info in (users or {}).items()}
        self._failed_users: dict[str, int] = {}
        self._unlicensed: set[str] = set()
        self._webhooks: set[str] = set(webhook_keys)
        self._tokens: dict[str, float] = {}  # token -> expiry (emulator clock)
        self._current_token: str | None = None
        self._chats: dict[str, dict] = {}
        self._media: dict[str, dict] = {}
        self._faults: dict[str, deque] = {}
        self._init_oauth()
        self._clear_recordings()

    # ----- configuration and inspection (Python API) -----

    def now(self) -> float:
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's own time forward (for processes that cannot inject a clock)."""
        with self._lock:
            self._clock_offset += float(seconds)

    def add_user(self, userid: str, name: str | None = None, mobile: str = "") -> None:
        with self._lock:
            self._users[userid] = {"name": name or userid, "mobile": mobile}

    def add_webhook(self, key: str) -> None:
        with self._lock:
            self._webhooks.add(key)

    def fail_user(self, userid: str, errcode: int = 60111) -> None:
        """Make a recipient permanently invalid: listed in invaliduser, user/get answers `errcode`."""
        with self._lock:
            self._failed_users[userid] = int(errcode)

    def unlicense_user(self, userid: str) -> None:
        """The user exists but has no licence: listed in unlicenseduser, gets nothing."""
        with self._lock:
            self._unlicensed.add(userid)

    def invalidate_tokens(self) -> None:
        """Expire every issued token now (WeCom may do this early)."""
        with self._lock:
            now = self.now()
            for token in self._tokens:
                self._tokens[token] = now
            self._current_token = None

    def script_faults(self, path_suffix: str, faults: list) -> None:
        """Queue faults for requests whose API path ends with `path_suffix`, one per request, in order."""
        with self._lock:
            queue = self._faults.setdefault(fault_suffix(path_suffix), deque())
            for fault in faults:
                queue.append(normalise_fault(fault))

    def pending_faults(self, path_suffix: str) -> int:
        with self._lock:
            return len(self._faults.get(fault_suffix(path_suffix), ()))

    def take_fault(self, api: str) -> Any:
        with self._lock:
            for suffix, queue in self._faults.items():
                if queue and api.endswith(suffix):
                    self.stats["faults"] += 1
                    return queue.popleft()
        return None

    @property
    def delivered(self) -> list[dict]:
        return self._delivered

    @property
    def dropped(self) -> list[dict]:
        return self._dropped

    def messages_for(self, target: str) -> list[dict]:
        """Messages delivered to a userid (or a chatid / webhook key)."""
        with self._lock:
            return [dict(m) for m in self._delivered if m["target"] == target]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"delivered": [dict(m) for m in self._delivered], "stats": dict(self.stats)}

    def reset(self) -> None:
        """Forget recordings, rate windows, the duplicate cache and scripted faults.

        Users, webhooks, chats, media and issued tokens stay, so a running client keeps working.
        """
        with self._lock:
            self._faults.clear()
            self._clear_recordings()

    def _clear_recordings(self) -> None:
        self._delivered: list[dict] = []
        self._dropped: list[dict] = []
        self.stats: Counter = Counter()
        self._user_windows: dict[str, deque] = {}
        self._webhook_windows: dict[str, deque] = {}
        self._duplicates: dict[str, tuple[float, float, dict]] = {}

    # ----- dispatch -----

    def handle(self, method: str, api: str, query: dict[str, str], body: bytes, content_type: str = "") -> Answer:
        """Answer one call to /cgi-bin/<api>."""
        route = _ROUTES.get(api)
        if route is None:
            return 404, error(404, f"api not found: {api}")
        with self._lock:
            self.stats["requests"] += 1
            try:
                if route in _NEEDS_TOKEN:
                    self._check_token(query)
                return 200, getattr(self, route)(query, body, content_type)
            except ApiError as exc:
                return 200, exc.body

    # ----- tokens -----

    def _api_gettoken(self, query: dict, body: bytes, content_type: str) -> dict:
        self.stats["gettoken"] += 1
        if query.get("corpid") != self.corp_id:
            raise ApiError(40013)
        if query.get("corpsecret") != self.corp_secret:
            raise ApiError(40001)
        now = self.now()
        token = self._current_token
        if token is None or self._tokens.get(token, 0) <= now:
            # Within its life WeCom answers gettoken with the same token.
            token = secrets.token_urlsafe(96)
            self._tokens[token] = now + self.token_lifetime
            self._current_token = token
        return ok(access_token=token, expires_in=self.token_lifetime)

    def _check_token(self, query: dict) -> None:
        token = query.get("access_token")
        if not token:
            raise ApiError(41001)
        expiry = self._tokens.get(token)
        if expiry is None:
            raise ApiError(40014)
        if expiry <= self.now():
            raise ApiError(42001)

    # ----- app messages -----

    def _api_message_send(self, query: dict, body: bytes, content_type: str) -> dict:
        request = parse_json(body)
        if as_int(request.get("agentid")) != self.agent_id:
            raise ApiError(40056)
        msgtype = request.get("msgtype")
        if msgtype not in APP_MSGTYPES:
            raise ApiError(40008)
        userids = self._recipients(request)
        dup_key = self._duplicate_key(request)
        if dup_key is not None:  # before the content checks: a resent card would otherwise reuse its task_id
            cached = self._duplicates.get(dup_key)
            if cached is not None and self.now() - cached[0] < cached[1]:
                self.stats["duplicate"] += 1
                return dict(cached[2])
        content, truncated = self._app_content(msgtype, request.get(msgtype), owner=None)
        invalid = [u for u in userids if not self._user_exists(u)]
        unlicensed = [u for u in userids if u not in invalid and u in self._unlicensed]
        valid = [u for u in userids if u not in invalid and u not in unlicensed]
        extra = {"invaliduser": "|".join(invalid), "unlicenseduser": "|".join(unlicensed)}
        if not valid and not unlicensed:
            return {**error(81013), **extra}
        msgid = secrets.token_hex(16)
        now = self.now()
        for userid in valid:
            record = self._record("app", userid, msgtype, content, truncated, request, msgid)
            if self._user_over_limit(userid, now):
                self.stats["dropped"] += 1  # WeCom drops the excess without telling the sender
                self._dropped.append(record)
            else:
                self._deliver(record)
                self._user_windows.setdefault(userid, deque()).append(now)
        if msgtype == "template_card":
            self._register_card(content, valid)
        answer = ok(msgid=msgid, **extra)
        if dup_key is not None:
            interval = min(as_int(request.get("duplicate_check_interval")) or DUPLICATE_DEFAULT, DUPLICATE_MAX)
            self._prune_duplicates(now)
            self._duplicates[dup_key] = (now, float(interval), answer)
        return answer

    def _recipients(self, request: dict) -> list[str]:
        touser = request.get("touser") or ""
        if not isinstance(touser, str):
            raise ApiError(40035)
        if touser == "@all":
            if self._open_directory:
                raise ApiError(40035, "@all needs a user directory in this emulator")
            return list(self._users)
        userids = [u for u in touser.split("|") if u]
        if not userids:
            raise ApiError(40035)
        if len(userids) > MAX_TOUSER:
            raise ApiError(40032)
        return list(dict.fromkeys(userids))

    def _user_exists(self, userid: str) -> bool:
        if userid in self._failed_users:
            return False
        if self._open_directory:
            return bool(USERID_RE.match(userid))
        return userid in self._users

    def _user_over_limit(self, userid: str, now: float) -> bool:
        window = self._user_windows.get(userid)
        if not window:
            return False
        while window and window[0] <= now - 3600:
            window.popleft()
        if len(window) >= USER_PER_HOUR:
            return True
        last_minute = 0
        for sent_at in reversed(window):
            if sent_at <= now - 60:
                break
            last_minute += 1
        return last_minute >= USER_PER_MINUTE

    def _duplicate_key(self, request: dict) -> str | None:
        if not as_int(request.get("enable_duplicate_check")):
            return None
        return json.dumps(request, sort_keys=True, ensure_ascii=False)

    def _prune_duplicates(self, now: float) -> None:
        if len(self._duplicates) < 10000:
            return
        for key in [k for k, (t, interval, _) in self._duplicates.items() if now - t >= interval]:
            del self._duplicates[key]

    def _app_content(self, msgtype: str, payload: Any, owner: str | None) -> tuple[Any, bool]:
        """Validate one message payload; return the content as delivered and whether it was cut."""
        if not isinstance(payload, dict):
            raise ApiError(44004 if msgtype in ("text", "markdown") else 40058)
        if msgtype == "template_card":
            return self._template_card_content(payload), False
        if msgtype in ("text", "markdown"):
            text = payload.get("content")
            if not isinstance(text, str) or not text:
                raise ApiError(44004)
            return cut(text, TEXT_LIMIT if msgtype == "text" else MARKDOWN_LIMIT)
        if msgtype == "textcard":
            title, description = payload.get("title"), payload.get("description")
            if not isinstance(title, str) or not isinstance(description, str) or not description:
                raise ApiError(44004)
            if not payload.get("url"):
                raise ApiError(40058, "textcard.url missing. invalid Request Parameter")
            title, cut_title = cut(title, TEXTCARD_TITLE_LIMIT)
            description, cut_desc = cut(description, TEXTCARD_DESCRIPTION_LIMIT)
            btntxt = str(payload.get("btntxt") or "详情")[:TEXTCARD_BTNTXT_CHARS]
            card = {"title": title, "description": description, "url": payload["url"], "btntxt": btntxt}
            return card, cut_title or cut_desc
        media = self._usable_media(payload.get("media_id"), owner)
        if msgtype == "image" and media["type"] != "image":
            raise ApiError(40007)
        return {"media_id": payload["media_id"], "filename": media["filename"], "size": media["size"]}, False

    def _usable_media(self, media_id: Any, owner: str | None) -> dict:
        media = self._media.get(media_id) if isinstance(media_id, str) else None
        if media is None or media["owner"] != owner or self.now() - media["created"] >= MEDIA_LIFETIME:
            raise ApiError(40007)
        return media

    def _record(self, channel: str, target: str, msgtype: str, content: Any, truncated: bool,
                request: dict, msgid: str | None, **extra: Any) -> dict:
        return {"channel": channel, "target": target, "msgtype": msgtype, "content": content,
                "truncated": truncated, "raw": request, "time": self.now(), "msgid": msgid, **extra}

    def _deliver(self, record: dict) -> None:
        self.stats["delivered"] += 1
        self._delivered.append(record)

    # ----- app group chats -----

    def _api_appchat_create(self, query: dict, body: bytes, content_type: str) -> dict:
        request = parse_json(body)
        userlist = request.get("userlist")
        if not isinstance(userlist, list) or not 2 <= len(set(userlist)) <= 2000:
            raise ApiError(40035, "userlist needs 2 to 2000 members")
        if any(not isinstance(u, str) or not self._user_exists(u) for u in userlist):
            raise ApiError(40003)
        chatid = request.get("chatid") or secrets.token_hex(16)
        if not isinstance(chatid, str) or not CHATID_RE.match(chatid) or chatid in self._chats:
            raise ApiError(86001)
        owner = request.get("owner") or userlist[0]
        self._chats[chatid] = {"chatid": chatid, "name": str(request.get("name") or "")[:50],
                               "owner": owner, "userlist": list(dict.fromkeys(userlist))}
        return ok(chatid=chatid)

    def _api_appchat_get(self, query: dict, body: bytes, content_type: str) -> dict:
        chat = self._chats.get(query.get("chatid", ""))
        if chat is None:
            raise ApiError(86003)
        return ok(chat_info={**chat, "userlist": list(chat["userlist"])})

    def _api_appchat_send(self, query: dict, body: bytes, content_type: str) -> dict:
        request = parse_json(body)
        chatid = request.get("chatid")
        if not isinstance(chatid, str) or chatid not in self._chats:
            raise ApiError(86003)
        msgtype = request.get("msgtype")
        if msgtype not in APP_MSGTYPES:
            raise ApiError(40008)
        content, truncated = self._app_content(msgtype, request.get(msgtype), owner=None)
        self._deliver(self._record("appchat", chatid, msgtype, content, truncated, request, None))
        return ok()

    # ----- group robot webhooks -----

    def _api_webhook_send(self, query: dict, body: bytes, content_type: str) -> dict:
        key = query.get("key", "")
        if key not in self._webhooks:
            raise ApiError(93000)
        request = parse_json(body)
        now = self.now()
        window = self._webhook_windows.setdefault(key, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= WEBHOOK_PER_MINUTE:
            raise ApiError(45009)
        msgtype = request.get("msgtype")
        payload = request.get(msgtype) if isinstance(msgtype, str) else None
        if msgtype not in ("text", "markdown", "image", "file"):
            raise ApiError(40008)
        if not isinstance(payload, dict):
            raise ApiError(40058)
        extra: dict[str, Any] = {}
        if msgtype in ("text", "markdown"):
            content = payload.get("content")
            if not isinstance(content, str) or not content:
                raise ApiError(44004)
            limit = WEBHOOK_TEXT_LIMIT if msgtype == "text" else WEBHOOK_MARKDOWN_LIMIT
            if len(content.encode("utf-8")) > limit:
                raise ApiError(40058, f"{msgtype}.content exceed max length {limit}. invalid Request Parameter")
            if msgtype == "text":
                extra = {"mentioned_list": list(payload.get("mentioned_list") or []),
                         "mentioned_mobile_list": list(payload.get("mentioned_mobile_list") or [])}
        elif msgtype == "image":
            content = webhook_image(payload)
        else:
            media = self._usable_media(payload.get("media_id"), owner=key)
            content = {"media_id": payload["media_id"], "filename": media["filename"], "size": media["size"]}
        window.append(now)
        self._deliver(self._record("webhook", key, msgtype, content, False, request, None, **extra))
        return ok()

    def _api_webhook_upload_media(self, query: dict, body: bytes, content_type: str) -> dict:
        key = query.get("key", "")
        if key not in self._webhooks:
            raise ApiError(93000)
        if query.get("type") not in ("file", "voice"):
            raise ApiError(40005)
        return self._store_media(query["type"], body, content_type, owner=key)

    # ----- media and users -----

    def _api_media_upload(self, query: dict, body: bytes, content_type: str) -> dict:
        if query.get("type") not in MEDIA_LIMITS:
            raise ApiError(40005)
        return self._store_media(query["type"], body, content_type, owner=None)

    def _store_media(self, media_type: str, body: bytes, content_type: str, owner: str | None) -> dict:
        filename, data = multipart_media(body, content_type)
        limit, errcode = MEDIA_LIMITS[media_type]
        if len(data) < MEDIA_MIN_BYTES or len(data) > limit:
            raise ApiError(errcode)
        media_id = secrets.token_urlsafe(48)
        now = self.now()
        self._media[media_id] = {"type": media_type, "size": len(data), "filename": filename,
                                 "created": now, "owner": owner}
        self.stats["media_uploads"] += 1
        return ok(type=media_type, media_id=media_id, created_at=str(int(now)))

    def _api_user_get(self, query: dict, body: bytes, content_type: str) -> dict:
        userid = query.get("userid", "")
        if userid in self._failed_users:
            raise ApiError(self._failed_users[userid])
        if not self._user_exists(userid):
            raise ApiError(60111)
        info = self._users.get(userid, {})
        return ok(userid=userid, name=info.get("name", userid), mobile=info.get("mobile", ""), status=1)


_ROUTES = {
    "gettoken": "_api_gettoken",
    "message/send": "_api_message_send",
    "appchat/create": "_api_appchat_create",
    "appchat/get": "_api_appchat_get",
    "appchat/send": "_api_appchat_send",
    "webhook/send": "_api_webhook_send",
    "webhook/upload_media": "_api_webhook_upload_media",
    "media/upload": "_api_media_upload",
    "user/get": "_api_user_get",
    "media/get": "_api_media_get",
    "message/update_template_card": "_api_message_update_template_card",
    **OAUTH_ROUTES,
}
_NEEDS_TOKEN = frozenset(_ROUTES.values()) - {"_api_gettoken", "_api_webhook_send", "_api_webhook_upload_media"}
