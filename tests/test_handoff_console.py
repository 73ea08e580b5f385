"""Handoff end to end: the real Rasa and action servers, the console app in-process on
the same loan database, and an agent who takes a conversation over and hands it back."""
import json
import re
import uuid

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from console.app import create_app
from overdue.passwords import hash_password
from gateways.rasa_http import RasaAPI
from loandb.models import Agent, AuditEntry, HandoffTicket
from loandb.session import session_scope

pytestmark = pytest.mark.server

AGENT, PASSWORD = "tester", "correct horse battery"


@pytest.fixture
def loans_db(servers, monkeypatch):
    monkeypatch.setenv("LOAN_DB_URL", servers.loans_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{servers.tracker_db}")
    return servers.loans_url


@pytest.fixture
def console(servers, loans_db):
    app = create_app(RasaAPI(servers.rasa_url), secret_key="test-secret")
    with session_scope() as session:
        if session.execute(select(Agent).where(Agent.username == AGENT)).scalars().first() is None:
            session.add(Agent(username=AGENT, display_name="测试坐席", password_hash=hash_password(PASSWORD)))
    return TestClient(app, base_url="http://127.0.0.1")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client: TestClient, password: str = PASSWORD):
    token = csrf_of(client.get("/agent/login").text)
    return client.post("/agent/login", data={"username": AGENT, "password": password, "csrf": token},
                       follow_redirects=False)


def no_agent_present():
    with session_scope() as session:
        session.execute(update(Agent).values(last_seen_at=None))


def open_ticket(sender: str) -> HandoffTicket:
    """The latest ticket of a REST sender's conversation (the channel names it ``rest:<sender>``)."""
    with session_scope() as session:
        return session.execute(select(HandoffTicket).where(HandoffTicket.conversation_id == f"rest:{sender}")
                               .order_by(HandoffTicket.id.desc())).scalars().first()


def test_every_console_route_refuses_an_anonymous_request(console):
    for route in console.app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/agent/") or route.path == "/agent/login":
            continue
        path = route.path.replace("{ticket_id}", "1")
        for method in route.methods:
            response = console.request(method, path, follow_redirects=False)
            assert response.status_code in (303, 401), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] == "/agent/login"


def test_login_needs_the_right_password_and_a_form_token(console):
    assert "用户名或密码不正确" in log_in(console, "wrong").text
    assert console.post("/agent/login", data={"username": AGENT, "password": PASSWORD}).status_code == 403
    response = log_in(console)
    assert response.status_code == 303 and response.headers["location"] == "/agent/"
    assert console.get("/agent/api/tickets").status_code == 200


def test_no_agent_signed_in_offers_a_call_back_and_keeps_answering(servers, console):
    no_agent_present()
    sender = f"handoff-{uuid.uuid4().hex[:8]}"
    reply = servers.texts(sender, "转人工")
    assert "回电" in reply
    assert open_ticket(sender).reason == "customer_request"
    assert servers.texts(sender, "你好")  # not paused: the bot still answers


