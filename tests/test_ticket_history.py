"""The history of tickets: filters, and search in the customers' and agents' words (Chinese,
no spaces), on SQLite and PostgreSQL alike."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from overdue.clock import now_in_china
from loandb.models import Agent, Customer, HandoffTicket, TicketReview, TicketTranscript
from loandb.session import session_scope
from loandb.ticket_history import NOT_REVIEWED, HistoryFilter, count, rows
from loandb.transcripts import keep_transcript, kept_messages


def message(sender, text, agent=""):
    return {"at": now_in_china().isoformat(timespec="seconds"), "sender": sender, "agent": agent, "text": text,
            "intent": "complain" if sender == "customer" else "", "confidence": 0.9, "emotion": None}


@pytest.fixture
def tickets(seeded_db_url):
    """Three tickets of a fresh agent: two resolved with transcripts, one open."""
    marker = uuid.uuid4().hex[:8]
    now = now_in_china()
    with session_scope(seeded_db_url) as session:
        agent = Agent(username=f"hist-{marker}", display_name=f"小周{marker}", password_hash="-")
        session.add(agent)
        zhang = session.execute(select(Customer).where(Customer.name == "张伟")).scalars().one()
        made = []
        for days_ago, reason, channel, status, customer in ((3, "complaint", "wechat", "resolved", zhang),
                                                             (1, "dispute", "socketio", "resolved", None),
                                                             (0, "customer_request", "rest", "open", zhang)):
            ticket = HandoffTicket(conversation_id=f"hist-{marker}-{days_ago}", channel=channel, reason=reason,
                                   priority=2, status=status, summary="{}", created_at=now - timedelta(days=days_ago),
                                   customer_id=customer.id if customer else None)
            session.add(ticket)
            session.flush()
            if status == "resolved":
                ticket.agent_id, ticket.resolved_at = agent.id, now
            made.append(ticket.id)
        session.flush()
        keep_transcript(session, made[0], [
            message("customer", f"你们的罚息太高了，我要投诉{marker}"),
            message("bot", "非常抱歉给您带来困扰，正在为您转接人工服务"),
            message("agent", "您好，我是客服小周，罚息可以申请减免审核", agent="小周"),
        ], now)
        keep_transcript(session, made[1], [
            message("customer", "这笔钱不是我借的 Card ABC"), message("bot", "您好，请问还有什么可以帮您"),
        ], now)
        agent_id = agent.id
    yield {"ids": made, "agent_id": agent_id, "marker": marker, "url": seeded_db_url}
    with session_scope(seeded_db_url) as session:
        session.execute(delete(TicketReview).where(TicketReview.ticket_id.in_(made)))
        session.execute(delete(HandoffTicket).where(HandoffTicket.id.in_(made)))
        session.execute(delete(Agent).where(Agent.id == agent_id))


def found(url, **wanted):
    with session_scope(url) as session:
        return [row["id"] for row in rows(session, HistoryFilter(**wanted), limit=1000)]


def test_a_phrase_the_customer_typed_finds_its_ticket(tickets):
    first, second, _ = tickets["ids"]
    assert found(tickets["url"], phrase=f"我要投诉{tickets['marker']}") == [first]
    assert found(tickets["url"], phrase="不是我借的") == [second]


def test_a_two_character_word_is_found_too(tickets):
    first, second, _ = tickets["ids"]
    assert first in found(tickets["url"], phrase="罚息", agent_id=tickets["agent_id"])
    assert found(tickets["url"], phrase="借的", agent_id=tickets["agent_id"]) == [second]


def test_the_agents_words_are_searched_and_the_bots_are_not(tickets):
    first, second, _ = tickets["ids"]
    assert found(tickets["url"], phrase="申请减免审核", agent_id=tickets["agent_id"]) == [first]
    assert found(tickets["url"], phrase="还有什么可以帮您", agent_id=tickets["agent_id"]) == []


def test_latin_letters_match_in_either_case_and_wildcards_are_plain_characters(tickets):
    second = tickets["ids"][1]
    assert found(tickets["url"], phrase="card abc", agent_id=tickets["agent_id"]) == [second]
    assert found(tickets["url"], phrase="RD", agent_id=tickets["agent_id"]) == [second]
    assert found(tickets["url"], phrase="%", agent_id=tickets["agent_id"]) == []
    assert found(tickets["url"], phrase='"罚息" OR 借', agent_id=tickets["agent_id"]) == []  # no query syntax


def test_newest_first_and_every_filter_narrows(tickets):
    first, second, third = tickets["ids"]
    url, agent_id = tickets["url"], tickets["agent_id"]
    assert found(url, agent_id=agent_id) == [second, first]
    everything = found(url)
    assert everything.index(third) < everything.index(second) < everything.index(first)
    assert found(url, reason="complaint", agent_id=agent_id) == [first]
    assert found(url, channel="socketio", agent_id=agent_id) == [second]
    assert third in found(url, status="open") and first not in found(url, status="open")
    today = now_in_china().date()
    assert found(url, since=today - timedelta(days=2), until=today - timedelta(days=1), agent_id=agent_id) == [second]
    assert found(url, since=today - timedelta(days=10), until=today - timedelta(days=2), agent_id=agent_id) == [first]


@pytest.mark.parametrize("words", ["张伟", "张", "3021", "8866", "110101199001013021"])
def test_the_customer_filter_takes_a_name_or_a_number_tail(tickets, words):
    first, _, third = tickets["ids"]
    ids = found(tickets["url"], customer=words)
    assert first in ids and third in ids and tickets["ids"][1] not in ids


def test_the_review_filter(tickets):
    first, second, _ = tickets["ids"]
    with session_scope(tickets["url"]) as session:
        session.add(TicketReview(ticket_id=first, reviewer_id=tickets["agent_id"], outcome="needs_improvement",
                                 score=3, comment="先致歉再解释", reviewed_at=now_in_china()))
    url, agent_id = tickets["url"], tickets["agent_id"]
    assert found(url, review="needs_improvement", agent_id=agent_id) == [first]
    assert found(url, review="handled_well", agent_id=agent_id) == []
    assert found(url, review=NOT_REVIEWED, agent_id=agent_id) == [second]
    with session_scope(url) as session:
        [row] = rows(session, HistoryFilter(review="needs_improvement", agent_id=agent_id))
        assert (row["review_score"], row["review_comment"]) == (3, "先致歉再解释")
        assert count(session, HistoryFilter(agent_id=agent_id)) == 2


def test_a_snippet_shows_where_the_phrase_was_said(tickets):
    with session_scope(tickets["url"]) as session:
        [row] = rows(session, HistoryFilter(phrase="申请减免", agent_id=tickets["agent_id"]))
    assert "申请减免" in row["snippet"]


def test_a_transcript_replaced_is_searched_by_its_new_words_only(tickets):
    second = tickets["ids"][1]
    with session_scope(tickets["url"]) as session:
        keep_transcript(session, second, [message("customer", "我想办理延期还款手续")], now_in_china())
    assert found(tickets["url"], phrase="延期还款手续") == [second]
    assert found(tickets["url"], phrase="不是我借的", agent_id=tickets["agent_id"]) == []
    with session_scope(tickets["url"]) as session:
        assert [m["text"] for m in kept_messages(session, second)] == ["我想办理延期还款手续"]


def test_a_deleted_ticket_leaves_nothing_in_the_index(tickets):
    first = tickets["ids"][0]
    with session_scope(tickets["url"]) as session:
        session.execute(delete(HandoffTicket).where(HandoffTicket.id == first))
    with session_scope(tickets["url"]) as session:
        assert session.get(TicketTranscript, first) is None
    assert found(tickets["url"], phrase=f"我要投诉{tickets['marker']}") == []
