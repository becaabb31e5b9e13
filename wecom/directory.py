"""Does WeCom know these userids? (`user/get`, used by `duban wecom check`.)"""

from __future__ import annotations

from collections.abc import Iterable

import requests
from wechatpy.exceptions import WeChatClientException

from wecom.client import DubanWeChatClient
from wecom.errors import SendError, error_for_call


def lookup_user(client: DubanWeChatClient, userid: str) -> SendError | None:
    """None when WeCom knows `userid`; else why not (kind 'recipient' for an unknown userid)."""
    try:
        client.user.get(userid)
    except (WeChatClientException, requests.RequestException) as exc:
        return error_for_call(exc)
    return None


def lookup_users(client: DubanWeChatClient, userids: Iterable[str]) -> dict[str, SendError]:
    """The userids WeCom could not confirm, with the reason; an empty dict when all are known."""
    problems = {}
    for userid in userids:
        error = lookup_user(client, userid)
        if error is not None:
            problems[userid] = error
    return problems
