"""Personal data with a lifecycle, on SQLite and PostgreSQL alike: foreign keys enforced and
stated, a demo reset that leaves nothing stale, retention in bounded batches, erasure on
request, backups that restore."""
import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import delete, event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from overdue.clock import now_in_china
from launcher import ROOT
from loandb import tracker_events
from loandb.models import (
    Agent,
    AuditEntry,
    Customer,
    CustomerConversation,
    Erasure,
    HandoffTicket,
    IdentityFailure,
    IdentityLock,
    LoanAccount,
    OneTimeCode,
    Reminder,
    ReminderPreference,
    RetentionRun,
    SatisfactionRating,
    ScheduleRow,
    ServiceRequest,
    TicketNote,
    TicketReview,
    TicketTranscript,
)
from loandb.migrate import upgrade as create_schema
from loandb.seed import forget_conversations, reset_demo_customers
from loandb.session import get_engine, session_scope
from tests.conftest import POSTGRES_URL, _database_params

ZHANG_OPENID = "oDEMO_zhangwei"


@pytest.fixture(params=_database_params())
def urls(request, tmp_path, today) -> Iterator[dict]:
    """A seeded loan database and a tracker store of its own, fresh for each test: on SQLite two
    files (as bin/run has them), on PostgreSQL one new schema for both (as the production profile)."""
    if request.param == "sqlite":
        loans, tracker = f"sqlite:///{tmp_path / 'loans.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
        schema = None
    else:
        schema = f"life_{uuid.uuid4().hex[:10]}"
        with get_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
            connection.commit()
        loans = tracker = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    create_schema(loans)
    with session_scope(loans) as session:
        reset_demo_customers(session, today)
    yield {"loans": loans, "tracker": tracker, "schema": schema, "kind": request.param}
    get_engine(loans).dispose()
    get_engine(tracker).dispose()
    if schema:
        with get_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            connection.commit()


def store_conversation(tracker_url: str, sender: str, texts: List[str], when: datetime,
                       monkeypatch, metadata: dict = None) -> None:
    """Writes a conversation through the project's tracker store, as the Rasa server does."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from persistence.tracker_store import UrlSQLTrackerStore

    monkeypatch.setenv("TRACKER_DB_URL", tracker_url)
    store = UrlSQLTrackerStore(domain=Domain.empty())
    moment = when.timestamp()
    events = [ActionExecuted("action_listen", timestamp=moment)]
    for number, words in enumerate(texts):
        events += [
            UserUttered(words, intent={"name": "inform", "confidence": 0.9},
                        entities=[{"entity": "id_last4", "value": "3021"}],
                        parse_data={"text": words, "intent": {"name": "inform", "confidence": 0.9},
                                    "entities": [{"entity": "id_last4", "value": "3021"}]},
                        metadata=metadata or {"channel_user": sender}, timestamp=moment + number),
            SlotSet("id_last4", "3021", timestamp=moment + number),
            BotUttered("张伟您好，您的信用卡尾号6217逾期12,000.00元", metadata={"model_id": "m"},
                       timestamp=moment + number),
        ]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def tracker_rows(tracker_url: str, sender: str = None) -> list:
    with get_engine(tracker_url).connect() as connection:
        query = select(tracker_events.events)
        if sender is not None:
            query = query.where(tracker_events.events.c.sender_id == sender)
        return connection.execute(query).all()


def customer_named(session, name: str) -> Customer:
    return session.execute(select(Customer).where(Customer.name == name)).scalars().one()


def play_full_demo(loans_url: str, now: datetime) -> dict:
    """The rows the README's demo leaves: 张伟 verified in a REST conversation and on WeChat
    (bound), handed over (an unverified ticket first, in the same conversation), an agent's
    note and reply (audited), a promise to pay, today's reminder sent, an opt-out."""
    with session_scope(loans_url) as session:
        zhang = customer_named(session, "张伟")
        agent = Agent(username=f"agent-{uuid.uuid4().hex[:6]}", display_name="坐席", password_hash="x")
        session.add(agent)
        session.flush()
        loan = zhang.loans[0]
        session.add_all([
            CustomerConversation(conversation_id="demo-1", customer_id=zhang.id, channel="rest", verified_at=now),
            CustomerConversation(conversation_id=ZHANG_OPENID, customer_id=zhang.id, channel="wechat",
                                 verified_at=now),
            HandoffTicket(conversation_id="demo-1", channel="rest", customer_id=None, reason="customer_request",
                          priority=3, status="open", summary='{"words": ["我要人工"]}', created_at=now),
            ServiceRequest(reference=f"YQ-{uuid.uuid4().hex[:8]}", kind="promise_to_pay", status="active",
                           customer_id=zhang.id, loan_id=loan.id, conversation_id="demo-1", created_at=now,
                           reason="生病住院，下周发工资", amount=Decimal("1200.00"),
                           target_date=now.date() + timedelta(days=5)),
            Reminder(customer_id=zhang.id, loan_id=loan.id, occasion="overdue", due_date=now.date(),
                     days_from_due=7, decided_at=now, status="sent", channel="wechat",
                     conversation_id=ZHANG_OPENID, claim=f"{zhang.id}:{uuid.uuid4().hex[:6]}"),
            ReminderPreference(customer_id=zhang.id, opted_out=True, changed_at=now, conversation_id="demo-1"),
            OneTimeCode(customer_id=zhang.id, conversation_id="demo-1", code_hash="h",
                        sent_at=now, expires_at=now + timedelta(minutes=5), wrong_attempts=0),
            IdentityLock(customer_id=zhang.id, locked_at=now, locked_until=now + timedelta(hours=1), failures=5),
            IdentityFailure(attempt="a1", subject=f"customer:{zhang.id}", kind="digits", occurred_at=now),
            IdentityFailure(attempt="a1", subject="conversation:demo-1", kind="digits", occurred_at=now),
            IdentityFailure(attempt="a2", subject="address:10.0.0.9", kind="digits", occurred_at=now),
        ])
        ticket = HandoffTicket(conversation_id="demo-1", channel="rest", customer_id=zhang.id,
                               reason="complaint", priority=2, status="open",
                               summary=json.dumps({"words": ["身份证后四位3021，手机尾号8866"]}, ensure_ascii=False),
                               created_at=now)
        session.add(ticket)
        session.flush()
        session.add_all([
            TicketNote(ticket_id=ticket.id, agent_id=agent.id, text="客户说下周发工资", created_at=now),
            TicketTranscript(ticket_id=ticket.id, messages='[{"sender": "user", "text": "我要投诉"}]',
                             search_text="我要投诉 张伟", message_count=1, stored_at=now),
            TicketReview(ticket_id=ticket.id, reviewer_id=agent.id, outcome="handled_well", score=5,
                         comment="张伟生病住院，坐席安抚得当", reviewed_at=now),
            SatisfactionRating(conversation_id="demo-1", channel="rest", customer_id=zhang.id, ticket_id=ticket.id,
                               score=4, comment="客服很耐心，我下周发工资就还", created_at=now),
            AuditEntry(agent_id=agent.id, action="view_ticket", ticket_id=ticket.id, customer_id=zhang.id, at=now),
            AuditEntry(agent_id=agent.id, action="reply", ticket_id=ticket.id, customer_id=zhang.id, at=now),
        ])
        return {"zhang_id": zhang.id, "agent_id": agent.id, "ticket_id": ticket.id, "loan_id": loan.id}


