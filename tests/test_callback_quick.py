"""The callback's quick path (issue 13): 「帮助」 from a known contact answered from memory, commands that only
read run without writing the inbox first, one rate-limit count for both paths; on all three databases, over
real HTTP with wechatpy-encrypted messages."""

from __future__ import annotations

import datetime as dt

import pytest
from callback_support import PATH, make_config, post, reply_of
from test_callback_stall import InboxLock

from chat import replies
from chat.commands import help_text
from commands.chatops import make_chat_handlers
from store.directory import ContactRoles
from store.inbox import get_incoming
from store.models import Contact, Inbox, Unit
from wecom.callback import start_callback
from wecom.say import build_callback_request

ADMIN = make_config()["chat"]["admin_contact"]


@pytest.fixture
def world(db_url):
    unit = Unit.create(name="区财政局", created_at=dt.datetime(2019, 10, 1))
    Contact.create(unit=unit, name="财政联络员", userid="czj", role="liaison", created_at=dt.datetime(2019, 10, 1))
    Contact.create(unit=unit, name="财政局长", userid="boss", role="leader", created_at=dt.datetime(2019, 10, 1))
    return db_url


class Counting:
    """The real full-path handler, counting its calls and whether each message was in the inbox when it ran."""

    def __init__(self, handler) -> None:
        self.handler = handler
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, userid: str, text: str, msgid: str):
        self.calls.append((text, get_incoming(msgid) is not None))
        return self.handler(userid, text, msgid)


@pytest.fixture
def serve(world):
    running = []

    def start(**chat_options):
        config = make_config()
        config["chat"].update(chat_options)
        chat = make_chat_handlers(config)
        full = Counting(chat["handler"])
        server = start_callback(config, full, None, host="127.0.0.1", port=0, quick_handler=chat["quick_handler"])
        running.append(server)
        service = server.app.extensions["duban_callback"]

        def say(userid: str, text: str, msgid: str) -> str:
            return reply_of(post(server.url + PATH, *build_callback_request(config, userid, text, msgid=msgid)))

        return say, full, service

    yield start
    for server in running:
        server.stop()


def test_help_from_a_known_contact_is_answered_without_the_full_path_and_recorded_once(serve):
    say, full, service = serve()
    assert say("czj", "帮助", "9001") == help_text(False, ADMIN)
    assert say("czj", "帮助", "9001") == help_text(False, ADMIN)  # WeCom's retry: the same answer
    assert say("boss", "帮助", "9002") == help_text(True, ADMIN)  # leaders see their commands too
    assert "批准" in help_text(True, ADMIN) and "批准" not in help_text(False, ADMIN)
    assert full.calls == []
    assert service.recorder.flush()
    assert Inbox.select().where(Inbox.key == "9001").count() == 1
    assert get_incoming("9001").reply == help_text(False, ADMIN)
    assert get_incoming("9002").from_user == "boss"


def test_someone_the_directory_does_not_know_takes_the_full_path(serve):
    say, full, _service = serve()
    assert say("nobody", "帮助", "9101") == replies.not_a_contact(ADMIN)
    assert full.calls == [("帮助", True)]


def test_a_removed_contact_is_refused_once_the_directory_is_read_again(serve):
    say, full, service = serve()
    Contact.update(active=False).where(Contact.userid == "czj").execute()
    service.quick_handler.directory.load()  # what the refresher does every 2 s
    assert say("czj", "帮助", "9201") == replies.not_a_contact(ADMIN)
    assert len(full.calls) == 1


def test_a_directory_too_old_to_trust_knows_nobody(world):
    directory = ContactRoles(max_age=60)
    assert directory.role("czj") is None  # never loaded
    directory.load()
    assert directory.role("czj") == "liaison" and directory.role("boss") == "leader"
    directory.max_age = -1  # as if the refresher had stopped long ago
    assert directory.role("czj") is None


def test_commands_that_only_read_run_without_the_inbox_first_and_are_recorded_with_their_reply(serve):
    say, full, service = serve()
    tasks = say("czj", "任务", "9301")
    assert "区财政局" in tasks
    progress = say("czj", "进度 1 已完成初稿", "9302")
    assert full.calls == [("任务", False), ("进度 1 已完成初稿", True)]  # a report is recorded before it runs
    assert say("czj", "进度 1 已完成初稿", "9302") == progress  # WeCom's retry: answered as before, not run again
    assert len(full.calls) == 2
    assert service.recorder.flush()
    assert get_incoming("9301").reply == tasks
    assert get_incoming("9302").reply == progress  # written a moment later, with others
    assert say("czj", "进度 1 已完成初稿", "9302") == progress  # and again later


def test_one_rate_limit_count_for_both_paths(serve):
    say, full, _service = serve(commands_per_minute=3)
    assert say("czj", "帮助", "9401") == help_text(False, ADMIN)
    assert say("czj", "任务", "9402") != replies.rate_limited(3)
    assert say("czj", "帮助", "9403") == help_text(False, ADMIN)
    assert say("czj", "帮助", "9404") == replies.rate_limited(3)  # the fourth this minute, worded by the full path
    assert say("czj", "任务", "9405") == replies.rate_limited(3)
    assert say("boss", "帮助", "9406") == help_text(True, ADMIN)  # someone else is counted apart


def test_help_is_answered_while_the_database_is_stalled_and_recorded_after(serve, world):
    say, full, service = serve()
    lock = InboxLock(world)
    try:
        assert say("czj", "帮助", "9501") == help_text(False, ADMIN)
    finally:
        lock.release()
    assert service.recorder.flush()
    assert get_incoming("9501").reply == help_text(False, ADMIN)
    assert full.calls == []


def test_answers_from_memory_are_logged_as_one_summary_line(world, caplog):
    import logging

    config = make_config()
    chat = make_chat_handlers(config)
    server = start_callback(config, chat["handler"], None, host="127.0.0.1", port=0,
                            quick_handler=chat["quick_handler"])
    with caplog.at_level(logging.INFO, logger="duban.chat"):
        for n, userid in enumerate(["czj", "czj", "boss"]):
            reply_of(post(server.url + PATH, *build_callback_request(config, userid, "帮助", msgid=f"960{n}")))
        assert not [r for r in caplog.records if "czj" in r.getMessage()]  # no line per 「帮助」 at INFO
        server.stop()  # a last summary when the server stops (else one a minute)
    lines = [r.getMessage() for r in caplog.records if "answered from memory" in r.getMessage()]
    assert len(lines) == 1 and "help=3" in lines[0] and "from 2 people" in lines[0]


def test_the_inbox_tells_chat_whether_this_thread_just_recorded_a_message_as_new(world):
    from store.inbox import just_recorded, record_incoming

    when = dt.datetime(2019, 10, 22, 1, 0)
    record_incoming("9701", "czj", "完成 1", when)
    assert just_recorded("9701") and not just_recorded("9702") and not just_recorded(None)
    record_incoming("9701", "czj", "完成 1", when)  # WeCom's retry: seen before, so chat looks for its report
    assert not just_recorded("9701")
