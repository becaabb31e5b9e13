"""Send budgets reserved for a batch at once keep the same limits as one by one, on every backend."""

from store import ratelimit
from store.models import RateSlot

T = 1_700_000_000.0


def test_a_batch_reservation_plans_in_order_and_stamps_the_latest_moment(db_url):
    a, b = ratelimit.user_key("a"), ratelimit.user_key("b")
    got = ratelimit.reserve_many([([a], 2), ([a], 2), ([a], 2), ([b], 2), ([a, b], 2)], T, T + 1)
    assert [r.wait == 0 for r in got] == [True, True, False, True, False]  # a's two slots went to the first two
    assert got[2].taken == [] and got[4].taken == []  # nothing of b was charged for the send that waits
    stamps = {used for (used,) in RateSlot.select(RateSlot.used_ms).tuples()}
    assert stamps == {int((T + 1) * 1000)}  # the latest moment the batch sends
    # a's two slots are busy until a minute after that stamp, whatever the clock says when asked.
    assert ratelimit.reserve([a], 2, T + 60.5).wait > 0
    assert ratelimit.reserve([a], 2, T + 61).wait == 0


def test_a_slot_is_free_only_a_period_before_the_earliest_send(db_url):
    a = ratelimit.user_key("a")
    assert ratelimit.reserve([a], 1, T).wait == 0
    late = ratelimit.reserve_many([([a], 1)], T + 59.5, T + 60.5)[0]
    assert late.wait > 0 and late.taken == []  # a send at T+59.5 would be the second within a minute
    assert ratelimit.reserve_many([([a], 1)], T + 60, T + 61)[0].wait == 0


def test_refunding_a_batch_reservation_gives_the_slot_back(db_url):
    a = ratelimit.user_key("a")
    [first] = ratelimit.reserve_many([([a], 1)], T, T + 1)
    ratelimit.refund(first)
    assert ratelimit.reserve([a], 1, T + 2).wait == 0


def test_first_sends_are_inserted_at_once_and_a_slot_taken_meanwhile_is_handled_alone(db_url):
    a, b = ratelimit.user_key("a"), ratelimit.user_key("b")
    ratelimit.reserve([b], 2, T)  # b's slot 0 is taken: the batch insert of new slots cannot take them all
    got = ratelimit.reserve_many([([a], 2), ([a], 2), ([b], 2)], T + 100, T + 101)
    assert [r.wait for r in got] == [0, 0, 0]
    assert sorted(s for s, in RateSlot.select(RateSlot.slot).where(RateSlot.key == a).tuples()) == [0, 1]
    assert RateSlot.select().where(RateSlot.key == b).count() == 2
    fresh = ratelimit.reserve_many([([ratelimit.user_key(f"u{i}")], 30) for i in range(50)], T, T + 1)
    assert all(r.wait == 0 and len(r.taken) == 1 for r in fresh)
