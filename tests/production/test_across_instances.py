"""Channels and the agent console work through any instance: an agent's reply handled by
one instance reaches a web chat customer connected to another (through Redis), and a
WeChat retry landing on the other instance is answered, not handled a second time."""
import random
import time
import uuid

import pytest
import requests

from gateways.rasa_http import RasaAPI
from tests.conftest import WECHAT_TOKEN
from tests.production.conftest import REDIS_DB, WebChat, new_sender, texts
from tests.test_wechat import message_xml, signature

pytestmark = pytest.mark.production


async def test_an_agents_reply_reaches_a_web_chat_on_the_other_instance(production):
    first, second = production.instance_urls
    async with WebChat(first) as chat:
        await chat.say("你好")
        assert "小邮" in await chat.next_text()
        # What the console does for a reply, here sent to the instance without the socket.
        console = RasaAPI(second, production.setup.settings.api_token)
        reply = "您好，我是人工客服，我来帮您看一下。"
        await console.append(chat.session_id, [
            {"event": "slot", "name": "agent_message", "value": reply, "timestamp": time.time()},
            {"event": "slot", "name": "agent_name", "value": "客服小王", "timestamp": time.time()},
        ])
        await console.run_action(chat.session_id, "action_relay_agent_message")
        assert await chat.next_text() == reply


def test_a_wechat_retry_on_the_other_instance_is_answered_once(production):
    openid = f"oPROD_{uuid.uuid4().hex[:12]}"
    xml = message_xml(openid, "怎么还款", msg_id=random.randrange(10**15, 10**16))

    def deliver(url: str) -> requests.Response:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        params = {"signature": signature(timestamp, nonce, WECHAT_TOKEN), "timestamp": timestamp, "nonce": nonce}
        return requests.post(f"{url}/webhooks/wechat/webhook", params=params, data=xml.encode(), timeout=30)

    first, retry = deliver(production.instance_urls[0]), deliver(production.instance_urls[1])
    assert first.status_code == retry.status_code == 200
    assert "<Content>" in first.text and retry.text == first.text
    assert production.customer_messages(openid) == ["怎么还款"]


def test_the_console_runs_against_the_balancer(production):
    # Through the balancer's loopback-only listener for Rasa's HTTP API (the edge has none).
    assert production.setup.console.env["RASA_URL"] == production.setup.api_url
    assert requests.get(f"{production.setup.console_url}/agent/login", timeout=10).status_code == 200


def test_a_rest_retry_on_the_other_instance_is_answered_from_the_store(production):
    """A client that lost a response sends the message again with the same message_id."""
    sender, message_id = new_sender(), uuid.uuid4().hex
    production.say(sender, "我现在欠多少钱")
    code = production.send_digits(sender)
    first = production.say(sender, code, url=production.instance_urls[0], message_id=message_id)
    retry = production.say(sender, code, url=production.instance_urls[1], message_id=message_id)
    assert first.status_code == retry.status_code == 200
    assert "12,000.00元" in texts(first) and retry.json() == first.json()
    assert production.customer_messages(sender) == ["我现在欠多少钱", "3021 8866", code]


def test_a_wechat_retry_of_a_message_lost_with_its_instance_is_handled(production):
    """The instance that took the first delivery died before storing or answering it: the
    retry finds it claimed in Redis but with no reply, and the conversation without it."""
    openid = f"oPROD_{uuid.uuid4().hex[:12]}"
    msg_id = random.randrange(10**15, 10**16)
    production.redis.client(REDIS_DB).set(f"wechat:msg:{msg_id}", "1", ex=600)  # the dead claim
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    params = {"signature": signature(timestamp, nonce, WECHAT_TOKEN), "timestamp": timestamp, "nonce": nonce}
    retry = requests.post(f"{production.instance_urls[1]}/webhooks/wechat/webhook", params=params,
                          data=message_xml(openid, "怎么还款", msg_id=msg_id).encode(), timeout=30)
    assert retry.status_code == 200
    assert production.customer_messages(openid) == ["怎么还款"]
    bot_texts = [event.get("text") for event in production.events(openid) if event["event"] == "bot"]
    assert bot_texts and all(bot_texts)
