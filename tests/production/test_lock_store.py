"""Two messages of one conversation sent at once to different instances are handled one
after the other, in the order they came, through the Redis lock store; and the lock store
itself: a conversation never stuck behind a crashed instance."""
import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.core.lock_store import LockError

from persistence.lock_store import DurableRedisLockStore

from tests.production.conftest import LOCK_PREFIX, REDIS_DB, conversation_of, new_sender, texts

pytestmark = pytest.mark.production


def test_two_instances_take_turns_on_one_conversation(production):
    sender = new_sender()
    first, second = production.instance_urls
    # The lock store, as the instances use it, holds the conversation a moment so that both
    # messages surely arrive while it is busy.
    locks = DurableRedisLockStore(port=production.redis.port, db=REDIS_DB, key_prefix=LOCK_PREFIX)
    ticket = locks.issue_ticket(conversation_of(sender), 30)
    with ThreadPoolExecutor(2) as pool:
        asked = pool.submit(production.say, sender, "我现在欠多少钱", first)
        time.sleep(0.5)
        identified = pool.submit(production.say, sender, "身份证后四位3021，手机尾号8866", second)
        time.sleep(2)
        assert not asked.done() and not identified.done(), "the instances did not wait for the lock"
        locks.cleanup(conversation_of(sender), ticket)
        asked, identified = asked.result(), identified.result()

    assert asked.status_code == identified.status_code == 200
    assert "身份证号后四位" in texts(asked)
    # Handled after the first turn, on the state it left: the identity check was pending.
    assert "尾号8866的手机" in texts(identified)  # the digits matched: the code is on its way
    assert production.customer_messages(sender) == ["我现在欠多少钱", "身份证后四位3021，手机尾号8866"]
    kinds = [event["event"] for event in production.events(sender)]
    second_message = [i for i, kind in enumerate(kinds) if kind == "user"][1]
    assert "bot" in kinds[:second_message], "the first turn's answer is stored before the second message"


def test_pairs_sent_together_to_both_instances_are_stored_once_in_order(production):
    """Without a held lock, six conversations at a time: each second message is sent to the
    other instance as soon as the first one holds the conversation's lock."""
    first, second = production.instance_urls
    redis = production.redis.client(REDIS_DB)

    def conversation(sender: str):
        with ThreadPoolExecutor(1) as pool:
            asked = pool.submit(production.say, sender, "我现在欠多少钱", first)
            while not redis.exists(f"{LOCK_PREFIX}:lock:{conversation_of(sender)}") and not asked.done():
                time.sleep(0.002)
            overlapped = not asked.done()
            identified = production.say(sender, "3021 8866", second)
            return asked.result(), identified, overlapped

    senders = [new_sender() for _ in range(6)]
    with ThreadPoolExecutor(len(senders)) as pool:
        results = list(pool.map(conversation, senders))
    assert sum(overlapped for _, _, overlapped in results) >= 3, "too few pairs were in flight together"
    for sender, (asked, identified, _) in zip(senders, results):
        assert asked.status_code == identified.status_code == 200
        assert "尾号8866的手机" in texts(identified)  # handled after the question: the digits matched
        assert production.customer_messages(sender) == ["我现在欠多少钱", "3021 8866"]


@pytest.fixture
def locks(production):
    return DurableRedisLockStore(port=production.redis.port, db=REDIS_DB, key_prefix=f"t{uuid.uuid4().hex[:8]}")


async def test_a_conversation_is_not_stuck_behind_a_crashed_instance(locks):
    """Rasa's own RedisLockStore waits here forever: the waiting ticket runs out first."""
    locks.issue_ticket("customer", 1.0)  # a crashed instance's ticket, never released

    async def wait_for_the_turn() -> float:
        started = time.monotonic()
        async with locks.lock("customer", lock_lifetime=0.5):
            return time.monotonic() - started

    assert 0.9 < await asyncio.wait_for(wait_for_the_turn(), 5) < 2


async def test_turns_are_taken_in_order_and_a_long_turn_keeps_its_lock(locks):
    turns = []

    async def turn(name: str, arrives_after: float, lasts: float) -> None:
        await asyncio.sleep(arrives_after)
        async with locks.lock("customer", lock_lifetime=0.6):
            turns.append(f"{name} starts")
            await asyncio.sleep(lasts)
            turns.append(f"{name} ends")

    # The first turn outlasts the lifetime: it is alive, so the others still wait for it.
    await asyncio.gather(turn("first", 0, 1.5), turn("second", 0.1, 0.1), turn("third", 0.2, 0.1))
    assert turns == ["first starts", "first ends", "second starts", "second ends", "third starts", "third ends"]


async def test_redis_down_is_a_lock_error_at_once(locks, production):
    await asyncio.to_thread(production.redis.stop)
    try:
        started = time.monotonic()
        with pytest.raises(LockError):
            async with locks.lock("customer"):
                pass
        assert time.monotonic() - started < 3
    finally:
        await asyncio.to_thread(production.redis.start)

