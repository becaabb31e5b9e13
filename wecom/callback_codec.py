"""WeCom callback crypto and parsing: verify, decrypt and read a callback; encrypt and sign a passive reply.

Every way a request can be wrong ends in `CallbackRefused(status, reason)` — never another exception — so
client garbage can never become a 500 (which WeCom would retry). Reasons are safe to log: they never hold
the token, the AES key or message content.

XML safety: the outer envelope is parsed with defusedxml; the decrypted message with xmltodict, as wechatpy
does (entities disabled), and any document declaring a DOCTYPE or an ENTITY is refused before either parser
sees it.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import xmltodict
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner

from store.clock import clock
from store.config import Config, ConfigError

MAX_BODY_BYTES = 64 * 1024
# 40 hex digits (SHA-1); digits; a nonce WeCom makes of letters and digits.
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{40}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_NONCE = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
# WeCom userids: letters, digits and _ - @ . (at most 64).
_USERID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
_MSGID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


class CallbackRefused(Exception):
    """The request is not a valid WeCom callback; `status` is the HTTP answer, `reason` a loggable word."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class IncomingMessage:
    """A verified, decrypted callback message."""

    key: str  # the dedupe key: MsgId, or FromUserName:CreateTime for events
    from_user: str
    to_user: str
    msg_type: str  # text, image, voice, event …
    event: str  # subscribe, enter_agent … ('' unless msg_type is event)
    content: str  # the text of a text message ('' otherwise)
    create_time: int
    agent_id: int
    media: MediaRef | None = None  # an image, file or video message
    click: CardClick | None = None  # a template_card_event


@dataclass(frozen=True)
class MediaRef:
    """The media of an image / file / video message: fetch it with media/get (the id lives 3 days)."""

    kind: str  # image | file | video
    media_id: str
    filename: str  # the file message's FileName, else ''


@dataclass(frozen=True)
class CardClick:
    """A click on a template card (Event template_card_event)."""

    event_key: str
    task_id: str
    card_type: str
    response_code: str
    selected: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (QuestionKey, OptionIds) per question


MEDIA_TYPES = ("image", "file", "video")
_MEDIA_ID = re.compile(r"^[0-9A-Za-z_\-@.=+/]{1,256}$")
_CARD_FIELD_MAX = 1024


def _media(data: Mapping[str, Any], msg_type: str) -> MediaRef:
    media_id = _field(data, "MediaId")
    if not _MEDIA_ID.match(media_id):
        raise CallbackRefused(400, "bad-media-id")
    filename = _field(data, "FileName") or _field(data, "Title")
    return MediaRef(msg_type, media_id, filename[:190])


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _card_click(data: Mapping[str, Any]) -> CardClick:
    fields = {name: _field(data, name) for name in ("EventKey", "TaskId", "CardType", "ResponseCode")}
    if any(len(v.encode("utf-8")) > _CARD_FIELD_MAX for v in fields.values()) or not fields["TaskId"]:
        raise CallbackRefused(400, "bad-card-event")
    selected: list[tuple[str, tuple[str, ...]]] = []
    items = data.get("SelectedItems")
    if items:
        if not isinstance(items, dict):
            raise CallbackRefused(400, "bad-card-event")
        for item in _list(items.get("SelectedItem"))[:20]:
            if not isinstance(item, dict):
                raise CallbackRefused(400, "bad-card-event")
            question = item.get("QuestionKey") or ""
            options = item.get("OptionIds") or {}
            ids = _list(options.get("OptionId")) if isinstance(options, dict) else []
            if not isinstance(question, str) or not all(isinstance(i, str) and len(i) <= 128 for i in ids):
                raise CallbackRefused(400, "bad-card-event")
            selected.append((question, tuple(ids[:20])))
    return CardClick(fields["EventKey"], fields["TaskId"], fields["CardType"], fields["ResponseCode"],
                     tuple(selected))


def has_dtd(data: bytes | str) -> bool:
    """True when the document declares a DOCTYPE or an ENTITY (refused before any parser sees it)."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    return _DTD.search(raw) is not None


def _signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    return signer.signature


def _field(data: Mapping[str, Any], name: str) -> str:
    """A simple text field of a parsed message; anything else (an element with children) is refused."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CallbackRefused(400, f"bad-field-{name}")
    return value


REFUSED_HEADER = "X-Duban-Refused"  # the reason code of a refused callback (e.g. stale-timestamp), never a secret
REPLAY_WINDOW_SECONDS = 600.0  # [server] replay_window_seconds; 0 turns the check off


