"""Shared helpers for the wecom tests: a settable clock and the demo directory."""

from __future__ import annotations

CORP_ID = "ww_test_corp"
SECRET = "test-secret-0123456789"
AGENT_ID = 1000002
WEBHOOK_KEY = "robot-key-0001"
OTHER_WEBHOOK_KEY = "robot-key-0002"
USERS = {
    "zhangsan": {"name": "张三", "mobile": "13800000001"},
    "lisi": {"name": "李四", "mobile": "13800000002"},
    "wangwu": {"name": "王五", "mobile": "13800000003"},
    "zhaoliu": {"name": "赵六", "mobile": "13800000004"},
}


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
