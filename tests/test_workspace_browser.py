"""The agents' workspace in real headless Chromium, as an agent and a supervisor use it: a
customer asks for a person in the web chat, the agent replies and resolves; the agent finds
the ticket in the history by a phrase the customer typed, opens it read-only, downloads
its PDF (the customer's words are in it) and the history as CSV (Chinese intact); the
demo supervisor reviews it and sees the review on the dashboard."""
import random
import re
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from loandb.models import HandoffTicket
from loandb.seed import DEMO_SUPERVISOR, ensure_demo_agent
from loandb.session import session_scope
from tests.conftest import AGENT, PASSWORD

pytestmark = pytest.mark.server


def log_in(page, console_url, username, password):
    page.goto(f"{console_url}/agent/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()


def latest_ticket_id(loans_url):
    with session_scope(loans_url) as session:
        return session.execute(select(func.max(HandoffTicket.id))).scalar() or 0


def test_resolve_find_export_review_and_see_it_on_the_dashboard(servers, console_url, browser, tmp_path):
    with session_scope(servers.loans_url) as session:
        supervisor_password = ensure_demo_agent(session, reset_password=True, username=DEMO_SUPERVISOR,
                                                display_name="值班主管", role="supervisor")
    # Letters, not digits: the console masks long numbers. Unique to this run.
    mark = "".join(random.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(6))
    phrase = f"上个月的罚息算得不对{mark}"
    before = latest_ticket_id(servers.loans_url)

    customer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    customer.goto(f"{console_url}/?socket={servers.rasa_url}")
    for text in (f"你好，{phrase}", "转人工，我要找真人"):
        customer.get_by_label("输入消息").fill(text)
        customer.keyboard.press("Enter")
        expect(customer.locator(".bankchat-log")).to_contain_text(text)
    expect(customer.locator(".bankchat-log")).to_contain_text("人工", timeout=15_000)
    for _ in range(60):
        if latest_ticket_id(servers.loans_url) > before:
            break
        customer.wait_for_timeout(250)
    ticket_id = latest_ticket_id(servers.loans_url)
    assert ticket_id > before, "the handoff made no ticket"

    # The agent answers and resolves.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    agent = agent_context.new_page()
    log_in(agent, console_url, AGENT, PASSWORD)
    agent.goto(f"{console_url}/agent/tickets/{ticket_id}")
    expect(agent.locator(".transcript")).to_contain_text(phrase)
    agent.get_by_label("回复客户").fill("您好，我是客服，这就为您核对上个月的罚息。")
    agent.get_by_role("button", name="发送").click()
    expect(agent.locator(".transcript li.agent").last).to_contain_text("核对上个月的罚息")
    agent.get_by_role("button", name="结束人工服务，交回机器人").click()
    expect(agent.get_by_role("heading", name=re.compile("待处理会话"))).to_be_visible()

    # Found in the history by the customer's words, opened read-only.
    agent.get_by_role("link", name="历史记录").click()
    agent.get_by_label(re.compile("搜索对话内容")).fill(phrase)
    agent.get_by_role("button", name="筛选").click()
    rows = agent.locator("#history tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("未核实身份")
    expect(rows.first).to_contain_text(phrase)  # the snippet: where it was said
    with agent.expect_download() as csv_download:
        agent.get_by_role("link", name="导出 CSV").click()
    table = open(csv_download.value.path(), "rb").read()
    assert table.startswith(b"\xef\xbb\xbf")
    text = table.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("工单号,转人工时间,结束时间,原因,渠道,状态") and phrase in text
    assert f"{ticket_id},".encode() in table and "浏览器坐席" in text and "网页" in text

    rows.first.get_by_role("link", name=f"#{ticket_id}").click()
    expect(agent.locator("#read-only")).to_be_visible()
    expect(agent.locator(".transcript")).to_contain_text(phrase)
    expect(agent.locator(".transcript")).to_contain_text("核对上个月的罚息")
    expect(agent.get_by_label("回复客户")).to_have_count(0)
    expect(agent.get_by_role("button", name="结束人工服务，交回机器人")).to_have_count(0)
    with agent.expect_download() as pdf_download:
        agent.get_by_role("link", name="导出对话记录 PDF").click()
    words = subprocess.run(["pdftotext", pdf_download.value.path(), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert phrase in words and f"#{ticket_id}" in words and "浏览器坐席" in words and "网页" in words
    expect(agent.locator("#review")).to_contain_text("尚未评审")
    expect(agent.locator("form.review-form")).to_have_count(0)  # an agent does not review
    agent.screenshot(path=str(tmp_path / "read-only-ticket.png"), full_page=True)

    # The demo supervisor reviews it and sees the result per agent on the dashboard.
    boss = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    log_in(boss, console_url, DEMO_SUPERVISOR, supervisor_password)
    boss.goto(f"{console_url}/agent/tickets/{ticket_id}")
    boss.get_by_label("需改进").check()
    boss.get_by_label("评分（1-5）").select_option("4")
    boss.get_by_label("评语").fill("回复及时；下次先说明罚息的计算方法。")
    boss.get_by_role("button", name="提交评审").click()
    expect(boss.locator("#review-result")).to_contain_text("需改进")
    expect(boss.locator("#review-result")).to_contain_text("4 分")

    boss.get_by_role("link", name="数据看板").click()
    expect(boss.locator("#supervisor-panel")).to_be_visible()
    review_row = boss.locator("#reviews tbody tr", has_text="浏览器坐席")
    expect(review_row).to_be_visible()
    cells = review_row.locator("td")
    expect(cells.nth(3)).not_to_have_text("0")  # the 需改进 column counts it
    expect(boss.locator("#chart-reviews svg")).to_contain_text("需改进")  # ECharts drew it, legend and all
    expect(boss.locator("#chart-volume svg")).to_contain_text("日期")  # labelled axes
    expect(boss.locator(".tile[data-key=handoffs] .tile-value").first).not_to_have_text("—")
    boss.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # Back in the history, the review filter finds it.
    agent.goto(f"{console_url}/agent/history?review=needs_improvement&q={phrase}")
    expect(agent.locator("#history tbody tr")).to_have_count(1)
    expect(agent.locator("#history tbody tr").first).to_contain_text("需改进 · 4分")