class CallbackCodec:
    """One app's callback crypto (token, EncodingAESKey, corp id), through wechatpy."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, *,
                 replay_window_seconds: float = REPLAY_WINDOW_SECONDS) -> None:
        if not token or not corp_id or len(encoding_aes_key or "") != 43:
            raise ConfigError("[wecom] token, encoding_aes_key (43 characters) and corp_id are needed to receive "
                              "WeCom callbacks")
        try:
            self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        except Exception:  # noqa: BLE001 - wechatpy asserts; never echo the key
            raise ConfigError("[wecom] encoding_aes_key is not a valid EncodingAESKey") from None
        self._token = token
        self.corp_id = corp_id
        self.replay_window = float(replay_window_seconds)

    @classmethod
    def from_config(cls, config: Config) -> CallbackCodec:
        w = config.wecom
        window = float(config.server.replay_window_seconds)
        return cls(w.token, w.encoding_aes_key, w.corp_id, replay_window_seconds=window)

    def __repr__(self) -> str:  # never show the secrets, even in a debugger or a traceback with locals
        return f"CallbackCodec(corp_id={self.corp_id!r})"

    # --- receiving --------------------------------------------------------------------------------------------

    def _check(self, params: Mapping[str, str], encrypted: str) -> tuple[str, str, str]:
        signature = params.get("msg_signature") or ""
        timestamp = params.get("timestamp") or ""
        nonce = params.get("nonce") or ""
        if not (_SIGNATURE.match(signature) and _TIMESTAMP.match(timestamp) and _NONCE.match(nonce)):
            raise CallbackRefused(400, "bad-query")
        if not encrypted or len(encrypted) > MAX_BODY_BYTES * 2 or not _BASE64.match(encrypted):
            raise CallbackRefused(400, "bad-ciphertext")
        expected = _signature(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, signature.lower()):
            raise CallbackRefused(403, "bad-signature")
        self._check_fresh(int(timestamp))
        return expected, timestamp, nonce

    def _check_fresh(self, timestamp: int) -> None:
        """A validly signed request from outside the replay window is a replay (or a badly wrong clock)."""
        if self.replay_window and abs(clock.wall_now().timestamp() - timestamp) > self.replay_window:
            raise CallbackRefused(403, "stale-timestamp")

    def verify_url(self, params: Mapping[str, str]) -> str:
        """The plain echostr of WeCom's URL check (GET ?msg_signature&timestamp&nonce&echostr)."""
        # base64 has no spaces: a '+' that arrived un-percent-encoded was decoded to one by the query parser
        echostr = (params.get("echostr") or "").replace(" ", "+")
        signature, timestamp, nonce = self._check(params, echostr)
        try:
            plain = self._crypto.check_signature(signature, timestamp, nonce, echostr)
        except InvalidSignatureException:
            raise CallbackRefused(403, "bad-signature") from None
        except InvalidCorpIdException:
            raise CallbackRefused(403, "wrong-corp-id") from None
        except Exception:  # noqa: BLE001 - any decrypt failure of client data is the client's fault
            raise CallbackRefused(400, "undecryptable") from None
        return plain

    def open(self, params: Mapping[str, str], body: bytes) -> IncomingMessage:
        """Verify, decrypt and parse a POSTed callback."""
        if len(body) > MAX_BODY_BYTES:
            raise CallbackRefused(413, "too-large")
        if has_dtd(body):
            raise CallbackRefused(400, "dtd")
        envelope = self._envelope(body)
        encrypted = _element_text(envelope, "Encrypt")
        signature, timestamp, nonce = self._check(params, encrypted)
        try:
            # A dict, so wechatpy does not parse the (untrusted) envelope again.
            plain = self._crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise CallbackRefused(403, "bad-signature") from None
        except InvalidCorpIdException:
            raise CallbackRefused(403, "wrong-corp-id") from None
        except Exception:  # noqa: BLE001
            raise CallbackRefused(400, "undecryptable") from None
        return self._message(plain)

    @staticmethod
    def _envelope(body: bytes) -> Element:
        try:
            root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except (SafeET.ParseError, DefusedXmlException, ValueError):
            raise CallbackRefused(400, "bad-xml") from None
        if root.tag != "xml":
            raise CallbackRefused(400, "bad-xml")
        return root

    def _message(self, plain: str) -> IncomingMessage:
        if has_dtd(plain):
            raise CallbackRefused(400, "dtd")
        try:
            # the same reading wechatpy's parse_message does, keeping the whole dict (card events nest fields)
            data = xmltodict.parse(plain).get("xml") if plain else None
        except Exception:  # noqa: BLE001 - xmltodict raises ExpatError, ValueError, KeyError, TypeError …
            raise CallbackRefused(400, "bad-message-xml") from None
        if not isinstance(data, dict):
            raise CallbackRefused(400, "bad-message-xml")
        to_user, from_user = _field(data, "ToUserName"), _field(data, "FromUserName")
        msg_type, create_time = _field(data, "MsgType").lower(), _field(data, "CreateTime")
        if to_user != self.corp_id:
            raise CallbackRefused(403, "wrong-corp-id")
        if not _USERID.match(from_user):
            raise CallbackRefused(400, "bad-from-user")
        if not msg_type or not _TIMESTAMP.match(create_time):
            raise CallbackRefused(400, "bad-message")
        agent = _field(data, "AgentID") or "0"
        if not agent.isdigit() or len(agent) > 12:
            raise CallbackRefused(400, "bad-agent-id")
        event = _field(data, "Event").lower() if msg_type == "event" else ""
        msg_id = _field(data, "MsgId")
        if msg_type != "event" and msg_id:
            if not _MSGID.match(msg_id):
                raise CallbackRefused(400, "bad-msgid")
            key = msg_id
        else:
            key = f"{from_user}:{create_time}"  # WeCom's rule for events (which carry no MsgId)
        content = _field(data, "Content") if msg_type == "text" else ""
        media = _media(data, msg_type) if msg_type in MEDIA_TYPES else None
        click = _card_click(data) if event == "template_card_event" else None
        return IncomingMessage(key=key, from_user=from_user, to_user=to_user, msg_type=msg_type, event=event,
                               content=content, create_time=int(create_time), agent_id=int(agent),
                               media=media, click=click)

    # --- answering --------------------------------------------------------------------------------------------

    def seal_reply(self, incoming: IncomingMessage, text: str, *, nonce: str | None = None,
                   timestamp: str | None = None) -> str:
        """An encrypted, signed passive text reply to `incoming` (the XML body to answer with)."""
        reply = TextReply(source=incoming.to_user, target=incoming.from_user, agent=incoming.agent_id,
                          content=cdata_safe(text))
        return self.seal(reply.render(), nonce=nonce, timestamp=timestamp)

    def seal_button_update(self, incoming: IncomingMessage, replace_name: str, *, nonce: str | None = None,
                           timestamp: str | None = None) -> str:
        """An encrypted passive reply to a template_card_event that changes the clicked button's text for the
        clicking user (MsgType update_button, document 90241)."""
        created = timestamp or str(int(time.time()))
        plain = ("<xml>"
                 f"<ToUserName><![CDATA[{cdata_safe(incoming.from_user)}]]></ToUserName>"
                 f"<FromUserName><![CDATA[{cdata_safe(self.corp_id)}]]></FromUserName>"
                 f"<CreateTime>{created}</CreateTime>"
                 "<MsgType><![CDATA[update_button]]></MsgType>"
                 f"<Button><ReplaceName><![CDATA[{cdata_safe(replace_name)}]]></ReplaceName></Button>"
                 "</xml>")
        return self.seal(plain, nonce=nonce, timestamp=timestamp)

    def seal(self, plain_xml: str, *, nonce: str | None = None, timestamp: str | None = None) -> str:
        """`plain_xml` encrypted and signed the way WeCom does both ways (the <Encrypt> envelope)."""
        nonce = nonce or secrets.token_hex(8)
        timestamp = timestamp or str(int(time.time()))
        return self._crypto.encrypt_message(plain_xml, nonce, timestamp)

    def open_reply(self, body: bytes | str) -> str:
        """The plain XML of an encrypted passive reply (what WeCom does with our answer); for `duban say`."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if has_dtd(raw):
            raise CallbackRefused(400, "dtd")
        root = self._envelope(raw)
        encrypted = _element_text(root, "Encrypt")
        params = {"msg_signature": _element_text(root, "MsgSignature"),
                  "timestamp": _element_text(root, "TimeStamp"), "nonce": _element_text(root, "Nonce")}
        signature, timestamp, nonce = self._check(params, encrypted)
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
        except InvalidCorpIdException:
            raise CallbackRefused(403, "wrong-corp-id") from None
        except Exception:  # noqa: BLE001
            raise CallbackRefused(400, "undecryptable") from None


def _element_text(root: Element, name: str) -> str:
    child = root.find(name)
    return (child.text or "").strip() if child is not None else ""


def cdata_safe(text: str) -> str:
    """`text` that cannot end wechatpy's CDATA section early ("]]>" is split across two sections)."""
    return text.replace("]]>", "]]]]><![CDATA[>")
