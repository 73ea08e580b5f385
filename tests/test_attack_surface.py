"""Issue 14's findings, each tried as an attacker would against the real servers, and refused.

The action server without its secret, conversation ids that address someone else's
conversation, web chat sessions the browser chose (or kept too long, or vouched for by a
forged bank login), replayed WeChat callbacks, and the agent console's logins, sessions and
tickets. (The production edge is tried in tests/production/test_edge.py; masking's forms in
tests/test_masking.py, and here on the agent's page.)"""
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import List, Optional

import pytest
import requests
import socketio
from sqlalchemy import select, update

from overdue.bank_login import mint_token
from channels.web_sessions import issue_session_id
from overdue.passwords import hash_password
from launcher import ROOT, free_port, wait_until_up
from loandb.models import Agent, AuditEntry, ConsoleLoginFailure, ConsoleSession, Customer, HandoffTicket
from loandb.session import session_scope
from tests.conftest import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN
from tests.test_wechat import PATH as WECHAT_PATH, message_xml, signature

pytestmark = pytest.mark.server

FORGED_CALL = {  # what an attacker would POST to the action server: "verified" as customer 1
    "next_action": "action_route_request", "sender_id": "attacker", "version": "3.6.21",
    "tracker": {"sender_id": "attacker", "slots": {"verified": True, "customer_id": 1, "customer_name": "张伟"},
                "latest_message": {"intent": {"name": "ask_overdue_status"}, "entities": [], "text": "我欠多少钱"},
                "events": [], "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen"},
    "domain": {},
}


def tracker(servers, conversation_id: str) -> dict:
    return requests.get(f"{servers.rasa_url}/conversations/{conversation_id}/tracker", timeout=10).json()


# --- 1. the action server ------------------------------------------------------------------

def test_the_action_server_refuses_a_forged_tracker_without_the_shared_secret(servers):
    for params in ({}, {"token": "not-the-secret"}, {"token": servers.action_token[:-1]}):
        refused = requests.post(f"{servers.action_url}/webhook", params=params, json=FORGED_CALL, timeout=10)
        assert refused.status_code == 401, params
        assert "12,000.00" not in refused.text
    assert requests.get(f"{servers.action_url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{servers.action_url}/health", timeout=10).status_code == 200
    # The Rasa server sends the secret: its customers are answered as before.
    assert "小邮" in servers.texts(f"as-{uuid.uuid4().hex[:8]}", "你好")


def _outside_address() -> Optional[str]:
    """One of this machine's addresses other than loopback, if it has one."""
    try:
        addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return next((a for a in addresses if ":" not in a and not a.startswith("127.")), None)


def test_the_action_server_listens_on_loopback_only(servers):
    port = int(servers.action_url.rsplit(":", 1)[1])
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=3).close()


def test_the_action_server_will_not_start_without_a_secret():
    env = {"PATH": str(Path(sys.executable).parent), "ACTION_SERVER_TOKEN": ""}
    done = subprocess.run([sys.executable, "-m", "action_server", "--port", str(free_port())], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "ACTION_SERVER_TOKEN is not set" in done.stderr


# --- 2. conversation ids --------------------------------------------------------------------

@pytest.mark.parametrize("sender", ["victim/tracker/events?", "a b", "张伟", "x" * 65, "", "../status", "a:b"])
def test_rest_senders_outside_the_alphabet_are_refused(servers, sender):
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": "你好"}, timeout=10)
    assert response.status_code == 400


def test_an_agents_reply_cannot_be_steered_into_another_conversation(servers):
    """The attacker's ticket names ``<victim>/tracker/events?``: quoted, it stays one id."""
    import asyncio

    from gateways.rasa_http import RasaAPI

    victim = f"victim-{uuid.uuid4().hex[:8]}"
    servers.say(victim, "你好")
    before = len(tracker(servers, f"rest:{victim}")["events"])
    crafted = f"rest:{victim}/tracker/events?"
    asyncio.run(RasaAPI(servers.rasa_url).append(crafted, [
        {"event": "bot", "text": "INJECTED", "timestamp": time.time()}]))
    victim_events = tracker(servers, f"rest:{victim}")["events"]
    assert len(victim_events) == before and all(e.get("text") != "INJECTED" for e in victim_events)


def test_a_rest_client_cannot_address_a_wechat_customers_conversation(servers):
    """张伟's WeChat openid as a REST sender lands in a REST conversation of its own."""
    openid = "oDEMO_zhangwei"

    def wechat_words() -> list:
        return [e["text"] for e in tracker(servers, openid)["events"] if e["event"] == "user"]

    before = wechat_words()
    answer = servers.texts(openid, "我现在欠多少钱")
    assert "12,000.00元" not in answer  # not recognised as the bound WeChat customer
    assert wechat_words() == before
    assert any(e.get("text") == "我现在欠多少钱" for e in tracker(servers, f"rest:{openid}")["events"])


def test_no_channel_takes_the_bank_login_key_from_a_client(servers):
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=30, json={
        "sender": sender, "message": "我现在欠多少钱", "metadata": {"bank_login_customer_id": 1, "note": "kept"}})
    assert response.status_code == 200 and "12,000.00元" not in response.text
    [user] = [e for e in tracker(servers, f"rest:{sender}")["events"] if e["event"] == "user"]
    assert user["metadata"]["note"] == "kept" and "bank_login_customer_id" not in user["metadata"]