# --- one integrity ---------------------------------------------------------------------------

def test_every_foreign_key_states_what_happens_on_delete(db_url):
    create_schema(db_url)
    keys = [(table, key) for table in inspect(get_engine(db_url)).get_table_names()
            for key in inspect(get_engine(db_url)).get_foreign_keys(table)]
    assert len(keys) >= 17
    unstated = [(table, key["constrained_columns"]) for table, key in keys
                if (key.get("options") or {}).get("ondelete") not in ("CASCADE", "SET NULL", "RESTRICT")]
    assert unstated == []


def test_the_database_refuses_what_it_should_on_both(urls):
    url = urls["loans"]
    with pytest.raises(IntegrityError):  # SQLite too: foreign keys are on
        with session_scope(url) as session:
            session.add(HandoffTicket(conversation_id="x", channel="rest", customer_id=987654, reason="complaint",
                                      priority=1, status="open", summary="{}", created_at=now_in_china()))
    with pytest.raises(IntegrityError):  # a customer with loan contracts is never deleted by accident
        with session_scope(url) as session:
            session.execute(delete(Customer).where(Customer.name == "张伟"))
    state = play_full_demo(url, now_in_china())
    with pytest.raises(IntegrityError):  # an agent named in the audit trail stays
        with session_scope(url) as session:
            session.execute(delete(Agent).where(Agent.id == state["agent_id"]))
    with session_scope(url) as session:
        session.execute(delete(HandoffTicket).where(HandoffTicket.id == state["ticket_id"]))
    with session_scope(url) as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.agent_id == state["agent_id"])).scalars().all()
        assert len(audit) == 2 and {entry.ticket_id for entry in audit} == {None}  # kept, detached
        assert session.execute(select(func.count(TicketNote.id))).scalar_one() == 0  # notes went with it
        session.execute(delete(LoanAccount).where(LoanAccount.id == state["loan_id"]))
    with session_scope(url) as session:  # a loan's schedule and reminders go with it
        assert session.execute(select(func.count(ScheduleRow.id)).where(
            ScheduleRow.loan_id == state["loan_id"])).scalar_one() == 0
        assert session.execute(select(func.count(Reminder.id))).scalar_one() == 0


