"""WeChat's replay window (channels/wechat.py, channels/wechat_support.py): a timestamp more than
5 minutes off is refused, and a nonce is remembered for the window, in memory or in the real
Redis at 127.0.0.1:6379 that several instances share."""
import time
import uuid

import pytest

from channels.wechat import fresh_timestamp
from channels.wechat_support import REPLAY_WINDOW_SECONDS, MessageLedger

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("offset, fresh", [(0, True), (-299, True), (299, True), (-301, False), (301, False)])
def test_timestamps_outside_five_minutes_are_refused(offset, fresh):
    now = time.time()
    assert REPLAY_WINDOW_SECONDS == 300
    assert fresh_timestamp(str(int(now + offset)), now=now) is fresh


@pytest.mark.parametrize("timestamp", ["", "abc", None, "1e9"])
def test_timestamps_that_are_not_numbers_are_refused(timestamp):
    assert not fresh_timestamp(timestamp)


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis is not answering at 127.0.0.1:6379")


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_nonce_serves_one_message_only(backend):
    if backend == "redis":
        _redis_or_skip()
    first, second = MessageLedger(REDIS_URL if backend == "redis" else None), None
    nonce = uuid.uuid4().hex
    assert await first.nonce_for(nonce, "msg-1")
    assert await first.nonce_for(nonce, "msg-1")  # WeChat's retry of that message: answered from the ledger
    assert not await first.nonce_for(nonce, "msg-2")  # the nonce on another message: a replay
    if backend == "redis":  # another instance sees the same nonce
        second = MessageLedger(REDIS_URL)
        assert not await second.nonce_for(nonce, "msg-3")
        assert await second.nonce_for(uuid.uuid4().hex, "msg-3")
