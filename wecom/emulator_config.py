"""A duban.toml that points at the local WeCom emulator, for trying duban before a WeCom app exists."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

DEMO_CORP_ID = "ww_demo_corp"
DEMO_SECRET = "demo-secret"
DEMO_AGENT_ID = 1000002
_ALNUM = string.ascii_letters + string.digits

TEMPLATE = """\
# Written by `duban emulator --write-config`: duban talks to the local WeCom emulator, not to WeCom.
# For the real thing, copy config.example.toml and fill [wecom] from the WeCom admin console.

[database]
url = "sqlite:///duban.db"

[wecom]
corp_id = "{corp_id}"
agent_id = {agent_id}
secret = "{secret}"
# Generated for this file: the callback token and the 43-character EncodingAESKey.
token = "{token}"
encoding_aes_key = "{aes_key}"
api_base_url = "http://127.0.0.1:{port}/cgi-bin/"

[server]
host = "127.0.0.1"
port = {server_port}
"""


def emulator_config_text(port: int, server_port: int = 8080) -> str:
    token = "".join(secrets.choice(_ALNUM) for _ in range(32))
    aes_key = "".join(secrets.choice(_ALNUM) for _ in range(43))
    return TEMPLATE.format(corp_id=DEMO_CORP_ID, agent_id=DEMO_AGENT_ID, secret=DEMO_SECRET, token=token,
                           aes_key=aes_key, port=port, server_port=server_port)


def write_emulator_config(path: str | Path, port: int) -> bool:
    """Write the file (owner-only: it holds secrets) unless it exists; True when written."""
    path = Path(path)
    if path.exists():
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(emulator_config_text(port))
    return True
