"""Cards sent and what their clicks did; what duban asked a contact and waits for (ChatPrompt)."""

from __future__ import annotations

import datetime as dt

from store.db import backend, database
from store.models import CardMessage, ChatPrompt, Contact


def register_card(task_id: str, userid: str, card_type: str, assignment_ids: list[int], now: dt.datetime) -> None:
    """Remember what a card's task_id stands for (written with its outbox row); idempotent."""
    query = CardMessage.insert(task_id=task_id, userid=userid, card_type=card_type,
                               assignment_ids=",".join(map(str, assignment_ids)), created_at=now).on_conflict_ignore()
    database.execute(query) if backend() != "postgresql" else query.execute()


def get_card(task_id: str) -> CardMessage | None:
    return CardMessage.get_or_none(CardMessage.task_id == task_id)


def card_assignments(card: CardMessage) -> list[int]:
    return [int(x) for x in card.assignment_ids.split(",") if x]


def note_click(card: CardMessage, answer: str, now: dt.datetime) -> None:
    CardMessage.update(clicked_at=now, answer=answer).where(CardMessage.id == card.id).execute()


def last_clicked_single_item(userid: str, since: dt.datetime) -> int | None:
    """The item of the one-item card `userid` clicked last since `since`, if any."""
    card = (CardMessage.select().where((CardMessage.userid == userid) & (CardMessage.clicked_at >= since)
                                       & (CardMessage.card_type == "button_interaction"))
            .order_by(CardMessage.clicked_at.desc(), CardMessage.id.desc()).first())
    ids = card_assignments(card) if card else []
    return ids[0] if len(ids) == 1 else None


def set_prompt(userid: str, kind: str, assignment_id: int | None, download_id: int | None, now: dt.datetime,
               minutes: int) -> None:
    """Ask `userid` for something: replaces what was asked before."""
    with database.atomic():
        ChatPrompt.delete().where(ChatPrompt.userid == userid).execute()
        ChatPrompt.create(userid=userid, kind=kind, assignment=assignment_id, download=download_id, created_at=now,
                          expires_at=now + dt.timedelta(minutes=minutes))


def current_prompt(userid: str, now: dt.datetime) -> ChatPrompt | None:
    """What duban waits for from `userid`, unless it expired."""
    return ChatPrompt.select().where((ChatPrompt.userid == userid) & (ChatPrompt.expires_at > now)).first()


def clear_prompt(userid: str, prompt_id: int | None = None) -> bool:
    query = ChatPrompt.delete().where(ChatPrompt.userid == userid)
    if prompt_id is not None:
        query = query.where(ChatPrompt.id == prompt_id)
    return query.execute() > 0


def set_contact_cards(userid: str, value: bool | None, only_if_unset: bool = False) -> int:
    """A contact's card setting (None: unknown, text until they click a card)."""
    query = Contact.update(cards=value).where(Contact.userid == userid)
    if only_if_unset:
        query = query.where(Contact.cards.is_null())
    return query.execute()


def card_settings(userids: list[str]) -> dict[str, bool | None]:
    return {c.userid: c.cards for c in Contact.select(Contact.userid, Contact.cards).where(Contact.userid.in_(userids))}
