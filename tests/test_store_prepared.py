"""Prepared queries give exactly what peewee gives, for new values and new list lengths, on every backend; rows
inserted many at a time (as arrays on PostgreSQL) come back exactly as written."""

import datetime as dt

import peewee
import pytest

from store.clock import clock
from store.contacts import add_contact
from store.db import database
from store.models import Contact, Inbox, Unit
from store.prepared import Prepared, insert_columns, insert_ignore, insert_ignore_columns, insert_ignore_many
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


def test_prepared_tuples_convert_what_the_database_does_not(db_url):
    """Plain tuples, with dates, datetimes, booleans and MAX(a date) as Python values on every backend."""
    import peewee as pw

    clock.freeze(dt.datetime(2019, 10, 22, 9, 0))
    add_unit("区财政局")
    add_contact("区财政局", "联络员", "czj", role="liaison")
    Contact.update(away_until=dt.date(2019, 11, 3)).execute()
    rows = Prepared(lambda user: Contact.select(Contact.userid, Contact.active, Contact.away_until,
                                                Contact.created_at, Contact.unit, Unit.name)
                    .join(Unit).where(Contact.userid == user).tuples()).tuples("czj")
    assert rows == [("czj", True, dt.date(2019, 11, 3), dt.datetime(2019, 10, 22, 1, 0), Unit.get().id, "区财政局")]
    latest = Prepared(lambda user: Contact.select(pw.fn.MAX(Contact.away_until))
                      .where(Contact.userid == user).tuples()).tuples("czj")
    assert latest == [(dt.date(2019, 11, 3),)]


def test_on_postgresql_a_prepared_query_is_planned_once_per_connection_and_survives_a_rollback(db_url):
    from store.db import backend, database

    if backend() != "postgresql":
        pytest.skip("server-side prepared statements are used on PostgreSQL only")
    add_unit("区财政局")
    by_name = Prepared(lambda name: Unit.select(Unit.name).where(Unit.name == name).tuples())
    assert by_name.tuples("区财政局") == [("区财政局",)]
    prepared = database.execute_sql("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                                    ["%FROM \"unit\"%"]).fetchone()[0]
    assert prepared == 1
    with pytest.raises(pw_errors()):
        with database.atomic():
            assert by_name.tuples("区审计局") == []
            database.execute_sql("SELECT 1/0")
    assert by_name.tuples("区财政局") == [("区财政局",)]  # still prepared after the rollback
    database.close()
    database.connect()  # a new connection prepares it again
    assert by_name.tuples("区财政局") == [("区财政局",)]


def pw_errors():
    import peewee as pw

    return pw.DataError, pw.ProgrammingError, pw.InternalError, pw.OperationalError


# Values an array literal must carry unchanged: separators, quotes, backslashes, braces, the word NULL, blanks.
AWKWARD = ["plain", "comma, {braces}", 'double " quote', "back \\ slash \\\"", "", "NULL", "  padded  ",
           "换行\n中文", "single ' quote"]


def test_insert_ignore_columns_round_trips_every_value_and_skips_existing_keys(db_url):
    insert_ignore(Inbox, {"key": "k0", "from_user": "earlier", "received_at": SINCE})
    keys = [f"k{n}" for n in range(len(AWKWARD))]
    times = [SINCE + dt.timedelta(days=n, seconds=n) for n in range(len(AWKWARD))]
    replies = [None if n % 2 else text for n, text in enumerate(AWKWARD)]
    inserted = insert_ignore_columns(Inbox, {"key": keys, "content": AWKWARD, "reply": replies, "received_at": times},
                                     {"from_user": "u1"})
    assert inserted == len(AWKWARD) - 1  # k0 was there: left as it was
    rows = {r.key: r for r in Inbox.select()}
    assert (rows["k0"].from_user, rows["k0"].content, rows["k0"].received_at) == ("earlier", "", SINCE)
    for n, key in enumerate(keys[1:], start=1):
        row = rows[key]
        assert (row.content, row.reply, row.received_at, row.from_user, row.deferred) == (
            AWKWARD[n], replies[n], times[n], "u1", False)


def test_insert_ignore_many_takes_any_number_of_rows(db_url):
    rows = [{"key": f"m{n}", "from_user": "u", "received_at": SINCE, "deferred": n % 3 == 0} for n in range(1500)]
    assert insert_ignore_many(Inbox, rows[:10]) == 10
    assert insert_ignore_many(Inbox, rows) == 1490  # more values than one VALUES statement holds
    assert Inbox.select().count() == 1500
    assert Inbox.select().where(Inbox.deferred == True).count() == 500  # noqa: E712


def test_insert_columns_fails_on_an_existing_key_and_inserts_nothing(db_url):
    insert_ignore(Inbox, {"key": "k1", "from_user": "u", "received_at": SINCE})
    with database.atomic():
        with pytest.raises(peewee.IntegrityError):
            with database.atomic():  # a savepoint: PostgreSQL's transaction goes on after the failure
                insert_columns(Inbox, {"key": ["k0", "k1", "k2"]}, {"from_user": "u", "received_at": SINCE})
        assert insert_columns(Inbox, {"key": ["k3"]}, {"from_user": "u", "received_at": SINCE}) == 1
    assert sorted(r.key for r in Inbox.select()) == ["k1", "k3"]
