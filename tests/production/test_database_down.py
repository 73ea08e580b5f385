"""PostgreSQL restarted: messages during the outage get a prompt apology asking to send them
again (REST: 503), never a hang or a stack trace; service comes back by itself."""
import asyncio
import time
import uuid

import pytest

from tests.production.conftest import NOT_TAKEN_TEXT, WebChat, new_sender, texts

pytestmark = pytest.mark.production


def test_rest_during_a_database_restart(production, postgres):
    sender = new_sender()
    assert "身份证号后四位" in texts(production.say(sender, "我现在欠多少钱"))
    message_id = uuid.uuid4().hex
    postgres.stop()
    try:
        for url in production.instance_urls:
            started = time.monotonic()
            response = production.say(sender, "3021 8866", url=url, message_id=message_id, timeout=15)
            assert time.monotonic() - started < 10
            assert response.status_code == 503 and response.headers.get("Retry-After")
            assert texts(response) == NOT_TAKEN_TEXT
            assert "Traceback" not in response.text
    finally:
        postgres.start()

    # Each instance serves again at once, the customer's resend included, with the
    # conversation as it was before the outage.
    mark = production.outbox.mark()
    again = production.say(sender, "3021 8866", url=production.instance_urls[0], message_id=message_id)
    assert again.status_code == 200 and "尾号8866的手机" in texts(again)
    code = production.outbox.code_since(mark, "8866")
    assert "12,000.00元" in texts(production.say(sender, code, url=production.instance_urls[1]))
    assert "132.00元" in texts(production.say(sender, "罚息是多少", url=production.instance_urls[1]))
    assert production.customer_messages(sender) == ["我现在欠多少钱", "3021 8866", code, "罚息是多少"]
    logs = production.log("rasa-1") + production.log("rasa-2")
    assert "the conversation database is unreachable" in logs


async def test_web_chat_during_a_database_outage(production, postgres):
    async with WebChat(production.instance_urls[0]) as chat:
        await chat.say("你好")
        assert "小邮" in await chat.next_text()
        await asyncio.to_thread(postgres.stop)
        try:
            await chat.say("我现在欠多少钱")
            assert await chat.next_text(timeout=10) == NOT_TAKEN_TEXT
        finally:
            await asyncio.to_thread(postgres.start)
        await chat.say("我现在欠多少钱")
        assert "身份证号后四位" in await chat.next_text()
    assert production.customer_messages(chat.session_id) == ["你好", "我现在欠多少钱"]
