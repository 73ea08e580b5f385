"""The WeChat channel's memory of retries and options (in memory and in Redis), and its
customer-service API client against a fake API."""
import asyncio
import uuid

import pytest

from channels.wechat import WeChatOutput, render_text
from channels.wechat_support import MessageLedger
from gateways.wechat_api import ConfiguredWeChatClient
from tests.fake_wechat_api import FakeWeChatAPI


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.skipif(
    not _redis_available(), reason="Redis not answering"))])
def ledger(request):
    return MessageLedger("redis://127.0.0.1:6379/0" if request.param == "redis" else None)


async def test_a_retry_gets_the_first_reply(ledger):
    key = f"msg-{uuid.uuid4().hex}"
    assert await ledger.claim(key) is True
    assert await ledger.claim(key) is False

    async def reply_later():
        await asyncio.sleep(0.2)
        await ledger.remember_reply(key, "<xml>reply</xml>")

    waiting = asyncio.create_task(ledger.reply_to_retry(key, timeout=3))
    await reply_later()
    assert await waiting == "<xml>reply</xml>"


async def test_numbered_options_map_back_to_payloads(ledger):
    openid = f"o{uuid.uuid4().hex[:8]}"
    await ledger.offer(openid, ["/affirm", "/deny"])
    assert (await ledger.chosen(openid, "1"), await ledger.chosen(openid, " 2 ")) == ("/affirm", "/deny")
    assert await ledger.chosen(openid, "3") is None


def test_bot_messages_become_one_text_with_numbered_options():
    text, payloads = render_text([
        {"text": "请确认："}, {"text": "确认提交吗？", "buttons": [{"title": "确认提交", "payload": "/affirm"},
                                                        {"title": "暂不提交", "payload": "/deny"}]},
    ])
    assert text == "请确认：\n确认提交吗？\n回复 1：确认提交\n回复 2：暂不提交"
    assert payloads == ["/affirm", "/deny"]


async def test_the_token_is_fetched_once_and_api_errors_are_not_raised():
    with FakeWeChatAPI() as api:
        client = ConfiguredWeChatClient("wxapp", "secret", api.base_url)
        output = WeChatOutput(client, MessageLedger())
        await output.send_text("oCustomer", "第一条")
        await output.send_text("oCustomer", "第二条")
        await output.send_text("o45015", "超过48小时")  # logged, not raised
        assert api.texts_to("oCustomer") == ["第一条", "第二条"]
        assert api.token_requests == 1
