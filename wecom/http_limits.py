"""Waitress settings that keep slow or idle clients from starving real requests (issue 17, finding 3).

With waitress' defaults, 150 connections that send their headers a byte at a time filled its 100-connection
limit and real callbacks timed out for as long as the attack lasted: waitress has no deadline for receiving
a request, and a trickle of bytes counts as activity, so `channel_timeout` never fires. Here:

- connections are cheap (waitress handles them in one event loop, threads only run complete requests), so
  the limit is 1000, polled with poll() rather than select() (which stops at descriptor 1024);
- a request must arrive whole — headers and body — within `request_timeout` seconds of its first byte,
  else its connection is closed (WeCom sends a few hundred bytes at once);
- an idle connection is closed after `channel_timeout`; headers are at most 16 KB.

The reverse proxy in front (README, "Deploying") should buffer requests too, so slow clients end there.
"""

from __future__ import annotations

import time
from typing import Any

from waitress.channel import HTTPChannel

CONNECTION_LIMIT = 1000
REQUEST_TIMEOUT = 10.0
CHANNEL_TIMEOUT = 30
CLEANUP_INTERVAL = 2
MAX_HEADER_BYTES = 16 * 1024


def waitress_options(max_body_bytes: int) -> dict[str, Any]:
    """Keyword arguments for waitress' `create_server` / `serve`."""
    return {"connection_limit": CONNECTION_LIMIT, "channel_timeout": CHANNEL_TIMEOUT,
            "cleanup_interval": CLEANUP_INTERVAL, "max_request_header_size": MAX_HEADER_BYTES,
            "max_request_body_size": max_body_bytes, "asyncore_use_poll": True, "backlog": 1024}


class DeadlineChannel(HTTPChannel):
    """A waitress channel that remembers when its current request began arriving."""

    request_started: float | None = None

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.monotonic()
        return super().received(data)


def apply_request_deadline(server: Any, request_timeout: float = REQUEST_TIMEOUT) -> Any:
    """Make a waitress server close connections whose request has not fully arrived within `request_timeout`
    seconds (checked every cleanup_interval, with waitress' own idle check). Returns the server."""
    server.channel_class = DeadlineChannel
    idle_check = server.maintenance

    def maintenance(now: float) -> None:
        idle_check(now)
        cutoff = time.monotonic() - request_timeout
        for channel in list(server.active_channels.values()):
            started = getattr(channel, "request_started", None)
            if (not channel.requests and channel.request is not None and not channel.request.completed
                    and started is not None and started < cutoff):
                channel.will_close = True  # waitress closes it on its next turn of the loop

    server.maintenance = maintenance
    return server
