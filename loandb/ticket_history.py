"""Every handoff ticket, filtered, newest first: the console's history and its CSV export.

Filters combine (all must hold): China-time date range of creation, reason, channel,
status, priority, the agent who resolved it, the customer (a name, or the last digits of
the ID or phone number), the supervisor's review outcome, and a phrase in the customer's
or agents' words (loandb/search_index.py).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from loandb.models import Agent, Customer, HandoffTicket, TicketReview, TicketTranscript
from loandb.search_index import tickets_saying
from overdue.clock import CHINA

NOT_REVIEWED = "none"
_NUMBER = re.compile(r"\d{3,}[\dXx]")  # an ID or phone number, or its last digits
SNIPPET_CHARS = 24


@dataclass
class HistoryFilter:
    since: date | None = None
    until: date | None = None  # inclusive
    reason: str = ""
    channel: str = ""
    status: str = ""
    priority: int | None = None
    agent_id: int | None = None
    customer: str = ""  # a name, or a phone / ID tail
    review: str = ""  # an outcome, or NOT_REVIEWED
    phrase: str = ""


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA)


def _customers_matching(words: str) -> Select:
    words = words.strip()[:50]
    if _NUMBER.fullmatch(words):
        tail = words[-4:].upper()  # only the tails are kept in the clear beside the number
        return select(Customer.id).where(
            (Customer.id_last4 == tail) | (Customer.phone_last4 == tail)
        )
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return select(Customer.id).where(Customer.name.like(f"%{escaped}%", escape="\\"))


def filtered(session: Session, wanted: HistoryFilter) -> Select:
    """A select of the tickets that pass every filter given (no order, no limit)."""
    query = select(HandoffTicket)
    if wanted.since:
        query = query.where(HandoffTicket.created_at >= _start_of(wanted.since))
    if wanted.until:
        query = query.where(HandoffTicket.created_at < _start_of(wanted.until + timedelta(days=1)))
    for column, value in (
        (HandoffTicket.reason, wanted.reason),
        (HandoffTicket.channel, wanted.channel),
        (HandoffTicket.status, wanted.status),
    ):
        if value:
            query = query.where(column == value)
    if wanted.priority is not None:
        query = query.where(HandoffTicket.priority == wanted.priority)
    if wanted.agent_id is not None:
        query = query.where(HandoffTicket.agent_id == wanted.agent_id)
    if wanted.customer.strip():
        query = query.where(HandoffTicket.customer_id.in_(_customers_matching(wanted.customer)))
    if wanted.review == NOT_REVIEWED:
        query = query.where(~HandoffTicket.id.in_(select(TicketReview.ticket_id)))
    elif wanted.review:
        query = query.where(
            HandoffTicket.id.in_(
                select(TicketReview.ticket_id).where(TicketReview.outcome == wanted.review)
            )
        )
    if wanted.phrase.strip():
        query = query.where(HandoffTicket.id.in_(tickets_saying(session, wanted.phrase)))
    return query


def count(session: Session, wanted: HistoryFilter, up_to: int | None = None) -> int:
    """How many tickets pass, counted up to ``up_to`` when given (a common word matches tens of
    thousands: the page says "more than" instead of counting them all)."""
    query = filtered(session, wanted)
    if up_to is not None:
        query = query.limit(up_to)
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def _snippet(text: str, phrase: str) -> str:
    """Where the phrase was said, with a little around it; or how the customer began."""
    at = text.lower().find(phrase.lower()) if phrase else -1
    if at < 0:
        return text[: SNIPPET_CHARS * 2].replace("\n", " / ")
    start = max(at - SNIPPET_CHARS, 0)
    return ("…" if start else "") + text[start : at + len(phrase) + SNIPPET_CHARS].replace(
        "\n", " / "
    )


def rows(
    session: Session, wanted: HistoryFilter, offset: int = 0, limit: int = 50
) -> list[dict[str, Any]]:
    """One page of tickets, newest first, each with its customer, agent, review and a snippet."""
    tickets = (
        session.execute(
            filtered(session, wanted)
            .order_by(HandoffTicket.created_at.desc(), HandoffTicket.id.desc())
            .offset(offset)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    ids = [t.id for t in tickets]
    customers = {
        c.id: c
        for c in session.execute(
            select(Customer).where(
                Customer.id.in_({t.customer_id for t in tickets if t.customer_id})
            )
        ).scalars()
    }
    agents = {a.id: a.display_name for a in session.execute(select(Agent)).scalars()}
    reviews = {
        r.ticket_id: r
        for r in session.execute(
            select(TicketReview).where(TicketReview.ticket_id.in_(ids))
        ).scalars()
    }
    words = dict(
        session.execute(
            select(TicketTranscript.ticket_id, TicketTranscript.search_text).where(
                TicketTranscript.ticket_id.in_(ids)
            )
        ).all()
    )
    phrase = " ".join(wanted.phrase.split())
    found = []
    for ticket in tickets:
        customer = customers.get(ticket.customer_id)
        review = reviews.get(ticket.id)
        found.append(
            {
                "id": ticket.id,
                "created_at": ticket.created_at,
                "resolved_at": ticket.resolved_at,
                "reason": ticket.reason,
                "channel": ticket.channel,
                "status": ticket.status,
                "priority": ticket.priority,
                "customer": customer.name if customer else "",
                "id_last4": customer.id_last4 if customer else "",
                "phone_last4": customer.phone_last4 if customer else "",
                "agent": agents.get(ticket.agent_id, ""),
                "review_outcome": review.outcome if review else "",
                "review_score": review.score if review else None,
                "review_comment": review.comment if review else "",
                "snippet": _snippet(words.get(ticket.id) or "", phrase),
            }
        )
    return found


def all_rows(
    session: Session, wanted: HistoryFilter, batch: int = 500, cap: int = 100_000
) -> Iterator[dict[str, Any]]:
    """Every matching ticket, newest first, in batches (the CSV export)."""
    for offset in range(0, cap, batch):
        page = rows(session, wanted, offset, batch)
        yield from page
        if len(page) < batch:
            return


def agent_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (a.id, a.display_name) for a in session.execute(select(Agent).order_by(Agent.id)).scalars()
    ]