def test_an_old_sqlite_database_is_mended_by_the_migration(tmp_path):
    """Before foreign keys were on, SQLite kept rows pointing at deleted ones: the migration
    does to them what ON DELETE now would, and then every key holds."""
    import sqlite3

    from alembic import command

    from loandb.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0004")
    get_engine(url).dispose()
    raw = sqlite3.connect(tmp_path / "old.db")  # foreign keys off, as every connection had them
    raw.executescript("""
        INSERT INTO agents (id, username, display_name, password_hash, role) VALUES (1, 'a', 'A', 'x', 'agent');
        INSERT INTO handoff_tickets (id, conversation_id, channel, customer_id, reason, priority, status, summary,
                                     created_at, agent_id)
            VALUES (7, 'c', 'rest', 99, 'complaint', 1, 'open', '{}', '2026-01-01 10:00:00', 42);
        INSERT INTO audit_log (agent_id, action, ticket_id, customer_id, at)
            VALUES (1, 'view_ticket', 8, 99, '2026-01-01 10:00:00');
    """)
    raw.commit()
    raw.close()
    upgrade(url)
    with get_engine(url).connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM handoff_tickets").scalar() == 0  # its customer was gone
        assert connection.exec_driver_sql("SELECT ticket_id, customer_id FROM audit_log").all() == [(None, None)]
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


# --- a reset that means it -------------------------------------------------------------------

def assert_fresh_demo(url: str, agent_id: int) -> None:
    from console.tickets import queue

    with session_scope(url) as session:
        assert queue(session) == []  # the console shows no stale ticket
        assert session.execute(select(func.count(HandoffTicket.id)).where(
            HandoffTicket.status == "open")).scalar_one() == 0  # nothing for the waiting estimate
        assert session.execute(select(func.count(Reminder.id))).scalar_one() == 0
        for model in (ServiceRequest, CustomerConversation, ReminderPreference, TicketNote, OneTimeCode,
                      IdentityLock, TicketTranscript, SatisfactionRating):
            assert session.execute(select(func.count()).select_from(model)).scalar_one() == 0, model
        assert set(session.execute(select(IdentityFailure.subject)).scalars()) <= {"address:10.0.0.9"}
        zhang = customer_named(session, "张伟")
        assert zhang.wechat_openid == ZHANG_OPENID and len(zhang.loans) == 1
        assert session.execute(select(func.count(Customer.id))).scalar_one() == 3
        audit = session.execute(select(AuditEntry).where(AuditEntry.agent_id == agent_id)).scalars().all()
        assert len(audit) == 2 and {(a.customer_id, a.ticket_id) for a in audit} == {(None, None)}


def test_reset_after_a_full_demo_leaves_nothing_stale(urls, monkeypatch):
    now = now_in_china()
    state = play_full_demo(urls["loans"], now)
    store_conversation(urls["tracker"], "demo-1", ["我要人工", "身份证后四位3021"], now, monkeypatch)
    store_conversation(urls["tracker"], ZHANG_OPENID, ["好的"], now, monkeypatch)
    store_conversation(urls["tracker"], "someone-else", ["你好"], now, monkeypatch)
    for _ in range(2):  # the demo steps, repeatedly
        with session_scope(urls["loans"]) as session:
            old = reset_demo_customers(session, now.date())
        forget_conversations(old, urls["tracker"])
        assert_fresh_demo(urls["loans"], state["agent_id"])
        state_again = play_full_demo(urls["loans"], now)
        state["agent_id"] = state_again["agent_id"]
        with session_scope(urls["loans"]) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.agent_id != state["agent_id"]))
    assert tracker_rows(urls["tracker"], "demo-1") == [] and tracker_rows(urls["tracker"], ZHANG_OPENID) == []
    assert tracker_rows(urls["tracker"], "someone-else")


