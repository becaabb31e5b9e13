"""Can we get an access token? The first thing to know about a WeCom configuration."""

from __future__ import annotations

import requests
from wechatpy.exceptions import WeChatClientException

from wecom.client import make_client
from wecom.errors import SendError, error_for_call

HINTS = {
    "config": "check [wecom] corp_id, secret and agent_id (and the app's trusted IPs)",
    "retry": "WeCom is busy or unreachable; try again",
}


def fetch_token_error(corp_id: str, secret: str, agent_id: int, api_base_url: str, timeout: float) -> SendError | None:
    """None when a token could be fetched; else what went wrong (no secret in the message)."""
    client = make_client(corp_id, secret, agent_id, api_base_url=api_base_url, timeout=timeout)
    try:
        client.fetch_access_token()
    except (WeChatClientException, requests.RequestException) as exc:
        return error_for_call(exc)
    return None