# --- 3. web chat sessions and the bank-login token ------------------------------------------

class WebChat:
    """A web chat page's socket, as the widget talks to it."""

    def __init__(self, url: str) -> None:
        self.client = socketio.Client()
        self.texts: List[str] = []
        self.confirmed: List[str] = []
        self.rotated: List[str] = []
        self.client.on("bot_uttered", lambda data: self.texts.append((data or {}).get("text") or ""))
        self.client.on("session_confirm", self.confirmed.append)
        self.client.on("session_rotated", self.rotated.append)
        self.client.connect(url, transports=["polling"])

    def request_session(self, session_id=None, bank_login_token=None) -> str:
        count = len(self.confirmed)
        self.client.emit("session_request", {"session_id": session_id, "bank_login_token": bank_login_token})
        wait_for(lambda: len(self.confirmed) > count)
        return self.confirmed[-1]

    def say(self, text: str, session_id: str, until: Optional[str] = None, **extra) -> str:
        """What the bot says in answer: once ``until`` is in it (or, without, its first message)."""
        count = len(self.texts)
        self.client.emit("user_uttered", {"message": text, "session_id": session_id, **extra})
        wait_for(lambda: len(self.texts) > count and (until is None or until in "\n".join(self.texts[count:])))
        time.sleep(1)
        return "\n".join(self.texts[count:])

    def close(self) -> None:
        self.client.disconnect()


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not answer")
        time.sleep(0.1)


@pytest.fixture
def chat(servers):
    page = WebChat(servers.rasa_url)
    yield page
    page.close()


def test_a_session_id_the_server_did_not_sign_gets_a_fresh_session(servers, chat):
    genuine = issue_session_id()
    for forged in ["attacker-chosen-0001", genuine[:-3] + "AAA", "web-" + "0" * 24 + "-" + "A" * 22, 42]:
        given = chat.request_session(forged)
        assert given != forged and given.startswith("web-")
    assert chat.request_session(genuine) == genuine  # one it issued is kept


def test_a_session_idle_for_longer_than_the_policy_is_not_resumed(servers, chat):
    import sqlite3

    stale = issue_session_id()
    assert chat.request_session(stale) == stale
    chat.say("你好", stale)
    with sqlite3.connect(servers.tracker_db) as connection:  # an hour passes
        connection.execute("update events set timestamp = timestamp - 3600, data = json_set(data, '$.timestamp',"
                           " json_extract(data, '$.timestamp') - 3600) where sender_id = ?", (stale,))
    assert chat.request_session(stale) != stale


def customer_id(servers, name: str) -> int:
    with session_scope(servers.loans_url) as session:
        return session.execute(select(Customer.id).where(Customer.name == name)).scalar_one()


def test_a_bank_login_token_verifies_the_chat_and_the_session_moves_to_a_new_id(servers, chat):
    zhang = customer_id(servers, "张伟")
    session_id = chat.request_session(None, mint_token(zhang))
    answer = chat.say("我现在欠多少钱", session_id, until="12,000.00元", metadata={"bank_login_customer_id": 999})
    assert "12,000.00元" in answer and "身份证号后四位" not in answer  # no digits asked
    wait_for(lambda: chat.rotated)
    [moved] = chat.rotated
    assert moved != session_id
    state = tracker(servers, moved)
    assert state["slots"]["verified"] is True
    [message] = [e for e in state["events"] if e["event"] == "user"]
    assert message["metadata"]["bank_login_customer_id"] == zhang  # the server's, not the client's 999
    # The id seen before verification now holds nothing verified.
    assert tracker(servers, session_id)["slots"].get("verified") in (None, False)
    everything = requests.get(f"{servers.rasa_url}/conversations/{session_id}/tracker",
                              params={"include_events": "ALL"}, timeout=10).json()["events"]
    assert [e["event"] for e in everything if e["event"] in ("user", "restart")] == ["user", "restart"]
    assert "12,000.00元" in chat.say("我现在欠多少钱", moved, until="12,000.00元")  # it goes on under the new id


