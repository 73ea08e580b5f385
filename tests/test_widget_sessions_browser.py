"""The web chat's sessions in real headless Chromium (issue 14): the page ignores a socket
server named in its URL, "结束对话" and 30 idle minutes clear what the browser kept, and the
demo bank page's "已登录网银" switch verifies the chat without digits."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.server


def say(page, text: str) -> None:
    page.get_by_label("输入消息").fill(text)
    page.keyboard.press("Enter")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()


def test_a_socket_server_in_the_page_url_is_ignored(console_url, page):
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(f"{console_url}/?socket=http://127.0.0.1:9/")
    say(page, "你好")
    expect(page.locator(".bankchat-msg.bot").first).to_contain_text("小邮")  # the page's own server answers
    assert not any(url.startswith("http://127.0.0.1:9/") for url in seen)


def test_ending_the_chat_clears_what_the_browser_kept(console_url, page):
    page.goto(f"{console_url}/")
    say(page, "你好")
    expect(page.locator(".bankchat-msg.bot").first).to_contain_text("小邮")
    first = page.evaluate("JSON.parse(localStorage.getItem('bankchat:session'))")
    assert first.startswith("web-") and "小邮" in page.evaluate("localStorage.getItem('bankchat:history')")
    page.get_by_role("button", name="结束对话").click()
    expect(page.locator(".bankchat-log")).to_contain_text("聊天记录已从本设备清除")
    assert page.evaluate("localStorage.getItem('bankchat:history')") is None
    page.wait_for_function("JSON.parse(localStorage.getItem('bankchat:session')) !== null")
    assert page.evaluate("JSON.parse(localStorage.getItem('bankchat:session'))") != first  # a new session
    page.reload()
    expect(page.locator(".bankchat-msg.bot")).to_have_count(0)  # nothing comes back after a reload


def test_a_transcript_idle_for_30_minutes_is_gone_on_the_next_visit(console_url, page):
    page.goto(f"{console_url}/")
    say(page, "你好")
    expect(page.locator(".bankchat-msg.bot").first).to_contain_text("小邮")
    page.evaluate("localStorage.setItem('bankchat:active', JSON.stringify(Date.now() - 31 * 60 * 1000))")
    page.reload()
    expect(page.locator(".bankchat-msg.bot")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('bankchat:history')") in (None, "[]")


def test_the_demo_bank_login_switch_verifies_the_chat_without_digits(console_url, page):
    page.goto(f"{console_url}/")
    page.get_by_label("演示客户").select_option("张伟")
    with page.expect_navigation():
        page.get_by_label("已登录网银").check()
    expect(page.get_by_label("已登录网银")).to_be_checked()
    say(page, "我现在欠多少钱")
    log = page.locator(".bankchat-log")
    expect(log).to_contain_text("12,000.00元", timeout=30_000)
    assert "身份证号后四位" not in log.inner_text()
    # Signing out of online banking ends that chat: its transcript is not shown to the next person.
    with page.expect_navigation():
        page.get_by_label("已登录网银").uncheck()
    expect(page.locator(".bankchat-msg.bot")).to_have_count(0)
    assert "12,000.00" not in (page.evaluate("localStorage.getItem('bankchat:history')") or "")
