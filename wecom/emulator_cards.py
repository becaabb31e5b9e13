"""The WeCom emulator's template cards and incoming media (mixed into WeComCore).

- message/send with msgtype template_card: the card is checked with wecom/cards.py's rules (what WeCom
  refuses: 40058 with the field named); a task_id already used by this app is refused (40058 "task_id
  duplicated", the emulator's wording).
- `card_click(userid, task_id, key, selected)`: what WeCom posts to the callback when `userid` clicks button
  `key` (or ticks `selected` and submits) on a card it delivered to them: the fields of a template_card_event.
  A click on a card the user never got, or on a key the card has not, is refused (ValueError): WeCom's client
  cannot produce one.
- `user_media(userid, data, filename, kind)`: a photo / file / video a user sends the app; its MediaId is
  fetched with media/get, which answers the bytes with Content-Disposition and Content-Type, or 40007 once
  the id is unknown or older than 3 days on the emulator's clock. Faults scripted for "media/get" apply
  ("drop"; "truncate" answers half the announced body and closes: a download that fails mid-way).
- message/update_template_card with a response_code: accepted once, within 72 hours of the click (else 40058).
"""

from __future__ import annotations

import mimetypes
import secrets
from typing import Any

from wecom.cards import CardInvalid, button_keys, option_ids, validate_card
from wecom.emulator_rules import MEDIA_LIFETIME, MEDIA_LIMITS, ApiError, ok, parse_json

RESPONSE_CODE_LIFETIME = 72 * 3600
USER_MEDIA_KINDS = ("image", "file", "video")


class CardsMixin:
    """Template cards, clicks and user media; state lives in the core's dicts, under its lock."""

    _lock: Any
    _media: dict[str, dict]
    stats: Any

    def now(self) -> float:  # provided by WeComCore
        raise NotImplementedError

    def _cards_state(self) -> dict[str, dict]:
        if not hasattr(self, "_cards"):
            self._cards: dict[str, dict] = {}
            self._response_codes: dict[str, dict] = {}
        return self._cards

    def _template_card_content(self, payload: Any) -> dict:
        """Validate a template_card payload before delivery (message/send)."""
        try:
            validate_card(payload)
        except CardInvalid as exc:
            raise ApiError(exc.errcode, f"template_card {exc}. invalid Request Parameter") from None
        task_id = payload.get("task_id")
        if task_id and task_id in self._cards_state():
            raise ApiError(40058, "template_card.task_id duplicated. invalid Request Parameter")
        return payload

    def _register_card(self, card: dict, userids: list[str]) -> None:
        task_id = card.get("task_id")
        if task_id:
            self._cards_state()[task_id] = {"card": card, "userids": set(userids), "clicked": {}}

    def cards(self) -> dict[str, dict]:
        """task_id → {"card", "userids"} of every card delivered."""
        with self._lock:
            return {k: {"card": v["card"], "userids": sorted(v["userids"])} for k, v in self._cards_state().items()}

    def card_click(self, userid: str, task_id: str, key: str | None = None,
                   selected: list[str] | None = None) -> dict[str, Any]:
        """The template_card_event fields WeCom sends when `userid` clicks `key` on card `task_id`."""
        with self._lock:
            entry = self._cards_state().get(task_id)
            if entry is None:
                raise ValueError(f"no card with task_id {task_id!r} was delivered")
            if userid not in entry["userids"]:
                raise ValueError(f"card {task_id!r} was not delivered to {userid!r}")
            card = entry["card"]
            keys = button_keys(card)
            key = key if key is not None else (next(iter(keys)) if len(keys) == 1 else None)
            if key not in keys:
                raise ValueError(f"card {task_id!r} has no button {key!r} (it has {', '.join(sorted(keys))})")
            items: list[tuple[str, list[str]]] = []
            if card["card_type"] == "vote_interaction":
                allowed = option_ids(card)
                chosen = list(dict.fromkeys(_option_for(card, choice) for choice in selected or []))
                unknown = [o for o in chosen if o not in allowed]
                if unknown:
                    raise ValueError(f"card {task_id!r} has no option {unknown[0]!r}")
                if card["checkbox"].get("mode", 0) == 0 and len(chosen) > 1:
                    raise ValueError("a single-choice card takes one option")
                items = [(card["checkbox"]["question_key"], chosen)]
            code = secrets.token_urlsafe(32)
            self._response_codes[code] = {"task_id": task_id, "userid": userid, "created": self.now(), "used": False}
            self.stats["card_clicks"] += 1
            return {"EventKey": key, "TaskId": task_id, "CardType": card["card_type"], "ResponseCode": code,
                    "SelectedItems": items}

    def _api_message_update_template_card(self, query: dict, body: bytes, content_type: str) -> dict:
        request = parse_json(body)
        self._cards_state()
        code = request.get("response_code")
        entry = self._response_codes.get(code) if isinstance(code, str) else None
        if entry is None or entry["used"] or self.now() - entry["created"] >= RESPONSE_CODE_LIFETIME:
            raise ApiError(40058, "response_code invalid or used. invalid Request Parameter")
        if "button" in request:
            replace = (request.get("button") or {}).get("replace_name")
            if not isinstance(replace, str) or not replace:
                raise ApiError(40058, "button.replace_name missing. invalid Request Parameter")
        else:
            try:
                validate_card(request.get("template_card"))
            except CardInvalid as exc:
                raise ApiError(exc.errcode, f"template_card {exc}. invalid Request Parameter") from None
        entry["used"] = True
        self.stats["card_updates"] += 1
        return ok(invaliduser=[])

    # ----- media users send -----

    def user_media(self, userid: str, data: bytes, filename: str, kind: str = "file") -> str:
        """A photo / file / video `userid` sends the app: returns the MediaId of the message WeCom posts."""
        if kind not in USER_MEDIA_KINDS:
            raise ValueError(f"WeCom sends no {kind!r} media message")
        limit = MEDIA_LIMITS[kind][0]
        if not data or len(data) > limit:
            raise ValueError(f"a {kind} of {len(data)} bytes cannot be sent through WeCom (1 to {limit} bytes)")
        media_id = secrets.token_urlsafe(48)
        with self._lock:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self._media[media_id] = {"type": kind, "size": len(data), "filename": filename, "created": self.now(),
                                     "owner": f"user:{userid}", "data": bytes(data), "content_type": content_type}
            self.stats["user_media"] += 1
        return media_id

    def _api_media_get(self, query: dict, body: bytes, content_type: str) -> dict:
        media = self._media.get(query.get("media_id", ""))
        if media is None or "data" not in media or self.now() - media["created"] >= MEDIA_LIFETIME:
            raise ApiError(40007)
        self.stats["media_downloads"] += 1
        return {"__raw__": media["data"], "__headers__": {
            "Content-Type": media["content_type"],
            "Content-Disposition": _disposition(media["filename"]),
        }}


def _option_for(card: dict, choice: str) -> str:
    """An option id, or the option whose text starts with "[CHOICE]" (an item number as the card shows it)."""
    options = (card.get("checkbox") or {}).get("option_list") or []
    if any(o["id"] == choice for o in options):
        return choice
    matches = [o["id"] for o in options if str(o.get("text", "")).startswith(f"[{choice}]")]
    return matches[0] if len(matches) == 1 else choice


def _disposition(filename: str) -> str:
    """attachment; filename="…" the way WeCom sends it (the name percent-encoded as UTF-8 when not ASCII)."""
    from urllib.parse import quote

    if filename.isascii():
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"