@pytest.mark.parametrize("token", [
    "not-a-token",
    "forged",  # signed with another secret
    "altered",  # another customer's id put in a genuine token
    "expired",
])
def test_a_bad_bank_login_token_is_refused_politely_and_the_digits_offered(servers, chat, token):
    import jwt

    zhang = customer_id(servers, "张伟")
    genuine = mint_token(zhang)
    header, payload, signed = genuine.split(".")
    tokens = {
        "not-a-token": "not-a-token",
        "forged": mint_token(zhang, secret="someone-elses-secret-" + uuid.uuid4().hex),
        "altered": ".".join([header, jwt.utils.base64url_encode(
            jwt.utils.base64url_decode(payload).replace(f'"{zhang}"'.encode(), b'"2"')).decode(), signed]),
        "expired": mint_token(zhang, lifetime_s=-60),
    }
    count = len(chat.texts)
    session_id = chat.request_session(None, tokens[token])
    wait_for(lambda: len(chat.texts) > count)
    assert "无法确认您的网银登录状态" in chat.texts[-1] and "身份证号后四位" in chat.texts[-1]
    answer = chat.say("我现在欠多少钱", session_id, until="身份证号后四位")
    assert "12,000.00元" not in answer
    [user] = [e for e in tracker(servers, session_id)["events"] if e["event"] == "user"]
    assert "bank_login_customer_id" not in (user.get("metadata") or {})


# --- 5. WeChat replays ----------------------------------------------------------------------

def wechat_post(servers, xml: str, timestamp: str, nonce: str) -> requests.Response:
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID)
    encrypted = crypto.encrypt_message(xml, nonce, timestamp)
    msg_signature = encrypted.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    params = {"signature": signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "encrypt_type": "aes", "msg_signature": msg_signature}
    return requests.post(servers.rasa_url + WECHAT_PATH, params=params, data=encrypted.encode(), timeout=15)


def test_a_captured_wechat_callback_cannot_be_replayed(servers):
    openid = f"oReplay{uuid.uuid4().hex[:8]}"
    # Signed correctly, but sent (or captured) more than five minutes ago.
    stale = str(int(time.time()) - 6 * 60)
    assert wechat_post(servers, message_xml(openid, "你好"), stale, uuid.uuid4().hex[:10]).status_code == 403
    assert requests.get(servers.rasa_url + WECHAT_PATH, timeout=10, params={
        "signature": signature(stale, "n1"), "timestamp": stale, "nonce": "n1", "echostr": "1"}).status_code == 403
    # A fresh callback is answered; its nonce on another message within the window is refused.
    now, nonce, msg_id = str(int(time.time())), uuid.uuid4().hex[:10], uuid.uuid4().int % 10**15
    assert wechat_post(servers, message_xml(openid, "你好", msg_id=msg_id), now, nonce).status_code == 200
    replay = wechat_post(servers, message_xml(openid, "我要办分期", msg_id=msg_id + 1), now, nonce)
    assert replay.status_code == 403
    stored = [e["text"] for e in tracker(servers, openid)["events"] if e["event"] == "user"]
    assert stored == ["你好"]


# --- 6. the agent console -------------------------------------------------------------------

