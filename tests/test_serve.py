"""`duban serve` as a real process, the scheduler lease, and `duban demo`."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from bot import cli as duban_cli
from jobs.scheduler import LEASE_NAME, LEASE_RENEW_SECONDS, LEASE_TTL_SECONDS, Service
from store.clock import clock
from store.config import load_config
from store.models import Lease
from tests.callback_support import AES_KEY, CORP_ID, TOKEN
from wecom.emulator import WeComEmulator
from wecom.say import SayError, say

ROOT = Path(__file__).resolve().parent.parent


def test_lease_one_active_scheduler_and_takeover(db_url):
    clock.freeze(dt.datetime(2019, 10, 22, 8, 0))  # before remind_at: becoming active runs nothing
    config = load_config(None, environ={})
    first, second = Service(config, holder="host-a:1"), Service(config, holder="host-b:2")
    first.keep_lease()
    second.keep_lease()
    assert first.active.is_set() and not second.active.is_set()
    clock.advance(dt.timedelta(seconds=LEASE_RENEW_SECONDS))
    first.keep_lease()  # renewed in time: still first's
    second.keep_lease()
    assert not second.active.is_set()
    clock.advance(dt.timedelta(seconds=LEASE_TTL_SECONDS + LEASE_RENEW_SECONDS))  # first died and stopped renewing
    second.keep_lease()
    assert second.active.is_set()
    first.keep_lease()
    assert not first.active.is_set()
    second.stop()
    assert Lease.select().where(Lease.name == LEASE_NAME).count() == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, seconds: float):
    """Poll until check() is truthy: waiting for a process to be ready, not timing a result."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


def test_serve_process_sends_answers_and_stops_on_sigterm(tmp_path):
    emulator = WeComEmulator(corp_id=CORP_ID).start()
    port = _free_port()
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": f"sqlite:///{tmp_path / 'duban.db'}",
        "DUBAN_WECOM_CORP_ID": CORP_ID, "DUBAN_WECOM_SECRET": emulator.corp_secret,
        "DUBAN_WECOM_AGENT_ID": str(emulator.agent_id), "DUBAN_WECOM_API_BASE_URL": emulator.base_url,
        "DUBAN_WECOM_TOKEN": TOKEN, "DUBAN_WECOM_ENCODING_AES_KEY": AES_KEY,
        "DUBAN_SERVER_PORT": str(port), "DUBAN_SCHEDULE_DISPATCH_INTERVAL_SECONDS": "1",
    }
    env.pop("DUBAN_CONFIG", None)

    def duban(*args):
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)

    assert duban("init").returncode == 0
    assert duban("unit", "add", "区财政局").returncode == 0
    assert duban("contact", "add", "--unit", "区财政局", "--name", "张三", "--userid", "zhangsan").returncode == 0
    assert duban("notify", "--userid", "zhangsan", "请于周五前报送材料").returncode == 0
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        config = load_config(None, environ=env)
        url = f"http://127.0.0.1:{port}/wecom/callback"

        def answer():
            try:
                return say(url, config, "zhangsan", "帮助")
            except SayError:
                return None

        reply = _wait_for(answer, 30)
        assert reply and "完成" in reply  # the help text lists the commands
        assert say(url, config, "zhangsan", "任务")  # a command that reads the database: a log line of its own
        delivered = _wait_for(lambda: emulator.messages_for("zhangsan"), 30)
        assert delivered and "请于周五前报送材料" in delivered[0]["content"]
        second = duban("serve")  # a second server on the same port: one line, exit 1
        assert second.returncode == 1, second.stderr
        assert "port is already in use" in second.stderr and "Traceback" not in second.stderr
        assert [line for line in second.stderr.splitlines() if line.startswith("Error")] == [
            line for line in second.stderr.splitlines() if "port is already in use" in line]
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
        assert process.returncode == 0, output
        assert "stopped" in output
        # logs people read: what was sent and asked, no scheduler chatter, never the chat text
        assert "sent outbox 1: app to zhangsan, part 1, WeCom msgid" in output
        assert "chat request from zhangsan: command=tasks" in output and "帮助" not in output
        assert "answered from memory in the last" in output  # 「帮助」: one summary line (a minute, or at stop)
        assert "Running job" not in output and "executed successfully" not in output
        assert TOKEN not in output and AES_KEY not in output and emulator.corp_secret not in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        emulator.stop()


def test_demo_runs_a_few_weeks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(duban_cli, ["demo", "--dir", str(tmp_path / "demo"), "--speed", "0",
                                            "--from", "2019-10-21", "--to", "2019-11-08"],
                                env={"DUBAN_CONFIG": None}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Imported plan A" in out and "2019-10-22 周二" in out
    assert "【督办提醒】" in out and "→ 区政府领导群:" in out  # reminders and the Monday digest
    assert "← " in out and "已记录" in out  # simulated liaisons answered through chat
    assert "2019-10-26" not in out  # a Saturday: nothing happens
    assert "Done:" in out


def test_send_times_keep_away_from_the_hour_and_half_hour():
    from jobs.scheduler import away_from_rush

    assert away_from_rush(9, 10) == (9, 10)
    assert away_from_rush(9, 0) == (9, 3)
    assert away_from_rush(8, 58) == (9, 3)
    assert away_from_rush(9, 29) == (9, 33)
    assert away_from_rush(23, 59) == (0, 3)
