"""The web chat widget in real headless Chromium on a 360 px phone screen: greet, prove
who you are, see your figures, use a quick reply, reload, lose the network and come
back, and meet a person; with a screenshot of each state."""
import re
import time
import uuid

import pytest
import requests
import socketio
from playwright.sync_api import expect

from tests.conftest import AGENT, PASSWORD

pytestmark = pytest.mark.server


def tracker(servers, sender: str) -> dict:
    return requests.get(f"{servers.rasa_url}/conversations/{sender}/tracker", timeout=10).json()


def say(page, text: str) -> None:
    page.get_by_label("输入消息").fill(text)
    page.keyboard.press("Enter")


def agent_session(console_url: str) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', session.get(f"{console_url}/agent/login").text).group(1)
    session.post(f"{console_url}/agent/login", data={"username": AGENT, "password": PASSWORD, "csrf": token})
    return session


def test_a_customer_chats_in_the_widget_on_a_phone(servers, console_url, browser, tmp_path, no_card_plans):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{console_url}/?socket={servers.rasa_url}")
    bot = page.locator(".bankchat-msg.bot")

    say(page, "你好")
    expect(bot.first).to_contain_text("邮储银行智能客服")
    say(page, "我想把信用卡欠款分期")
    expect(bot.last).to_contain_text("身份证号后四位")
    mark = servers.outbox.mark()
    say(page, "3021 8866")
    expect(bot.last).to_contain_text("已发送到尾号8866的手机")  # the code, read from the SMS outbox
    expect(page.locator(".bankchat-log")).not_to_contain_text("12,000.00元")
    say(page, servers.outbox.code_since(mark, "8866"))
    replies = page.locator(".bankchat-replies button")
    expect(replies.first).to_be_visible()
    expect(page.locator(".bankchat-log")).to_contain_text("12,000.00元")
    page.screenshot(path=str(tmp_path / "1-options.png"))
    page.get_by_role("button", name=re.compile("^6期")).click()
    expect(bot.last).to_contain_text("分6期")
    expect(page.get_by_role("button", name=re.compile("^12期"))).to_have_count(0)  # used replies go
    page.get_by_role("button", name="暂不提交").click()
    expect(bot.last).to_contain_text("先不提交")
    page.screenshot(path=str(tmp_path / "2-quick-reply.png"))

    session_id = page.evaluate("JSON.parse(localStorage.getItem('bankchat:session'))")
    shown = page.locator(".bankchat-bubble").count()
    page.reload()
    expect(page.locator(".bankchat-bubble")).to_have_count(shown)  # history back after a reload
    assert page.evaluate("JSON.parse(localStorage.getItem('bankchat:session'))") == session_id
    page.screenshot(path=str(tmp_path / "3-reloaded.png"))

    answered = bot.count()
    say(page, "<img src=x onerror=alert(1)>")
    expect(page.locator(".bankchat-msg.user").last).to_have_text("<img src=x onerror=alert(1)>")
    expect(bot).to_have_count(answered + 1)
    assert page.locator(".bankchat-log img").count() == 0  # shown as text, never as HTML

    context.set_offline(True)
    expect(page.locator(".bankchat-status")).to_contain_text("网络已断开", timeout=30_000)
    say(page, "罚息是多少")
    page.screenshot(path=str(tmp_path / "4-offline.png"))
    context.set_offline(False)
    expect(bot.last).to_contain_text("72.00元", timeout=30_000)
    sent = [e for e in tracker(servers, session_id)["events"] if e["event"] == "user" and e["text"] == "罚息是多少"]
    assert len(sent) == 1  # delivered once when the connection came back

    agent = agent_session(console_url)
    say(page, "转人工")
    expect(bot.last).to_contain_text("转接人工客服")
    ticket = next(t for t in agent.get(f"{console_url}/agent/api/tickets").json()["tickets"] if t["customer"] == "张伟")
    page_html = agent.get(f"{console_url}/agent/tickets/{ticket['id']}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)
    agent.post(f"{console_url}/agent/tickets/{ticket['id']}/reply", data={"text": "张先生您好，我是人工客服。", "csrf": token})
    agent_line = page.locator(".bankchat-msg.agent")
    expect(agent_line).to_contain_text("张先生您好，我是人工客服。")
    expect(agent_line).to_contain_text("人工客服")
    page.screenshot(path=str(tmp_path / "5-agent.png"))
    agent.post(f"{console_url}/agent/tickets/{ticket['id']}/resolve", data={"csrf": token})
    context.close()


def test_forged_socket_events_get_nothing(servers):
    received, confirmed = [], []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: received.append(data))
    client.on("session_confirm", lambda session_id: confirmed.append(session_id))
    client.connect(servers.rasa_url, transports=["polling"])
    try:
        client.emit("user_uttered", {"message": "我欠多少钱", "session_id": "no-such-session-0001"})
        client.emit("user_uttered", "not even a dict")
        asked = f"real{uuid.uuid4().hex}"
        client.emit("session_request", {"session_id": asked})
        client.emit("user_uttered", {"message": "我欠多少钱", "session_id": "someone-elses-session"})
        client.emit("user_uttered", {"message": "   ", "session_id": "someone-elses-session"})
        time.sleep(3)
        assert received == []
        # The control: the same socket, with the session the server issued it, is answered.
        assert confirmed and confirmed[-1] != asked and confirmed[-1].startswith("web-")  # not the one it chose
        own = confirmed[-1]
        client.emit("user_uttered", {"message": "你好", "session_id": own})
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        client.disconnect()
    assert received and "邮储银行智能客服" in received[0]["text"]
