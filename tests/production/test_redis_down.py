"""Redis down: the lock store cannot be reached, so a message is not handled; the customer
gets a prompt apology and the log a clear line, never a hang. Service resumes with Redis."""
import asyncio
import time
import uuid

import pytest

from channels.socketio_fanout import FANOUT_CHANNEL
from gateways.rasa_http import RasaAPI
from tests.production.conftest import NOT_TAKEN_TEXT, WebChat, conversation_of, new_sender, texts

pytestmark = pytest.mark.production


def test_rest_with_redis_down(production):
    sender = new_sender()
    assert "身份证号后四位" in texts(production.say(sender, "我现在欠多少钱"))
    message_id = uuid.uuid4().hex
    production.redis.stop()
    try:
        for url in production.instance_urls:
            started = time.monotonic()
            response = production.say(sender, "3021 8866", url=url, message_id=message_id, timeout=15)
            assert time.monotonic() - started < 5
            assert response.status_code == 503 and texts(response) == NOT_TAKEN_TEXT
    finally:
        production.redis.start()
    logs = production.log("rasa-1") + production.log("rasa-2")
    assert f"conversation {conversation_of(sender)}: message not processed, the Redis lock store is unreachable" in logs

    mark = production.outbox.mark()
    again = production.say(sender, "3021 8866", message_id=message_id)
    assert again.status_code == 200 and "尾号8866的手机" in texts(again)
    code = production.outbox.code_since(mark, "8866")
    assert "12,000.00元" in texts(production.say(sender, code))
    assert production.customer_messages(sender) == ["我现在欠多少钱", "3021 8866", code]


async def test_web_chat_with_redis_down_and_back(production):
    """The socket may even be the instance's first: web chat messages between instances go
    through Redis too, and resume with it."""
    first, second = production.instance_urls
    await asyncio.to_thread(production.redis.stop)
    try:
        # A socket on each instance: both listen on Redis for the other's messages from now on.
        async with WebChat(second) as chat, WebChat(first):
            started = time.monotonic()
            await chat.say("我现在欠多少钱")
            assert await chat.next_text(timeout=10) == NOT_TAKEN_TEXT
            assert time.monotonic() - started < 5
            await asyncio.to_thread(production.redis.start)
            await chat.say("我现在欠多少钱")
            assert "身份证号后四位" in await chat.next_text()
            await wait_for_subscribers(production, 2)
            console = RasaAPI(first, production.setup.settings.api_token)
            await console.append(chat.session_id, [
                {"event": "slot", "name": "agent_message", "value": "我是人工客服。", "timestamp": time.time()}])
            await console.run_action(chat.session_id, "action_relay_agent_message")
            assert await chat.next_text() == "我是人工客服。"
    finally:
        if not production.redis.running:
            await asyncio.to_thread(production.redis.start)
    assert production.customer_messages(chat.session_id) == ["我现在欠多少钱"]


async def wait_for_subscribers(production, instances: int, timeout: float = 30) -> None:
    """Until every instance listens on Redis again for the others' web chat messages."""
    redis = production.redis.client()
    deadline = time.monotonic() + timeout
    while dict(redis.pubsub_numsub(FANOUT_CHANNEL)).get(FANOUT_CHANNEL.encode(), 0) < instances:
        assert time.monotonic() < deadline, "the instances did not subscribe to Redis again"
        await asyncio.sleep(0.5)
