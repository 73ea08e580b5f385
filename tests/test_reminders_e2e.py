"""Reminders end to end on the real servers: the scheduler command run once as of a China-time
moment sends a WeChat template (to the fake WeChat API on loopback) and puts the reminder in
the conversation, where the customer's 好的我明天还 starts a promise to pay; a web chat
customer finds theirs when they open the chat, and a plain 好的 means the same."""
import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import requests
import socketio

from overdue.clock import now_in_china
from channels.web_sessions import issue_session_id
from launcher import ROOT
from loandb.models import Customer
from loandb.session import session_scope
from tests.conftest import wechat_env
from tests.reminder_helpers import add_customer, reminders_of, remove_customers, web_conversation
from tests.test_wechat import SafeModeClient

pytestmark = pytest.mark.server

TEMPLATE = "TPL_REPAYMENT_REMINDER"


@pytest.fixture
def customers(servers, today):
    """One WeChat-bound and one web chat customer, both a day past their due date."""
    # A web chat session id as the socket channel issues them (signed; the servers share the secret).
    openid, web_session = f"oREM_{uuid.uuid4().hex[:12]}", issue_session_id()
    with session_scope(servers.loans_url) as session:
        on_wechat, _ = add_customer(session, "陈静", today - timedelta(days=1), openid=openid)
        on_web, _ = add_customer(session, "刘洋", today - timedelta(days=1))
        web_conversation(session, on_web, web_session, now_in_china() - timedelta(days=10))
        tails = {c.id: (c.id_last4, c.phone_last4) for c in session.query(Customer).filter(
            Customer.id.in_([on_wechat, on_web]))}
    yield {"openid": openid, "web_session": web_session, "wechat_id": on_wechat, "web_id": on_web, "tails": tails}
    remove_customers(servers.loans_url, [on_wechat, on_web])


def run_scheduler(servers, fake_wechat_api, when: str) -> str:
    env = {**os.environ, "LOAN_DB_URL": servers.loans_url, "RASA_URL": servers.rasa_url,
           **wechat_env(fake_wechat_api.base_url), "WECHAT_REMINDER_TEMPLATE_ID": TEMPLATE}
    done = subprocess.run([sys.executable, "-m", "reminders.scheduler", "--once", "--now", when], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def tracker(servers, conversation_id: str) -> dict:
    response = requests.get(f"{servers.rasa_url}/conversations/{conversation_id}/tracker", timeout=30)
    response.raise_for_status()
    return response.json()


def user_intents(state: dict) -> list:
    return [e["parse_data"]["intent"]["name"] for e in state["events"] if e["event"] == "user"]


def test_a_reminder_over_wechat_and_a_reply_in_its_context(servers, fake_wechat_api, customers, today):
    openid = customers["openid"]
    quiet = run_scheduler(servers, fake_wechat_api, f"{today.isoformat()}T21:30")
    assert "quiet_hours" in quiet and fake_wechat_api.templates_to(openid) == []

    out = run_scheduler(servers, fake_wechat_api, f"{today.isoformat()}T10:00")
    assert "sent" in out and "waiting" in out, out
    [template] = fake_wechat_api.templates_to(openid)
    assert template["template_id"] == TEMPLATE
    assert template["data"]["keyword2"]["value"] == "5,250.00元"
    assert [(r.status, r.reason) for r in reminders_of(servers.loans_url, customers["wechat_id"])] == [
        ("skipped", "quiet_hours"), ("sent", None)]

    state = tracker(servers, openid)
    assert user_intents(state) == ["EXTERNAL_overdue_reminder"]
    said = [e["text"] for e in state["events"] if e["event"] == "bot"]
    assert any("5,250.00元" in text and "宽限期" in text for text in said), said
    assert any("退订" in text for text in said)

    safe = SafeModeClient(servers.rasa_url)
    safe.say(openid, "好的我明天还")
    state = tracker(servers, openid)
    assert user_intents(state)[-1] == "promise_to_pay"
    assert state["slots"]["pending_request"] == "promise_to_pay"
    assert state["active_loop"]["name"] == "identity_form"  # account facts only after the check

    id_last4, phone_last4 = customers["tails"][customers["wechat_id"]]
    mark = servers.outbox.mark()
    safe.say(openid, f"身份证后四位{id_last4}，手机尾号{phone_last4}")
    assert tracker(servers, openid)["slots"]["verified"] is not True  # the digits alone prove nothing
    safe.say(openid, servers.outbox.code_since(mark, phone_last4))
    state = tracker(servers, openid)
    assert state["slots"]["verified"] is True
    # The promise resumes with the date the customer gave in reply to the reminder.
    assert state["active_loop"]["name"] == "promise_form"
    assert state["slots"]["promise_date"] == (today + timedelta(days=1)).isoformat()
    assert state["slots"]["requested_slot"] == "promise_amount"
    safe.say(openid, "算了")  # leaves no request behind


async def _open_web_chat(url: str, session_id: str, reply: str) -> list:
    """Opens the chat as the widget does, reads what appears, answers, reads again."""
    client = socketio.AsyncClient()
    received: list = []
    confirmed = asyncio.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", lambda data: received.append(data.get("text") or ""))
    await client.connect(url, transports=["polling"])  # the websocket client needs a newer aiohttp
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 15)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.1)
        shown = list(received)
        await client.emit("user_uttered", {"message": reply, "session_id": session_id})
        for _ in range(150):
            if len(received) > len(shown):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        return [shown, received[len(shown):]]
    finally:
        await client.disconnect()


def test_a_web_reminder_shows_when_the_chat_opens_and_a_yes_is_a_promise(servers, fake_wechat_api, customers,
                                                                           today):
    run_scheduler(servers, fake_wechat_api, f"{today.isoformat()}T10:00")
    web_session = customers["web_session"]
    [row] = reminders_of(servers.loans_url, customers["web_id"])
    assert row.status == "waiting"

    shown, answer = asyncio.run(_open_web_chat(servers.rasa_url, web_session, "好的"))
    # Not verified in this chat now: a general reminder, no figures.
    assert any("还款提醒" in text for text in shown) and not any("5,250" in text for text in shown), shown
    assert any("身份证号后四位" in text for text in answer), answer
    [row] = reminders_of(servers.loans_url, customers["web_id"])
    assert row.status == "delivered"
    state = tracker(servers, web_session)
    assert user_intents(state) == ["EXTERNAL_overdue_reminder", "affirm"]
    assert state["slots"]["pending_request"] == "promise_to_pay"