def test_the_reset_command_rebuilds_the_demo(urls, monkeypatch):
    now = now_in_china()
    state = play_full_demo(urls["loans"], now)
    store_conversation(urls["tracker"], "demo-1", ["我要人工"], now, monkeypatch)
    env = {**os.environ, "LOAN_DB_URL": urls["loans"], "TRACKER_DB_URL": urls["tracker"],
           "CONSOLE_DEMO_PASSWORD": "demo-pass-123"}
    done = subprocess.run([sys.executable, "-m", "loandb.seed", "--reset"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 demo customers" in done.stdout and "old demo conversations removed" in done.stdout
    assert_fresh_demo(urls["loans"], state["agent_id"])
    assert tracker_rows(urls["tracker"], "demo-1") == []


# --- retention -------------------------------------------------------------------------------

def test_retention_deletes_and_clears_what_is_past_its_period_in_bounded_batches(urls, monkeypatch):
    from loandb.retention import apply_retention, run_if_due
    from overdue.retention_rules import load_retention_rules

    rules = load_retention_rules()
    rules = type(rules)(days=rules.days, batch_size=2, run_every_hours=rules.run_every_hours)
    now = now_in_china()
    long_ago = now - timedelta(days=rules.days["ticket_summaries"] + 10)
    state = play_full_demo(urls["loans"], now)
    with session_scope(urls["loans"]) as session:
        zhang = session.get(Customer, state["zhang_id"])
        old_reminders = [Reminder(customer_id=zhang.id, loan_id=state["loan_id"], occasion="overdue",
                                  due_date=long_ago.date(), days_from_due=1, decided_at=long_ago - timedelta(days=n),
                                  status="skipped", reason="quiet_hours") for n in range(5)]
        old_ticket = HandoffTicket(conversation_id="old-conv", channel="rest", customer_id=zhang.id,
                                   reason="complaint", priority=2, status="resolved", summary='{"words": ["旧话"]}',
                                   created_at=long_ago, resolved_at=long_ago)
        session.add_all(old_reminders + [old_ticket])
        session.flush()
        session.add(TicketNote(ticket_id=old_ticket.id, agent_id=state["agent_id"], text="旧备注", created_at=long_ago))
        session.add(TicketTranscript(ticket_id=old_ticket.id, messages="[]", search_text="旧话", message_count=0,
                                     stored_at=long_ago))
        session.add(AuditEntry(agent_id=state["agent_id"], action="view_ticket", at=now - timedelta(days=2000)))
        session.add(OneTimeCode(customer_id=zhang.id, conversation_id="old-0", code_hash="h",
                                sent_at=now - timedelta(days=2), expires_at=now - timedelta(days=2), wrong_attempts=0))
        session.add(SatisfactionRating(conversation_id="old-1", channel="rest", score=2, comment="旧评价",
                                       created_at=now - timedelta(days=rules.days["satisfaction_ratings"] + 1)))
        session.add(IdentityFailure(attempt="old", subject="address:10.0.0.1", kind="digits",
                                    occurred_at=now - timedelta(days=rules.days["login_records"] + 1)))
        old_ticket_id = old_ticket.id
    idle = now - timedelta(days=rules.days["conversations"] + 1)
    for number in range(3):
        store_conversation(urls["tracker"], f"old-{number}", ["你好", "还在吗"], idle, monkeypatch)
    store_conversation(urls["tracker"], "demo-1", ["我要人工"], idle, monkeypatch)  # its ticket is still open
    store_conversation(urls["tracker"], "recent", ["你好"], now, monkeypatch)
    with session_scope(urls["loans"]) as session:
        session.add(CustomerConversation(conversation_id="old-1", customer_id=state["zhang_id"], channel="rest",
                                         verified_at=idle))

    deletes = []

    def count_rows(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    engines = {get_engine(urls["loans"]), get_engine(urls["tracker"])}
    for engine in engines:
        event.listen(engine, "after_cursor_execute", count_rows)
    try:
        counts = apply_retention(now, rules, urls["loans"], urls["tracker"])
    finally:
        for engine in engines:
            event.remove(engine, "after_cursor_execute", count_rows)

    assert counts["conversations"] == 3 and counts["reminders"] == 5
    assert counts["ticket_summaries"] == 1 and counts["audit_log"] == 1
    assert counts["one_time_codes"] == 1 and counts["identity_failures"] == 1  # today's stay
    assert counts["ticket_transcripts"] == 1 and counts["satisfaction_ratings"] == 1  # recent ones stay
    assert deletes and max(deletes) <= rules.batch_size  # no statement holds more than a batch
    senders = {row.sender_id for row in tracker_rows(urls["tracker"])}
    assert senders == {"demo-1", "recent"}
    with session_scope(urls["loans"]) as session:
        ticket = session.get(HandoffTicket, old_ticket_id)
        assert (ticket.summary, ticket.conversation_id, ticket.reason) == ("{}", f"ticket-{old_ticket_id}", "complaint")
        assert session.execute(select(func.count(TicketNote.id)).where(
            TicketNote.ticket_id == old_ticket_id)).scalar_one() == 0
        assert session.execute(select(func.count(Reminder.id))).scalar_one() == 1  # today's stays
        assert session.execute(select(func.count(CustomerConversation.id)).where(
            CustomerConversation.conversation_id == "old-1")).scalar_one() == 0
        assert session.execute(select(func.count(AuditEntry.id))).scalar_one() == 2  # the recent ones stay
        run = session.execute(select(RetentionRun)).scalars().one()
        assert run.status == "done" and json.loads(run.counts)["reminders"] == 5
    # The scheduler's call: not again until run_every_hours have passed.
    assert run_if_due(now + timedelta(hours=1), rules, urls["loans"], urls["tracker"]) is None
    later = run_if_due(now + timedelta(hours=rules.run_every_hours), rules, urls["loans"], urls["tracker"])
    assert later is not None and later.get("reminders", 0) == 0


def test_retention_periods_are_checked():
    from overdue.retention_rules import RetentionPolicyError, RetentionRules

    from overdue.retention_rules import KINDS

    raw = {f"{kind}_days": 30 for kind in KINDS}
    RetentionRules.from_dict({**raw, "batch_size": 100, "run_every_hours": 24})
    with pytest.raises(RetentionPolicyError):  # the weekly reminder limit reads a week back
        RetentionRules.from_dict({**raw, "reminders_days": 3, "batch_size": 100, "run_every_hours": 24})
    with pytest.raises(RetentionPolicyError):
        RetentionRules.from_dict({**raw, "batch_size": 0, "run_every_hours": 24})


# --- erasure on request ----------------------------------------------------------------------

def test_erasure_anonymises_one_customer_everywhere_and_keeps_what_the_law_requires(urls, monkeypatch, tmp_path,
                                                                                  today):
    from loandb.snapshots import customer_snapshot
    from overdue.bank_rules import load_bank_rules
    from loandb.erasure import erase_customer

    now = now_in_china()
    state = play_full_demo(urls["loans"], now)
    store_conversation(urls["tracker"], "demo-1", ["我要人工", "身份证后四位3021，手机尾号8866"], now, monkeypatch)
    store_conversation(urls["tracker"], ZHANG_OPENID, ["好的我明天还"], now, monkeypatch,
                       metadata={"openid": ZHANG_OPENID})
    store_conversation(urls["tracker"], "li-na-chat", ["我是李娜"], now, monkeypatch)
    outbox = tmp_path / "sms-outbox.jsonl"
    outbox.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"phone": "13800138866", "text": "您的验证码是123456"},
        {"phone": "13912345521", "text": "您的验证码是654321"},
    ]) + "\n", encoding="utf-8")
    with session_scope(urls["loans"]) as session:
        before = customer_snapshot(session, state["zhang_id"], today, load_bank_rules())

    outcome = erase_customer(state["zhang_id"], "operator:test", url=urls["loans"], tracker_url=urls["tracker"],
                             outbox=outbox)

    erased = outcome["anonymised"]
    assert erased["conversations"] == 2 and erased["wechat_binding"] == 1 and erased["sms_outbox_lines"] == 1
    assert erased["tickets"] == 2 and erased["reminders"] == 1 and erased["ticket_notes"] == 1
    assert erased["ticket_transcripts"] == 1
    assert {kept["where"].split(",")[0] for kept in outcome["kept"]} >= {"customers.name", "audit_log"}
    # The tracker store: no words, entities or metadata of his left, and no conversation under his openid.
    assert tracker_rows(urls["tracker"], "demo-1") == [] and tracker_rows(urls["tracker"], ZHANG_OPENID) == []
    rows = tracker_rows(urls["tracker"])
    readable = lambda row: json.dumps(json.loads(row.data), ensure_ascii=False)  # noqa: E731 (Rasa escapes)
    his = " ".join(readable(row) for row in rows if row.sender_id.startswith("erased-"))
    assert len({row.sender_id for row in rows if row.sender_id.startswith("erased-")}) == 2
    for personal in ("3021", "8866", "6217", "张伟", "我要人工", "明天还", ZHANG_OPENID, "channel_user"):
        assert personal not in his, personal
    assert "我是李娜" in " ".join(readable(row) for row in rows if row.sender_id == "li-na-chat")  # nobody else's
    assert outbox.read_text(encoding="utf-8").count("\n") == 1 and "13800138866" not in outbox.read_text()
    with session_scope(urls["loans"]) as session:
        zhang = session.get(Customer, state["zhang_id"])
        assert (zhang.phone, zhang.wechat_openid) == ("", None) and zhang.id_number.endswith("3021")  # kept by law
        tickets = session.execute(select(HandoffTicket)).scalars().all()
        assert {(t.summary, t.customer_id, t.status) for t in tickets} == {("{}", None, "resolved")}
        assert all(t.conversation_id.startswith("erased-") for t in tickets)
        assert session.execute(select(func.count(Reminder.id))).scalar_one() == 0
        assert session.execute(select(func.count(CustomerConversation.id))).scalar_one() == 0
        for model in (OneTimeCode, IdentityLock, SatisfactionRating):
            assert session.execute(select(func.count()).select_from(model)).scalar_one() == 0, model
        assert list(session.execute(select(IdentityFailure.subject)).scalars()) == ["address:10.0.0.9"]
        review = session.execute(select(TicketReview)).scalars().one()
        assert (review.comment, review.score) == ("", 5)
        request = session.execute(select(ServiceRequest)).scalars().one()
        assert (request.reason, request.conversation_id, request.amount) == (None, None, Decimal("1200.00"))
        assert session.execute(select(func.count(AuditEntry.id))).scalar_one() == 2  # the trail is kept
        after = customer_snapshot(session, state["zhang_id"], today, load_bank_rules())
        assert [loan.overdue_amount for loan in after] == [loan.overdue_amount for loan in before]  # loans kept
        li = customer_named(session, "李娜")
        assert li.phone == "13912345521" and li.wechat_openid == "oDEMO_lina"

    again = erase_customer(state["zhang_id"], "operator:test", url=urls["loans"], tracker_url=urls["tracker"],
                           outbox=outbox)
    assert again["nothing_left"] and again["anonymised"] == {}
    with session_scope(urls["loans"]) as session:
        assert [e.requested_by for e in session.execute(select(Erasure)).scalars()] == ["operator:test"] * 2


