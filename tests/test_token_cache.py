"""The WeCom access token is shared between processes through the database."""

import datetime as dt

from jobs.outbox import make_sender
from store.clock import clock
from store.config import load_config
from store.kv import kv_get, kv_set
from store.models import KeyValue
from wecom.emulator import WeComEmulator


def config_for(emulator):
    config = load_config(None, environ={})
    config["wecom"].update(corp_id=emulator.corp_id, secret=emulator.corp_secret, agent_id=emulator.agent_id,
                           api_base_url=emulator.base_url)
    return config


def test_kv_set_get_expire_replace(db_url):
    now = dt.datetime(2019, 10, 22, 1, 0)
    kv_set("a", "1", now, ttl_seconds=60)
    assert kv_get("a", now + dt.timedelta(seconds=59)) == "1"
    assert kv_get("a", now + dt.timedelta(seconds=60)) is None
    kv_set("a", "2", now)
    assert kv_get("a", now + dt.timedelta(days=365)) == "2"
    assert KeyValue.select().count() == 1


def test_two_senders_fetch_one_token(db_url):
    with WeComEmulator() as emulator:
        config = config_for(emulator)
        first, second = make_sender(config), make_sender(config)  # as two processes would
        assert first.send_app(["zhangsan"], "text", "一").ok
        assert second.send_app(["lisi"], "text", "二").ok
        assert emulator.stats["gettoken"] == 1
        assert KeyValue.select().count() == 1
        assert emulator.corp_secret not in KeyValue.get().value


def test_an_expired_shared_token_is_refreshed_once(db_url):
    clock.freeze(dt.datetime(2019, 10, 22, 9, 0))
    with WeComEmulator() as emulator:
        config = config_for(emulator)
        sender = make_sender(config)
        assert sender.send_app(["zhangsan"], "text", "一").ok
        emulator.invalidate_tokens()  # WeCom dropped it early: the cached one is now refused (42001/40014)
        assert make_sender(config).send_app(["zhangsan"], "text", "二").ok
        assert emulator.stats["gettoken"] == 2
        clock.advance(dt.timedelta(hours=3))  # past the cache's expiry: a new token without a refused call
        assert make_sender(config).send_app(["zhangsan"], "text", "三").ok
        assert emulator.stats["gettoken"] == 3
        assert len(emulator.messages_for("zhangsan")) == 3
