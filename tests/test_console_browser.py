"""The agent console in real headless Chromium: an agent logs in, sees a customer's
request for a person arrive in the queue without reloading, reads the transcript,
replies, and resolves; the bot then answers the customer again."""
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.server

from tests.conftest import AGENT, PASSWORD


def test_agent_takes_a_conversation_over_in_the_browser(servers, console_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{console_url}/agent/")
    expect(page).to_have_url(re.compile(r"/agent/login$"))  # no page without a login
    page.get_by_label("用户名").fill(AGENT)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()

    customer = f"browser-{uuid.uuid4().hex[:8]}"
    servers.say(customer, "我逾期几天了")
    servers.say(customer, "身份证后四位452X，手机尾号5521")
    assert "已为您转接人工客服" in servers.texts(customer, "转人工，我要找真人")

    row = page.locator("#tickets tr", has_text="李娜")
    expect(row).to_be_visible(timeout=15_000)  # arrived without a reload
    row.get_by_role("link", name="接待").click()
    expect(page.locator(".transcript")).to_contain_text("转人工，我要找真人")
    expect(page.locator("#id-value")).to_have_text("**************452X")
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    page.get_by_label("回复客户").fill("李女士您好，我是客服，您的情况我已了解。")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".transcript li.agent").last).to_contain_text("我已了解")
    tracker = requests.get(f"{servers.rasa_url}/conversations/{customer}/tracker", timeout=10).json()
    assert tracker["events"][-1]["text"] == "李女士您好，我是客服，您的情况我已了解。"

    page.get_by_role("button", name="结束人工服务，交回机器人").click()
    expect(page.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()
    assert "13.83元" in servers.texts(customer, "罚息是多少")  # the bot answers again, still verified