def test_agent_takes_over_and_hands_back(servers, console):
    assert log_in(console).status_code == 303  # signed in: available
    sender = f"handoff-{uuid.uuid4().hex[:8]}"
    servers.say(sender, "我现在欠多少钱")
    servers.verify(sender, "张伟")
    assert "已为您转接人工客服" in servers.texts(sender, "我要人工客服")
    assert servers.say(sender, "还在吗？我手机是13800138866") == []  # paused: no bot answer, message kept

    ticket = open_ticket(sender)
    summary = json.loads(ticket.summary)
    assert ticket.customer_id and summary["verified"] and summary["loans"][0]["tail"] == "6217"
    assert any("欠多少钱" in asked for asked in summary["asked"])
    queue = console.get("/agent/api/tickets").json()["tickets"]
    assert any(row["id"] == ticket.id and row["customer"] == "张伟" for row in queue)

    page = console.get(f"/agent/tickets/{ticket.id}").text
    assert "还在吗" in page and "*******8866" in page and "13800138866" not in page
    assert "**************3021" in page and "110101198503153021" not in page
    token = csrf_of(page)
    revealed = console.post(f"/agent/tickets/{ticket.id}/reveal", data={"field": "id", "csrf": token}).json()
    assert revealed["value"] == "110101198503153021"

    assert console.post(f"/agent/tickets/{ticket.id}/reply", data={"text": "您好"}).status_code == 403
    console.post(f"/agent/tickets/{ticket.id}/reply", data={"text": "您好，我是客服小邮，您的情况我看到了。", "csrf": token})
    tracker = servers_tracker(servers, sender)
    agent_lines = [e for e in tracker["events"] if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")]
    assert agent_lines[-1]["text"] == "您好，我是客服小邮，您的情况我看到了。"

    console.post(f"/agent/tickets/{ticket.id}/resolve", data={"csrf": token})
    assert open_ticket(sender).status == "resolved"
    answer = servers.texts(sender, "我现在欠多少钱")
    events = [(e["event"], e.get("name") or e.get("text")) for e in servers_tracker(servers, sender)["events"]][-16:]
    assert "12,000.00元" in answer, "\n".join(map(str, events))  # the bot is back and still knows who this is

    with session_scope() as session:
        actions = set(session.execute(select(AuditEntry.action).where(AuditEntry.ticket_id == ticket.id)).scalars())
    assert {"view_ticket", "reveal_id", "reply", "resolve"} <= actions


def servers_tracker(servers, sender: str) -> dict:
    import requests

    return requests.get(f"{servers.rasa_url}/conversations/rest:{sender}/tracker", timeout=10).json()


@pytest.mark.parametrize(
    "messages, reason, priority, said",
    [
        (["欠了这么多钱，我真的不想活了"], "self_harm", 1, "12356"),
        (["这笔钱不是我借的，你们搞错了"], "dispute", 2, "人工客服"),
        (["我已经走投无路了，真的崩溃了！！！", "求求你们救救我，撑不下去了！！！"], "negative_emotion", 2, "人工客服"),
        (["你们催收太过分了，我要投诉"], "complaint", 2, "人工客服"),
    ],
)
def test_handoff_triggers_over_rest(servers, loans_db, messages, reason, priority, said):
    sender = f"trigger-{uuid.uuid4().hex[:8]}"
    replies = [servers.texts(sender, message) for message in messages]
    ticket = open_ticket(sender)
    assert ticket is not None and (ticket.reason, ticket.priority) == (reason, priority)
    assert said in replies[-1]


def test_dashboard_counts_today_from_the_stores(servers, console):
    import sqlite3

    from overdue.clock import today_in_china
    from console.dashboard import dashboard

    servers.say(f"dash-{uuid.uuid4().hex[:8]}", "asdfgh qwerty")
    with sqlite3.connect(servers.tracker_db) as connection:
        senders = {row[0] for row in connection.execute("select distinct sender_id from events where type_name='user'")}
    with session_scope() as session:
        figures = dashboard(session, today_in_china())
        tickets = session.execute(select(HandoffTicket.conversation_id)).scalars().all()
    today = {key: values[-1] for key, values in figures["series"].items()}
    assert today["conversations"] == len(senders)
    assert today["handoffs"] == len(tickets)
    assert today["containment"] == round(100 * (1 - len(set(tickets) & senders) / len(senders)), 1)
    assert {h["key"]: h["value"] for h in figures["today"]}["conversations"] == len(senders)
    log_in(console)
    page = console.get("/agent/dashboard")
    assert page.status_code == 200 and "机器人独立解决率" in page.text and "/agent/vendor/echarts.min.js" in page.text
    script = console.get("/agent/vendor/echarts.min.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"] and "echarts" in script.text
