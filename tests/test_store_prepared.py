"""Prepared queries give exactly what peewee gives, for new values and new list lengths, on every backend."""

import datetime as dt

import pytest

from store.clock import clock
from store.contacts import add_contact
from store.models import Contact, Inbox, Unit
from store.prepared import Prepared, insert_ignore
from store.units import add_unit

SINCE = dt.datetime(2019, 10, 22, 1, 0)


def test_prepared_rows_match_peewee_for_new_values_and_list_lengths(db_url):
    clock.freeze(dt.datetime(2019, 10, 22, 9, 0))
    for n, name in enumerate(["区财政局", "区审计局", "区政府办公室"]):
        add_unit(name)
        add_contact(name, f"联络员{n}", f"user{n}", role="liaison")
    by_units = Prepared(lambda ids, role: Contact.select(Contact, Unit).join(Unit)
                        .where(Contact.unit.in_(ids) & (Contact.role == role)).order_by(Contact.userid))
    ids = [u.id for u in Unit.select().order_by(Unit.id)]
    for wanted in (ids[:1], ids[:2], ids[1:], ids[:1]):
        expected = list(Contact.select(Contact, Unit).join(Unit)
                        .where(Contact.unit.in_(wanted) & (Contact.role == "liaison")).order_by(Contact.userid))
        got = by_units.rows(wanted, "liaison")
        assert [(c.userid, c.unit.name) for c in got] == [(c.userid, c.unit.name) for c in expected]
    assert by_units.rows(ids, "leader") == []


def test_prepared_scalar_and_dates(db_url):
    for i, user in enumerate(["a", "a", "b"]):
        insert_ignore(Inbox, {"key": f"k{i}", "from_user": user, "received_at": SINCE + dt.timedelta(minutes=i),
                              "content": "帮助", "reply": None})
    import peewee as pw

    count = Prepared(lambda user, since: Inbox.select(pw.fn.COUNT(Inbox.id))
                     .where((Inbox.from_user == user) & (Inbox.received_at > since)))
    assert count.scalar("a", SINCE - dt.timedelta(seconds=1)) == 2
    assert count.scalar("a", SINCE) == 1
    assert count.scalar("b", SINCE) == 1
    assert count.scalar("nobody", SINCE) == 0


def test_prepared_refuses_values_it_cannot_recognise(db_url):
    query = Prepared(lambda flag: Inbox.select().where(Inbox.deferred == flag))
    with pytest.raises(TypeError):
        query.rows(True)


def test_insert_ignore_fills_model_defaults_and_ignores_a_duplicate_key(db_url):
    fields = {"key": "m1", "from_user": "u", "received_at": SINCE, "content": "x", "reply": None}
    first = insert_ignore(Inbox, fields)
    assert first is not None
    assert insert_ignore(Inbox, {**fields, "content": "again"}) is None
    row = Inbox.get(Inbox.key == "m1")
    assert (row.id, row.content, row.deferred) == (first, "x", False)
