"""Talk to duban's callback as WeCom would: `duban say`, the tests and the benchmark use these.

A message is built exactly as WeCom sends it (inner XML with ToUserName = corp id, FromUserName, CreateTime,
MsgType, Content, MsgId, AgentID), encrypted and signed with the configured token and EncodingAESKey, and
POSTed; the passive reply is decrypted like WeCom would and its text returned.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from defusedxml import ElementTree as SafeET

from i18n import N_, _
from store.clock import clock
from store.config import Config
from wecom.callback_codec import REFUSED_HEADER, CallbackCodec, CallbackRefused, cdata_safe

_STATUS_HINTS = {
    403: N_("its [wecom] token, encoding_aes_key or corp_id differ from yours"),
    404: N_("nothing is served at that path; check [server] path or --url"),
    405: N_("nothing is served at that path; check [server] path or --url"),
    503: N_("it could not handle the message (is its database reachable?)"),
}


def refusal_hint(response: requests.Response) -> str:
    """Why the callback refused: a clock skew (its reason header says stale-timestamp) or the usual suspects."""
    if response.headers.get(REFUSED_HEADER) == "stale-timestamp":
        return _("the message's timestamp is outside its replay window ([server] replay_window_seconds): the "
                 "server's clock and this machine's clock differ; set both right (NTP)")
    return _(_STATUS_HINTS.get(response.status_code, N_("see the server's log")))


class SayError(Exception):
    """The callback could not be reached or did not answer like WeCom expects (a plain, loggable message)."""


def new_msgid() -> str:
    """A MsgId shaped like WeCom's (a 19-digit number)."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def message_xml(corp_id: str, userid: str, msg_type: str, create_time: int, agent_id: int, *,
                content: str | None = None, msgid: str | None = None, event: str | None = None,
                extra: dict[str, str] | None = None) -> str:
    """The plain inner XML of a callback message (text, image, event …)."""
    nodes = [f"<ToUserName><![CDATA[{cdata_safe(corp_id)}]]></ToUserName>",
             f"<FromUserName><![CDATA[{cdata_safe(userid)}]]></FromUserName>",
             f"<CreateTime>{create_time}</CreateTime>",
             f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    if event is not None:
        nodes.append(f"<Event><![CDATA[{event}]]></Event>")
    if content is not None:
        nodes.append(f"<Content><![CDATA[{cdata_safe(content)}]]></Content>")
    for name, value in (extra or {}).items():
        nodes.append(f"<{name}><![CDATA[{cdata_safe(value)}]]></{name}>")
    if msgid is not None:
        nodes.append(f"<MsgId>{msgid}</MsgId>")
    nodes.append(f"<AgentID>{agent_id}</AgentID>")
    return "<xml>" + "".join(nodes) + "</xml>"


def seal_request(codec: CallbackCodec, plain_xml: str, agent_id: int, *, nonce: str | None = None,
                 timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
    """(query params, body) of a callback POST carrying `plain_xml`, encrypted and signed."""
    nonce = nonce or secrets.token_hex(8)
    timestamp = timestamp or str(int(clock.wall_now().timestamp()))
    sealed = SafeET.fromstring(codec.seal(plain_xml, nonce=nonce, timestamp=timestamp))
    encrypt, signature = sealed.findtext("Encrypt"), sealed.findtext("MsgSignature")
    body = (f"<xml><ToUserName><![CDATA[{codec.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[{agent_id}]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, body.encode("utf-8")


def build_callback_request(config: Config, userid: str, text: str, msgid: str | None = None,
                           create_time: int | None = None) -> tuple[dict[str, str], bytes]:
    """(query params, body) of the POST WeCom would send for a text message from `userid`."""
    w = config.wecom
    codec = CallbackCodec.from_config(config)
    create_time = create_time if create_time is not None else int(clock.now().timestamp())
    plain = message_xml(w.corp_id, userid, "text", create_time, int(w.agent_id), content=text,
                        msgid=msgid or new_msgid())
    return seal_request(codec, plain, int(w.agent_id))


BUTTON_REPLY = "[按钮] "  # how a passive button update reads in `duban say`


def card_event_xml(corp_id: str, userid: str, create_time: int, agent_id: int, event: dict) -> str:
    """The plain XML of a template_card_event (document 90376) from the fields the emulator's click gives."""
    extra = {name: str(event.get(name, "")) for name in ("EventKey", "TaskId", "CardType", "ResponseCode")}
    plain = message_xml(corp_id, userid, "event", create_time, agent_id, event="template_card_event", extra=extra)
    selected = event.get("SelectedItems") or []
    if selected:
        items = "".join(
            f"<SelectedItem><QuestionKey><![CDATA[{cdata_safe(q)}]]></QuestionKey><OptionIds>"
            + "".join(f"<OptionId><![CDATA[{cdata_safe(o)}]]></OptionId>" for o in options)
            + "</OptionIds></SelectedItem>" for q, options in selected)
        plain = plain.replace("<AgentID>", f"<SelectedItems>{items}</SelectedItems><AgentID>", 1)
    return plain


def media_message_xml(corp_id: str, userid: str, create_time: int, agent_id: int, kind: str, media_id: str,
                      filename: str, msgid: str) -> str:
    """The plain XML of an image / file / video message (document 90239; FileName for files)."""
    extra = {"MediaId": media_id}
    if kind == "image":
        extra = {"PicUrl": f"https://wework.qpic.cn/wwpic/{media_id[:16]}/0", **extra}
    elif kind == "file":
        extra["FileName"] = filename
    elif kind == "video":
        extra["ThumbMediaId"] = media_id
    return message_xml(corp_id, userid, kind, create_time, agent_id, msgid=msgid, extra=extra)


def build_plain_request(config: Config, plain: str) -> tuple[dict[str, str], bytes]:
    """(query params, body) of a callback POST carrying `plain` (built with the helpers above)."""
    return seal_request(CallbackCodec.from_config(config), plain, int(config.wecom.agent_id))


def url_check_params(config: Config, echo: str) -> dict[str, str]:
    """The query WeCom sends to check the callback URL, carrying `echo` encrypted."""
    params, _body = seal_request(CallbackCodec.from_config(config), echo, int(config.wecom.agent_id))
    sealed_echo = SafeET.fromstring(_body).findtext("Encrypt")
    return {**params, "echostr": sealed_echo}


@dataclass
class UrlCheck:
    """What the callback answered to WeCom's signed URL check: `ok` when it echoed the plain echostr."""

    ok: bool
    status: int | None  # None: the server could not be reached
    ms: float = 0.0
    hint: str = ""  # why it failed, when the server said (see refusal_hint)


def check_callback_url(url: str, config: Config, *, timeout: float = 5.0) -> UrlCheck:
    """Do what WeCom does when the admin saves the callback URL: GET it with a signed, encrypted echostr."""
    echo = secrets.token_hex(8)
    try:
        response = requests.get(url, params=url_check_params(config, echo), timeout=timeout)
    except requests.RequestException:
        return UrlCheck(False, None)
    stale = response.headers.get(REFUSED_HEADER) == "stale-timestamp"
    return UrlCheck(response.status_code == 200 and response.text == echo, response.status_code,
                    response.elapsed.total_seconds() * 1000, refusal_hint(response) if stale else "")


def reply_text(codec: CallbackCodec, body: bytes | str) -> str:
    """The text of an encrypted passive reply ('' for an empty body)."""
    if not body or not body.strip():
        return ""
    plain = codec.open_reply(body)
    root = SafeET.fromstring(plain.encode("utf-8"))
    if root.findtext("MsgType") == "update_button":
        return BUTTON_REPLY + (root.findtext("Button/ReplaceName") or "")
    if root.findtext("MsgType") != "text":
        raise CallbackRefused(400, "not-a-text-reply")
    return root.findtext("Content") or ""


def default_url(config: Config) -> str:
    s = config.server
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
    return f"http://{host}:{s.port}{s.path}"


def say(url: str, config: Config, userid: str, text: str, *, timeout: float = 10.0,
        session: requests.Session | None = None) -> str:
    """Send `text` as `userid` to the callback at `url` (its full URL, path included); return the reply text."""
    params, body = build_callback_request(config, userid, text)
    return post_callback(url, config, params, body, timeout=timeout, session=session)


def post_callback(url: str, config: Config, params: dict[str, str], body: bytes, *, timeout: float = 10.0,
                  session: requests.Session | None = None) -> str:
    """POST a sealed callback to `url`; the passive reply's text ('' for none, "[按钮] …" for a button update)."""
    codec = CallbackCodec.from_config(config)
    target = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    http = session or requests
    try:
        response = http.post(target, data=body, headers={"Content-Type": "text/xml"}, timeout=timeout)
    except requests.ConnectionError:
        raise SayError(_('cannot reach the callback at {url}: is `duban serve` (or `duban callback serve`) running?').format(url=url)) from None
    except requests.Timeout:
        raise SayError(_('the callback at {url} did not answer within {timeout:g} s').format(url=url, timeout=timeout)) from None
    if response.status_code != 200:
        raise SayError(_("the callback at {url} answered HTTP {status}: {hint}").format(
            url=url, status=response.status_code, hint=refusal_hint(response)))
    try:
        return reply_text(codec, response.content)
    except CallbackRefused as exc:
        raise SayError(_('the callback at {url} answered something that is not a valid reply ({reason})').format(url=url, reason=exc.reason)) from None


def _emulator(config: Config, action: str, payload: dict, timeout: float) -> dict:
    """A control call to the emulator serving [wecom] api_base_url (what the user's client would do)."""
    base = config.wecom.api_base_url
    root = base[: base.index("cgi-bin/")] if "cgi-bin/" in base else base
    try:
        answer = requests.post(f"{root}emulator/{action}", json=payload, timeout=timeout)
    except requests.RequestException:
        raise SayError(_('cannot reach the WeCom emulator at {root}: --click and --file need `duban emulator` as [wecom] api_base_url').format(root=root)) from None
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code != 200 or body.get("errcode") != 0:
        raise SayError(_('the emulator refused: {value}').format(value=body.get('errmsg') or answer.status_code))
    return body


def click_card(url: str, config: Config, userid: str, task_id: str, key: str, selected: list[str], *,
               timeout: float = 10.0) -> str:
    """Click button `key` on card `task_id` as `userid` (ticking `selected` first); return the reply."""
    event = _emulator(config, "click", {"userid": userid, "task_id": task_id, "key": key, "selected": selected},
                      timeout)["event"]
    w = config.wecom
    plain = card_event_xml(w.corp_id, userid, int(clock.now().timestamp()), int(w.agent_id), event)
    params, body = build_plain_request(config, plain)
    return post_callback(url, config, params, body, timeout=timeout)


MEDIA_KINDS = {".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".mp4": "video"}


def send_file(url: str, config: Config, userid: str, path: str, *, timeout: float = 10.0) -> str:
    """Send the file at `path` as `userid` would from the WeCom client; return the reply."""
    import base64
    import os

    name = os.path.basename(path)
    kind = MEDIA_KINDS.get(os.path.splitext(name)[1].lower(), "file")
    with open(path, "rb") as handle:
        data = handle.read()
    media_id = _emulator(config, "media", {"userid": userid, "filename": name, "kind": kind,
                                           "data": base64.b64encode(data).decode("ascii")}, timeout)["media_id"]
    w = config.wecom
    plain = media_message_xml(w.corp_id, userid, int(clock.now().timestamp()), int(w.agent_id), kind,
                              media_id, name, new_msgid())
    params, body = build_plain_request(config, plain)
    return post_callback(url, config, params, body, timeout=timeout)
