"""Talk to duban's callback as WeCom would: `duban say`, the tests and the benchmark use these.

A message is built exactly as WeCom sends it (inner XML with ToUserName = corp id, FromUserName, CreateTime,
MsgType, Content, MsgId, AgentID), encrypted and signed with the configured token and EncodingAESKey, and
POSTed; the passive reply is decrypted like WeCom would and its text returned.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import requests
from defusedxml import ElementTree as SafeET

from i18n import _
from store.clock import clock
from store.config import Config
from wecom.callback_codec import CallbackCodec, CallbackRefused, cdata_safe

_STATUS_HINTS = {
    403: "its [wecom] token, encoding_aes_key or corp_id differ from yours",
    404: "nothing is served at that path; check [server] path or --url",
    405: "nothing is served at that path; check [server] path or --url",
    503: "it could not handle the message (is its database reachable?)",
}


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
    timestamp = timestamp or str(int(clock.now().timestamp()))
    sealed = SafeET.fromstring(codec.seal(plain_xml, nonce=nonce, timestamp=timestamp))
    encrypt, signature = sealed.findtext("Encrypt"), sealed.findtext("MsgSignature")
    body = (f"<xml><ToUserName><![CDATA[{codec.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[{agent_id}]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, body.encode("utf-8")


def build_callback_request(config: Config, userid: str, text: str, msgid: str | None = None,
                           create_time: int | None = None) -> tuple[dict[str, str], bytes]:
    """(query params, body) of the POST WeCom would send for a text message from `userid`."""
    w = config["wecom"]
    codec = CallbackCodec.from_config(config)
    create_time = create_time if create_time is not None else int(clock.now().timestamp())
    plain = message_xml(w["corp_id"], userid, "text", create_time, int(w["agent_id"]), content=text,
                        msgid=msgid or new_msgid())
    return seal_request(codec, plain, int(w["agent_id"]))


def url_check_params(config: Config, echo: str) -> dict[str, str]:
    """The query WeCom sends to check the callback URL, carrying `echo` encrypted."""
    params, _body = seal_request(CallbackCodec.from_config(config), echo, int(config["wecom"]["agent_id"]))
    sealed_echo = SafeET.fromstring(_body).findtext("Encrypt")
    return {**params, "echostr": sealed_echo}


def reply_text(codec: CallbackCodec, body: bytes | str) -> str:
    """The text of an encrypted passive reply ('' for an empty body)."""
    if not body or not body.strip():
        return ""
    plain = codec.open_reply(body)
    root = SafeET.fromstring(plain.encode("utf-8"))
    if root.findtext("MsgType") != "text":
        raise CallbackRefused(400, "not-a-text-reply")
    return root.findtext("Content") or ""


def default_url(config: Config) -> str:
    s = config["server"]
    host = "127.0.0.1" if s["host"] in ("0.0.0.0", "::", "") else s["host"]
    return f"http://{host}:{s['port']}{s['path']}"


def say(url: str, config: Config, userid: str, text: str, *, timeout: float = 10.0,
        session: requests.Session | None = None) -> str:
    """Send `text` as `userid` to the callback at `url` (its full URL, path included); return the reply text."""
    codec = CallbackCodec.from_config(config)
    params, body = build_callback_request(config, userid, text)
    target = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    http = session or requests
    try:
        response = http.post(target, data=body, headers={"Content-Type": "text/xml"}, timeout=timeout)
    except requests.ConnectionError:
        raise SayError(_('cannot reach the callback at {url}: is `duban serve` (or `duban callback serve`) running?').format(url=url)) from None
    except requests.Timeout:
        raise SayError(_('the callback at {url} did not answer within {timeout:g} s').format(url=url, timeout=timeout)) from None
    if response.status_code != 200:
        raise SayError(f"the callback at {url} answered HTTP {response.status_code}: "
                       + _STATUS_HINTS.get(response.status_code, "see the server's log"))
    try:
        return reply_text(codec, response.content)
    except CallbackRefused as exc:
        raise SayError(_('the callback at {url} answered something that is not a valid reply ({reason})').format(url=url, reason=exc.reason)) from None