def test_an_anonymised_event_keeps_its_kind_and_intent_only_and_stays_so():
    from loandb.tracker_events import ERASED_TEXT, anonymised_event

    user = {"event": "user", "timestamp": 1.0, "text": "身份证后四位3021", "input_channel": "wechat",
            "message_id": "m1", "metadata": {"openid": "oX"},
            "parse_data": {"text": "身份证后四位3021", "intent": {"name": "inform", "confidence": 0.9},
                           "entities": [{"entity": "id_last4", "value": "3021"}], "metadata": {"openid": "oX"},
                           "emotion": {"score": 0.1}}}
    erased = anonymised_event(user)
    assert erased["text"] == ERASED_TEXT and erased["metadata"] == {} and erased["message_id"] is None
    assert erased["parse_data"] == {"intent": {"name": "inform", "confidence": 0.9}, "emotion": {"score": 0.1},
                                    "text": ERASED_TEXT, "entities": []}
    assert anonymised_event(erased) == erased  # a second erasure changes nothing
    slot = anonymised_event({"event": "slot", "name": "phone_last4", "value": "8866"})
    assert slot["value"] is None
    assert anonymised_event({"event": "action", "name": "action_listen"}) == {"event": "action",
                                                                               "name": "action_listen"}


def test_an_outbox_line_is_the_customers_by_phone_even_when_it_is_not_json():
    from overdue.erasure_rules import outbox_line_mentions

    assert outbox_line_mentions('{"phone": "13800138866", "text": "验证码123456"}', "13800138866", 1)
    assert not outbox_line_mentions('{"phone": "13912345521", "text": "验证码"}', "13800138866", 1)
    assert outbox_line_mentions("garbled 13800138866 {", "13800138866", 1)
    assert not outbox_line_mentions("garbled", "", 1) and not outbox_line_mentions("[1, 2]", "138", 1)


