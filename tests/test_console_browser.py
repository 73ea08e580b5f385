"""The agent console in real headless Chromium: an agent logs in, sees a customer's
request for a person arrive in the queue without reloading, reads the transcript,
replies, and resolves; the bot then answers the customer again."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.server

from tests.conftest import AGENT, PASSWORD


def test_agent_takes_a_conversation_over_in_the_browser(servers, console_url, browser, tmp_path):
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    agent.goto(f"{console_url}/agent/")
    expect(agent).to_have_url(re.compile(r"/agent/login$"))  # no page without a login
    agent.get_by_label("用户名").fill(AGENT)
    agent.get_by_label("密码").fill(PASSWORD)
    agent.get_by_role("button", name="登录").click()
    expect(agent.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()

    customer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    customer.goto(f"{console_url}/?socket={servers.rasa_url}")
    bot = customer.locator(".bankchat-msg.bot")
    mark = servers.outbox.mark()
    for text, expected in [("我逾期几天了", "身份证号后四位"), ("身份证后四位452X，手机尾号5521", "已发送到尾号5521的手机"),
                           (lambda: servers.outbox.code_since(mark, "5521"), "2,180.00元"),
                           ("转人工，我要找真人", "转接人工客服")]:
        customer.get_by_label("输入消息").fill(text() if callable(text) else text)  # the code from the SMS outbox
        customer.keyboard.press("Enter")
        expect(customer.locator(".bankchat-log")).to_contain_text(expected)

    row = agent.locator("#tickets tr", has_text="李娜")
    expect(row).to_be_visible(timeout=15_000)  # arrived without a reload
    row.get_by_role("link", name="接待").click()
    expect(agent.locator(".transcript")).to_contain_text("转人工，我要找真人")
    expect(agent.locator("#id-value")).to_have_text("**************452X")
    agent.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    agent.get_by_label("回复客户").fill("李女士您好，我是客服，您的情况我已了解。")
    agent.get_by_role("button", name="发送").click()
    expect(agent.locator(".transcript li.agent").last).to_contain_text("我已了解")
    expect(customer.locator(".bankchat-msg.agent")).to_contain_text("我已了解")  # live on the customer's page
    customer.screenshot(path=str(tmp_path / "customer-with-agent.png"))

    agent.get_by_role("button", name="结束人工服务，交回机器人").click()
    expect(agent.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()
    expect(bot.last).to_contain_text("继续为您服务")  # the bot says it is back, live
    customer.get_by_label("输入消息").fill("罚息是多少")
    customer.keyboard.press("Enter")
    expect(bot.last).to_contain_text("13.83元")  # and answers again, still knowing who this is