@pytest.fixture(scope="module")
def console(servers, tmp_path_factory):
    """A console of its own, behind a "proxy" at 127.0.0.1 whose X-Forwarded-For it trusts, so
    the addresses locked out here are made-up ones and no other test's logins are."""
    port = free_port()
    env = {**__import__("os").environ, "LOAN_DB_URL": servers.loans_url, "RASA_URL": servers.rasa_url,
           "TRACKER_DB_URL": f"sqlite:///{servers.tracker_db}", "CONSOLE_SECRET_KEY": "attack-test",
           "CONSOLE_TRUSTED_PROXIES": "127.0.0.1", "BANK_LOGIN_DEMO": ""}
    log = open(tmp_path_factory.mktemp("attack-console") / "console.log", "w")
    process = subprocess.Popen([str(Path(sys.executable).parent / "uvicorn"), "--factory", "console.app:create_app",
                                "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/agent/login", process, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_outside_demo_mode_the_console_mints_no_bank_login_token(console):
    refused = requests.get(f"{console}/demo/bank-login-token", params={"customer": "张伟"}, timeout=10)
    assert refused.status_code == 404 and "token" not in refused.json()
    settings = requests.get(f"{console}/bank-page-config.js", timeout=10).text
    assert '"demoLogin": false' in settings


def make_agent(servers, role: str = "agent") -> str:
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    with session_scope(servers.loans_url) as session:
        session.add(Agent(username=name, display_name=f"坐席{name[-4:]}", role=role,
                          password_hash=hash_password("right password")))
    return name


def log_in(console: str, username: str, password: str = "right password",
           address: str = "198.51.100.7") -> requests.Session:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{console}/agent/login").text).group(1)
    browser.post(f"{console}/agent/login", data={"username": username, "password": password, "csrf": token})
    return browser


def csrf_of(browser: requests.Session, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', browser.get(url).text).group(1)


def signed_in(browser: requests.Session, console: str) -> bool:
    return browser.get(f"{console}/agent/api/tickets").status_code == 200


def audited(servers, username: str) -> List[str]:
    with session_scope(servers.loans_url) as session:
        agent_id = session.execute(select(Agent.id).where(Agent.username == username)).scalar_one()
        return list(session.execute(select(AuditEntry.action).where(AuditEntry.agent_id == agent_id)
                                    .order_by(AuditEntry.id)).scalars())


def test_five_wrong_passwords_lock_the_name_out_even_with_the_right_one(servers, console):
    name = make_agent(servers)
    for _ in range(5):
        assert not signed_in(log_in(console, name, "guess", address="203.0.113.1"), console)
    # From another address, with the right password: still locked for 15 minutes.
    locked = log_in(console, name, address="203.0.113.2")
    assert not signed_in(locked, console)
    with session_scope(servers.loans_url) as session:
        counted = session.execute(select(ConsoleLoginFailure.subject)).scalars().all()
    assert counted.count(f"user:{name}") == 5 and counted.count("ip:203.0.113.1") == 5
    assert audited(servers, name) == ["login_failed"] * 4 + ["login_failed", "login_locked"]


def test_five_failures_from_one_address_lock_that_address_out_for_every_name(servers, console):
    names = [make_agent(servers) for _ in range(5)]
    for name in names:  # one try per name: spread over names, counted per address
        assert not signed_in(log_in(console, name, "guess", address="203.0.113.50"), console)
    fresh = make_agent(servers)
    assert not signed_in(log_in(console, fresh, address="203.0.113.50"), console)
    assert signed_in(log_in(console, fresh, address="203.0.113.51"), console)  # elsewhere: fine
    assert "login" in audited(servers, fresh)


def test_an_unknown_name_costs_the_same_hashing_as_a_known_one(servers, console):
    known = make_agent(servers)

    def seconds(name: str, address: str) -> float:
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = address
        token = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{console}/agent/login").text).group(1)
        started = time.perf_counter()
        browser.post(f"{console}/agent/login", data={"username": name, "password": "wrong", "csrf": token})
        return time.perf_counter() - started

    # Alternating, each from its own address and under the lockout limit.
    timings = {"known": [], "unknown": []}
    for attempt in range(4):
        timings["known"].append(seconds(known if attempt % 2 else make_agent(servers), f"192.0.2.{10 + attempt}"))
        timings["unknown"].append(seconds(f"nobody-{uuid.uuid4().hex[:6]}", f"192.0.2.{20 + attempt}"))
    known_median, unknown_median = sorted(timings["known"])[2], sorted(timings["unknown"])[2]
    assert unknown_median > 0.6 * known_median, timings


def test_logout_revokes_a_copied_cookie_and_sessions_end_after_their_lifetime(servers, console):
    name = make_agent(servers)
    browser = log_in(console, name, address="198.51.100.20")
    assert signed_in(browser, console)
    stolen = requests.Session()
    stolen.cookies.update(browser.cookies)
    assert signed_in(stolen, console)
    browser.post(f"{console}/agent/logout", data={"csrf": csrf_of(browser, f"{console}/agent/")})
    assert not signed_in(stolen, console)  # the copy dies with the session

    again = log_in(console, name, address="198.51.100.20")
    assert signed_in(again, console)
    from datetime import timedelta

    from overdue.clock import now_in_china
    with session_scope(servers.loans_url) as session:
        agent_id = session.execute(select(Agent.id).where(Agent.username == name)).scalar_one()
        session.execute(update(ConsoleSession).where(ConsoleSession.revoked_at.is_(None),
                                                     ConsoleSession.agent_id == agent_id)
                        .values(expires_at=now_in_china() - timedelta(seconds=1)))
    assert not signed_in(again, console)  # however active, a session ends after its lifetime


def test_the_session_cookie_is_secure_when_served_over_https(servers, tmp_path):
    port = free_port()
    env = {**__import__("os").environ, "LOAN_DB_URL": servers.loans_url, "RASA_URL": servers.rasa_url,
           "CONSOLE_SECRET_KEY": "https-test", "CONSOLE_HTTPS": "1"}
    with open(tmp_path / "console.log", "w") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "uvicorn"), "--factory",
                                    "console.app:create_app", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/agent/login", process, 60)
            cookie = requests.get(f"http://127.0.0.1:{port}/agent/login", timeout=10).headers["set-cookie"]
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert "secure" in cookie.lower() and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_a_ticket_is_worked_by_one_agent_and_a_supervisor_can_take_it_over(servers, console):
    sender = f"claim-{uuid.uuid4().hex[:8]}"
    # Full-width and grouped numbers: the agents see only their last four digits. (Tails of no
    # demo customer: this is not anyone's failed identity check.)
    servers.say(sender, "我身份证４４０１０６１９９００１０１５５５Ｘ，手机139-0000-4321")
    servers.say(sender, "转人工，我要找真人")
    with session_scope(servers.loans_url) as session:
        ticket_id = session.execute(select(HandoffTicket.id).where(
            HandoffTicket.conversation_id == f"rest:{sender}")).scalar_one()
    first, second, boss = make_agent(servers), make_agent(servers), make_agent(servers, "supervisor")
    alice, bob, chief = (log_in(console, name, address="198.51.100.30") for name in (first, second, boss))
    ticket_url = f"{console}/agent/tickets/{ticket_id}"
    page = alice.get(ticket_url).text
    assert "４４０１０６" not in page and "440106" not in page and "0000-4321" not in page
    assert "555X" in page and "***-****-4321" in page

    reply = alice.post(f"{ticket_url}/reply", data={"text": "您好，我来帮您。", "csrf": csrf_of(alice, ticket_url)})
    assert reply.status_code == 200  # after the redirect back to the ticket
    held = bob.post(f"{ticket_url}/reply", data={"text": "我也来。", "csrf": csrf_of(bob, ticket_url)},
                    allow_redirects=False)
    assert held.status_code == 409 and "处理" in held.text
    assert bob.post(f"{ticket_url}/notes", data={"text": "插一句", "csrf": csrf_of(bob, ticket_url)},
                    allow_redirects=False).status_code == 409
    assert bob.post(f"{ticket_url}/take-over", data={"csrf": csrf_of(bob, ticket_url)},
                    allow_redirects=False).status_code == 403
    holder = alice.get(f"{console}/agent/api/tickets").json()["tickets"]
    assert next(t for t in holder if t["id"] == ticket_id)["holder"].startswith("坐席")

    assert chief.post(f"{ticket_url}/take-over", data={"csrf": csrf_of(chief, ticket_url)},
                      allow_redirects=False).status_code == 303
    assert chief.post(f"{ticket_url}/notes", data={"text": "主管已接管", "csrf": csrf_of(chief, ticket_url)},
                      allow_redirects=False).status_code == 303
    assert alice.post(f"{ticket_url}/reply", data={"text": "还是我", "csrf": csrf_of(alice, ticket_url)},
                      allow_redirects=False).status_code == 409
    assert chief.post(f"{ticket_url}/resolve", data={"csrf": csrf_of(chief, ticket_url)},
                      allow_redirects=False).status_code == 303
    assert {"login", "take_over", "note", "resolve"} <= set(audited(servers, boss))
    assert {"login", "claim", "reply"} <= set(audited(servers, first))
    events = [e.get("text") for e in tracker(servers, f"rest:{sender}")["events"] if e["event"] == "bot"]
    assert "您好，我来帮您。" in events and "我也来。" not in events and "还是我" not in events
