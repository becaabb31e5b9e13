"""`duban wecom check`: can duban get a token, and does WeCom know every contact's userid?"""

from __future__ import annotations

from dataclasses import dataclass, field

from store.config import Config
from wecom.errors import SendError

# What to do about an errcode, in plain words (wecom-notes.md, "Error codes to branch on").
TOKEN_HINTS = {
    40001: "the secret is wrong: check [wecom] secret (the app's Secret in the WeCom admin console)",
    40091: "the secret is wrong: check [wecom] secret (the app's Secret in the WeCom admin console)",
    40013: "the corp id is wrong: check [wecom] corp_id (我的企业 → 企业ID)",
    60020: "this server's IP address is not in the app's trusted IPs (企业可信IP)",
}
USER_HINTS = {
    "recipient": "WeCom does not know this userid: correct it with `duban contact remove` / `duban contact add`",
    "config": "outside the app's visible range (可见范围), or the app may not read the directory",
    "retry": "could not be checked now (WeCom busy or unreachable): run the check again",
}


@dataclass
class UserProblem:
    userid: str
    name: str
    unit: str
    reason: str

    def as_dict(self) -> dict:
        return {"userid": self.userid, "name": self.name, "unit": self.unit, "reason": self.reason}


@dataclass
class WeComCheck:
    token_ok: bool = False
    errors: list[str] = field(default_factory=list)  # configuration errors, plain English
    checked: int = 0
    users: list[UserProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.token_ok and not self.errors and not self.users

    def as_dict(self) -> dict:
        return {"ok": self.ok, "token_ok": self.token_ok, "errors": list(self.errors), "checked": self.checked,
                "problems": [u.as_dict() for u in self.users]}


def token_problem(error: SendError, api_base_url: str) -> str:
    if error.errcode in TOKEN_HINTS:
        hint = TOKEN_HINTS[error.errcode]
    elif error.kind == "retry":
        hint = f"WeCom could not be reached at {api_base_url}: check [wecom] api_base_url and the network"
    else:
        hint = "see the WeCom error code in the message"
    return f"Cannot get a WeCom access token ({error.message}): {hint}."


def check_wecom(config: Config) -> WeComCheck:
    """Fetch a token, then look up every contact's userid with user/get. Never prints or returns the secret."""
    from jobs.outbox import make_sender
    from store.config import ConfigError
    from store.contacts import list_contacts
    from wecom.directory import lookup_user
    from wecom.token_check import fetch_token_error

    result = WeComCheck()
    w = config.wecom
    try:
        sender = make_sender(config)
    except ConfigError as exc:
        result.errors.append(str(exc))
        return result
    error = fetch_token_error(w.corp_id, w.secret, int(w.agent_id), w.api_base_url, float(w.timeout))
    if error is not None:
        result.errors.append(token_problem(error, w.api_base_url))
        return result
    result.token_ok = True
    for contact in list_contacts():
        result.checked += 1
        problem = lookup_user(sender.client, contact["userid"])
        if problem is None:
            continue
        hint = USER_HINTS.get(problem.kind, "see the WeCom error code")
        result.users.append(UserProblem(contact["userid"], contact["name"], contact["unit"],
                                        f"{hint} ({problem.message})"))
    return result
