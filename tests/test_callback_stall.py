"""The callback answers within its budget whatever the database does (issue 17, finding 2).

Another connection holds a lock on the inbox (PostgreSQL LOCK TABLE, MariaDB LOCK TABLES … WRITE, an SQLite
exclusive transaction), so recording a message stalls. The server's own budget ([server] reply_budget_seconds,
made small here) must still answer: a 503 while the message is not recorded (WeCom retries), and once the
database is back the message is handled once and answered (passively, or later through the outbox).
"""

from __future__ import annotations

import sqlite3

import peewee
import pytest
from callback_support import PATH, Recorder, make_config, post, reply_of

from store import db as store_db
from store.db import backend
from store.models import Inbox
from wecom.callback import start_callback
from wecom.say import build_callback_request

BUDGET = 0.3


class InboxLock:
    """A lock on the inbox table held by another connection until `release()`."""

    def __init__(self, url: str) -> None:
        self.kind = backend()
        if self.kind == "sqlite":
            self.conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN EXCLUSIVE")
            return
        self.db = store_db.open_database(url)
        self.db.connect()
        if isinstance(self.db, peewee.PostgresqlDatabase):
            self.db.execute_sql("BEGIN")
            self.db.execute_sql("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
        else:
            self.db.execute_sql("LOCK TABLES inbox WRITE")

    def release(self) -> None:
        if self.kind == "sqlite":
            self.conn.execute("ROLLBACK")
            self.conn.close()
            return
        if isinstance(self.db, peewee.PostgresqlDatabase):
            self.db.execute_sql("ROLLBACK")
        else:
            self.db.execute_sql("UNLOCK TABLES")
        self.db.close()


@pytest.fixture
def server(db_url):
    config = make_config()
    config["server"]["reply_budget_seconds"] = BUDGET
    recorder = Recorder()
    running = start_callback(config, recorder.handler, recorder.notify, host="127.0.0.1", port=0)
    yield running, recorder
    running.stop()


def test_a_stalled_database_gets_a_quick_503_then_the_message_is_handled_once(db_url, server):
    running, recorder = server
    url = running.url + PATH
    params, body = build_callback_request(make_config(), "zhangsan", "进度 24 完成初稿", msgid="9101")
    lock = InboxLock(db_url)
    try:
        # The lock is held until after the answer came back: a server that waited for the database would
        # never answer here (the request would end on its 10 s client timeout and fail the test).
        stalled = post(url, params, body)
        assert stalled.status_code == 503
        assert recorder.calls == []
    finally:
        lock.release()
    # WeCom's retry, with the database back: joins the message still in flight, handled once.
    retry = post(url, params, body)
    assert retry.status_code in (200, 503)
    running.stop()  # waits for the workers: whatever was in flight has finished
    assert recorder.calls == [("zhangsan", "进度 24 完成初稿", "9101")]
    assert Inbox.select().where(Inbox.key == "9101").count() == 1
    answered_passively = retry.status_code == 200 and retry.content and reply_of(retry)
    answered_later = [s for s in recorder.sent if s[2].startswith("chat-reply:9101")]
    assert answered_passively or answered_later


def test_a_message_recorded_in_time_but_slow_to_handle_is_answered_through_the_outbox(db_url, server):
    running, recorder = server
    url = running.url + PATH
    lock = InboxLock(db_url)
    params, body = build_callback_request(make_config(), "lisi", "完成 24", msgid="9102")
    try:
        assert post(url, params, body).status_code == 503
    finally:
        lock.release()
    running.stop()
    # Nobody waited when it finished: the reply went through the outbox, and the inbox says so.
    assert recorder.calls == [("lisi", "完成 24", "9102")]
    assert [s[:2] for s in recorder.sent] == [("lisi", "收到 lisi：完成 24")]
    assert Inbox.get(Inbox.key == "9102").deferred


def test_a_statement_waiting_on_a_lock_fails_within_the_statement_budget(db_url):
    """[database] statement_timeout: a job's statement gives up instead of hanging behind a stalled lock."""
    impatient = store_db.open_database(db_url, statement_timeout=0.5)
    lock = InboxLock(db_url)
    try:
        impatient.connect()
        with pytest.raises(peewee.OperationalError):
            key = impatient.quote[0] + "key" + impatient.quote[1]
            impatient.execute_sql(f"INSERT INTO inbox ({key}, from_user, received_at, content) "
                                  "VALUES ('k', 'u', '2019-10-22', '')")
    finally:
        lock.release()
        impatient.close()
    params = impatient.connect_params if backend() != "sqlite" else {}
    if backend() == "postgresql":
        assert params["connect_timeout"] == 5 and "statement_timeout=500" in params["options"]
    elif backend() == "mysql":
        assert params["connect_timeout"] == 5 and "max_statement_time=0.5" in params["init_command"]