def test_the_erasure_command_for_operators(urls, tmp_path):
    with session_scope(urls["loans"]) as session:
        wang_id = customer_named(session, "王强").id
    env = {**os.environ, "LOAN_DB_URL": urls["loans"], "TRACKER_DB_URL": urls["tracker"],
           "SMS_OUTBOX_PATH": str(tmp_path / "outbox.jsonl")}
    command = [sys.executable, "-m", "loandb.erasure", "--customer", str(wang_id), "--by", "operator:ops"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"customer {wang_id} erased" in first.stdout and "wechat_binding 1" in first.stdout
    assert "kept, as the law requires" in first.stdout and "audit_log" in first.stdout
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "nothing left to erase" in second.stdout
    missing = subprocess.run(command[:4] + ["999999"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "no customer 999999" in missing.stderr


# --- backups ---------------------------------------------------------------------------------

def demo_figures(url: str, today) -> list:
    from loandb.snapshots import customer_snapshot
    from overdue.bank_rules import load_bank_rules

    with session_scope(url) as session:
        return [(customer.name, customer.id_number, [(loan.overdue_amount, loan.charges, loan.days_overdue)
                                                     for loan in customer_snapshot(session, customer.id, today,
                                                                                   load_bank_rules())])
                for customer in session.execute(select(Customer).order_by(Customer.id)).scalars()]


def test_a_postgresql_dump_restores_into_a_fresh_schema_with_the_demo_intact(urls, monkeypatch, tmp_path, today):
    if urls["kind"] != "postgresql":
        pytest.skip("pg_dump and pg_restore are PostgreSQL's")
    from tests.test_migrations import HEAD, current_revision, schema_drift

    schema = urls["schema"]
    play_full_demo(urls["loans"], now_in_china())
    store_conversation(urls["tracker"], "demo-1", ["我现在欠多少钱"], now_in_china(), monkeypatch)
    before, events_before = demo_figures(urls["loans"], today), len(tracker_rows(urls["tracker"]))
    dump = tmp_path / "assistant.dump"
    # As the README's production section says, one schema holding loans and conversations.
    subprocess.run(["pg_dump", "--format=custom", f"--schema={schema}", "--no-owner", f"--file={dump}",
                    POSTGRES_URL], check=True, timeout=120)
    get_engine(urls["loans"]).dispose()
    with get_engine(POSTGRES_URL).connect() as connection:  # the schema lost, kept aside for the teardown
        connection.execute(text(f"ALTER SCHEMA {schema} RENAME TO {schema}_lost"))
        connection.commit()
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={POSTGRES_URL}", str(dump)], check=True, timeout=120)
        assert demo_figures(urls["loans"], today) == before and before
        assert len(tracker_rows(urls["tracker"])) == events_before > 0
        # Keys with their ON DELETE, indexes, all there (Rasa's events table is not the models').
        assert [change for change in schema_drift(urls["loans"]) if "events" not in repr(change)] == []
        assert current_revision(urls["loans"]) == HEAD
        with session_scope(urls["loans"]) as session:  # the sequences came back too: new rows get new ids
            session.add(Agent(username="after-restore", display_name="坐席", password_hash="x"))
    finally:
        with get_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema}_lost CASCADE"))
            connection.commit()


def test_a_sqlite_backup_restores_with_the_demo_intact(urls, tmp_path, today):
    if urls["kind"] != "sqlite":
        pytest.skip("SQLite's .backup")
    play_full_demo(urls["loans"], now_in_china())
    before = demo_figures(urls["loans"], today)
    database = Path(urls["loans"].split("///", 1)[1])
    backup = tmp_path / "loans-backup.db"
    # Safe while the servers write: SQLite's online backup, not a file copy.
    subprocess.run(["sqlite3", str(database), f".backup '{backup}'"], check=True, timeout=60)
    get_engine(urls["loans"]).dispose()
    database.unlink()
    subprocess.run(["sqlite3", str(database), f".restore '{backup}'"], check=True, timeout=60)
    assert demo_figures(urls["loans"], today) == before and before
    with get_engine(urls["loans"]).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


# --- erasure in the console, for supervisors -------------------------------------------------

def test_a_supervisor_erases_a_customer_in_the_console_and_an_agent_cannot(urls, monkeypatch, tmp_path):
    import re

    from fastapi.testclient import TestClient

    from console.app import create_app
    from overdue.passwords import hash_password

    monkeypatch.setenv("LOAN_DB_URL", urls["loans"])
    monkeypatch.setenv("TRACKER_DB_URL", urls["tracker"])
    monkeypatch.setenv("SMS_OUTBOX_PATH", str(tmp_path / "outbox.jsonl"))
    state = play_full_demo(urls["loans"], now_in_china())
    store_conversation(urls["tracker"], "demo-1", ["手机尾号8866"], now_in_china(), monkeypatch)
    with session_scope(urls["loans"]) as session:
        session.add_all([Agent(username="boss", display_name="主管", role="supervisor",
                               password_hash=hash_password("boss-pass-1")),
                         Agent(username="plain", display_name="坐席", role="agent",
                               password_hash=hash_password("plain-pass-1"))])

    def signed_in(username: str, password: str) -> TestClient:
        client = TestClient(create_app(secret_key="test-secret"), base_url="http://127.0.0.1")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/agent/login").text).group(1)
        done = client.post("/agent/login", data={"username": username, "password": password, "csrf": token},
                           follow_redirects=False)
        assert done.status_code == 303 and not done.headers["location"].endswith("/login")
        return client

    def csrf(client: TestClient) -> str:
        page = client.get("/agent/")
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    anonymous = TestClient(create_app(secret_key="test-secret"), base_url="http://127.0.0.1")
    assert anonymous.get("/agent/privacy", follow_redirects=False).status_code in (303, 401)
    plain = signed_in("plain", "plain-pass-1")
    assert plain.get("/agent/privacy").status_code == 403
    refused = plain.post("/agent/privacy/erase", data={"customer_id": str(state["zhang_id"]), "confirm": "yes",
                                                       "csrf": csrf(plain)})
    assert refused.status_code == 403
    with session_scope(urls["loans"]) as session:
        assert session.get(Customer, state["zhang_id"]).wechat_openid == ZHANG_OPENID  # untouched

    boss = signed_in("boss", "boss-pass-1")
    assert "删除个人信息" in boss.get("/agent/privacy").text
    forged = boss.post("/agent/privacy/erase", data={"customer_id": str(state["zhang_id"]), "confirm": "yes",
                                                     "csrf": "forged"})
    assert forged.status_code == 403
    token = csrf(boss)
    unconfirmed = boss.post("/agent/privacy/erase", data={"customer_id": str(state["zhang_id"]), "csrf": token})
    assert unconfirmed.status_code == 200 and "勾选确认" in unconfirmed.text  # first, whom it names
    assert "张*" in unconfirmed.text and "**************3021" in unconfirmed.text
    assert "110101198503153021" not in unconfirmed.text and "13800138866" not in unconfirmed.text
    with session_scope(urls["loans"]) as session:
        assert session.get(Customer, state["zhang_id"]).phone == "13800138866"  # nothing erased yet
    for hostile in ("", "1 OR 1=1", "9" * 40, "²", "<script>"):
        assert boss.post("/agent/privacy/erase", data={"customer_id": hostile, "confirm": "yes",
                                                       "csrf": token}).status_code == 400
    assert boss.post("/agent/privacy/erase", data={"customer_id": "999999", "confirm": "yes",
                                                   "csrf": token}).status_code == 404
    done = boss.post("/agent/privacy/erase", data={"customer_id": str(state["zhang_id"]), "confirm": "yes",
                                                   "csrf": token})
    assert done.status_code == 200 and "已删除" in done.text and "微信绑定：1" in done.text
    assert "依法保留" in done.text and "贷款合同" in done.text
    again = boss.post("/agent/privacy/erase", data={"customer_id": str(state["zhang_id"]), "confirm": "yes",
                                                    "csrf": token})
    assert "已无可删除的个人信息" in again.text
    with session_scope(urls["loans"]) as session:
        zhang = session.get(Customer, state["zhang_id"])
        assert (zhang.phone, zhang.wechat_openid) == ("", None)
        boss_id = session.execute(select(Agent.id).where(Agent.username == "boss")).scalar_one()
        assert session.execute(select(func.count(AuditEntry.id)).where(
            AuditEntry.agent_id == boss_id, AuditEntry.action == "erase_customer",
            AuditEntry.customer_id == zhang.id)).scalar_one() == 2
        assert {e.requested_by for e in session.execute(select(Erasure)).scalars()} == {"agent:boss"}
    assert all(row.sender_id.startswith("erased-") for row in tracker_rows(urls["tracker"]))


def test_the_reminder_scheduler_applies_retention_once_per_period(urls, monkeypatch, capsys):
    from reminders.scheduler import main
    from tests.reminder_helpers import FakeRasa

    monkeypatch.setenv("LOAN_DB_URL", urls["loans"])
    monkeypatch.setenv("TRACKER_DB_URL", urls["tracker"])
    monkeypatch.setattr("reminders.scheduler.RasaConversations", lambda: FakeRasa())
    now = now_in_china()
    state = play_full_demo(urls["loans"], now)
    with session_scope(urls["loans"]) as session:
        session.add(Reminder(customer_id=state["zhang_id"], loan_id=state["loan_id"], occasion="overdue",
                             due_date=now.date() - timedelta(days=400), days_from_due=1,
                             decided_at=now - timedelta(days=400), status="skipped", reason="quiet_hours"))
    moment = now.strftime("%Y-%m-%dT%H:%M")
    main(["--once", "--now", moment])
    assert "==> retention: reminders 1" in capsys.readouterr().out
    main(["--once", "--now", moment])  # the next look, minutes later: not due again
    assert "==> retention" not in capsys.readouterr().out
    with session_scope(urls["loans"]) as session:
        assert session.execute(select(func.count(RetentionRun.id))).scalar_one() == 1
        assert session.execute(select(func.count(Reminder.id)).where(
            Reminder.decided_at < now - timedelta(days=300))).scalar_one() == 0


# --- the README's demo on the real servers, then a reset ----------------------------------

@pytest.mark.server
def test_reset_after_a_real_handoff_starts_the_conversation_afresh(servers):
    """The demo as a new user plays it: 张伟 verifies, asks for a person (the bot pauses for the
    agent), then `seed --reset`: no ticket left, and the same conversation starts over."""
    from console.tickets import queue

    sender = f"demo-reset-{uuid.uuid4().hex[:8]}"
    servers.verify(sender, "张伟")
    servers.say(sender, "我要人工")
    with session_scope(servers.loans_url) as session:
        # The channel names the conversation (REST: "rest:<sender>").
        ticket = session.execute(select(HandoffTicket).where(
            HandoffTicket.conversation_id.like(f"%{sender}"))).scalars().one()
        assert ticket.customer_id is not None and ticket.status == "open"
        conversation = ticket.conversation_id
        session.add(Reminder(customer_id=ticket.customer_id, loan_id=session.get(Customer, ticket.customer_id).loans[0].id,
                             occasion="overdue", due_date=now_in_china().date(), days_from_due=12,
                             decided_at=now_in_china(), status="sent", channel="rest", conversation_id=conversation,
                             claim=f"reset-test-{uuid.uuid4().hex[:6]}"))
    tracker_url = f"sqlite:///{servers.tracker_db}"
    assert tracker_rows(tracker_url, conversation)

    env = {**os.environ, "LOAN_DB_URL": servers.loans_url, "TRACKER_DB_URL": tracker_url}
    done = subprocess.run([sys.executable, "-m", "loandb.seed", "--reset"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    with session_scope(servers.loans_url) as session:
        assert [row for row in queue(session) if row["customer"] == "张伟"] == []
        assert session.execute(select(func.count(HandoffTicket.id)).where(
            HandoffTicket.conversation_id == conversation)).scalar_one() == 0
        zhang = customer_named(session, "张伟")
        assert session.execute(select(func.count(Reminder.id)).where(
            Reminder.customer_id == zhang.id)).scalar_one() == 0
    assert tracker_rows(tracker_url, conversation) == []
    # No longer paused for an agent nor verified: the bot answers and asks who is writing.
    reply = servers.texts(sender, "我现在欠多少钱")
    assert "身份证" in reply, reply
    assert "12,000.00" in servers.verify(sender, "张伟") + servers.texts(sender, "我现在欠多少钱")
