"""The dashboard at /agent/dashboard, read at a glance: headline numbers for today and the
last 7 days beside the period before, charts per day over 14 days (ECharts, served from
console/node_modules like the widget's socket.io client), handoff reasons, review results
per agent, and for supervisors a live panel: agents online, tickets per agent, who is
waiting and who has waited longer than policy's ``target_wait_minutes``; customers' satisfaction
ratings per day (beside complaints) and per agent.

Conversations, containment and complaints come from Rasa's events table (the tracker
store); tickets, promises and reviews from the loan database. The routes are in
console/routes/dashboard.py.
"""

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from console.identity_locks import failure_counts
from console.pages import SUPERVISOR
from console.reviews import REVIEW_WORDS
from console.tickets import CHANNEL_WORDS, REASON_WORDS
from loandb import identity_store
from loandb.models import Agent, Customer, HandoffTicket, Payment, ServiceRequest
from loandb.satisfaction import SCORES, ratings_per_agent, ratings_per_day
from loandb.session import session_scope
from loandb.ticket_reviews import reviews_per_agent
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.clock import CHINA, as_china, now_in_china
from settings import current as current_settings

DAYS = 14
REVIEW_DAYS = 30
ECHARTS = Path(__file__).resolve().parent / "node_modules" / "echarts" / "dist" / "echarts.min.js"


@dataclass
class Activity:
    """What happened in a span of days, from which every figure is counted."""

    conversations: dict[date, set[str]]
    complaints: Counter
    messages: Counter
    fallbacks: Counter
    negative: Counter  # strongly negative messages
    requests: Counter  # service requests created
    tickets: list[HandoffTicket]
    promises: list[ServiceRequest]
    kept: set[int]  # ids of promises kept


def _day(moment: datetime) -> date:
    return as_china(moment).date()


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), CHINA)


def _user_events(since: datetime) -> list[dict[str, Any]]:
    """Customer messages since a moment, from Rasa's SQL tracker store."""
    engine = create_engine(current_settings().tracker_db_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "select sender_id, timestamp, intent_name, data from events "
                    "where type_name = 'user' and timestamp >= :since"
                ),
                {"since": since.timestamp()},
            ).all()
    except Exception:  # no conversation stored yet: the table does not exist
        return []
    finally:
        engine.dispose()
    return [
        {
            "sender": r[0],
            "day": datetime.fromtimestamp(r[1], CHINA).date(),
            "intent": r[2],
            "negative": bool(
                ((json.loads(r[3] or "{}").get("parse_data") or {}).get("emotion") or {}).get(
                    "strongly_negative"
                )
            ),
        }
        for r in rows
        if not (r[2] or "").startswith("EXTERNAL_")
    ]  # a reminder the bank sent is no customer message


def _kept(session: Session, promise: ServiceRequest, today: date) -> bool:
    """Paid at least the promised amount on that loan between the promise and its date."""
    if promise.target_date is None or promise.loan_id is None:
        return False
    until = _start(min(promise.target_date, today) + timedelta(days=1))
    paid = (
        session.query(Payment)
        .filter(
            Payment.loan_id == promise.loan_id,
            Payment.paid_at >= promise.created_at,
            Payment.paid_at < until,
        )
        .all()
    )
    return sum((p.amount for p in paid), Decimal("0")) >= (promise.amount or Decimal("0"))


def activity(session: Session, since: date, today: date, events: list[dict[str, Any]]) -> Activity:
    conversations: dict[date, set[str]] = defaultdict(set)
    complaints, messages, fallbacks, negative = Counter(), Counter(), Counter(), Counter()
    for event in events:
        negative[event["day"]] += event["negative"]
        conversations[event["day"]].add(event["sender"])
        messages[event["day"]] += 1
        fallbacks[event["day"]] += event["intent"] == "nlu_fallback"
        complaints[event["day"]] += event["intent"] == "complain"
    tickets = (
        session.execute(select(HandoffTicket).where(HandoffTicket.created_at >= _start(since)))
        .scalars()
        .all()
    )
    promises = (
        session.execute(
            select(ServiceRequest).where(
                ServiceRequest.kind == "promise_to_pay", ServiceRequest.created_at >= _start(since)
            )
        )
        .scalars()
        .all()
    )
    requests = Counter(
        _day(moment)
        for moment in session.execute(
            select(ServiceRequest.created_at).where(ServiceRequest.created_at >= _start(since))
        ).scalars()
    )
    return Activity(
        conversations,
        complaints,
        messages,
        fallbacks,
        negative,
        requests,
        tickets,
        promises,
        {p.id for p in promises if _kept(session, p, today)},
    )


def wait_minutes(ticket: HandoffTicket, now: datetime) -> float:
    """From the handoff until a person took it (claimed, or resolved); still waiting: until now."""
    reached = ticket.claimed_at or ticket.resolved_at
    return max((as_china(reached or now) - as_china(ticket.created_at)).total_seconds() / 60, 0.0)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def period_figures(seen: Activity, days: list[date], now: datetime) -> dict[str, float | None]:
    """The headline numbers over some days."""
    wanted = set(days)
    talked = set().union(*[seen.conversations.get(d, set()) for d in days])
    tickets = [t for t in seen.tickets if _day(t.created_at) in wanted]
    handed = {t.conversation_id for t in tickets}
    promises = [p for p in seen.promises if _day(p.created_at) in wanted]
    return {
        "conversations": len(talked),
        "containment": round(100 * (1 - len(handed & talked) / len(talked)), 1) if talked else None,
        "handoffs": len(tickets),
        "complaints": sum(seen.complaints.get(d, 0) for d in days),
        "promises_made": len(promises),
        "promises_kept": sum(p.id in seen.kept for p in promises),
        "median_wait": _median([wait_minutes(t, now) for t in tickets]),
    }


HEADLINES = [
    ("conversations", "会话数", ""),
    ("containment", "机器人独立解决率", "%"),
    ("handoffs", "转人工", ""),
    ("complaints", "投诉", ""),
    ("promises_made", "还款承诺", ""),
    ("promises_kept", "已兑现承诺", ""),
    ("median_wait", "等待人工中位数", "分钟"),
]
# Which way is better, so a rise is shown green or red (conversations and promises made: neither).
RISE_IS_GOOD = {
    "containment": True,
    "promises_kept": True,
    "handoffs": False,
    "complaints": False,
    "median_wait": False,
}


def change_words(key: str, now: float | None, before: float | None) -> dict[str, Any]:
    """The change against the period before, as a reader wants it: points for a share,
    per cent for a count, nothing to compare with when there was nothing before."""
    if now is None or before is None:
        return {"text": "无可比数据", "direction": "flat"}
    difference = now - before
    direction = "up" if difference > 0 else "down" if difference < 0 else "flat"
    arrow = {"up": "↑", "down": "↓", "flat": "→"}[direction]
    if direction != "flat" and key in RISE_IS_GOOD:
        direction += " good" if (direction == "up") == RISE_IS_GOOD[key] else " bad"
    if key == "containment":
        return {"text": f"{arrow} {abs(difference):.1f} 个百分点", "direction": direction}
    if key == "median_wait":
        return {"text": f"{arrow} {abs(difference):.1f} 分钟", "direction": direction}
    if before == 0:
        return {"text": f"{arrow} 上期为 0" if difference else "→ 持平", "direction": direction}
    share = (Decimal(abs(difference)) * 100 / Decimal(before)).quantize(Decimal("1"), ROUND_HALF_UP)
    return {"text": f"{arrow} {share}%" if difference else "→ 持平", "direction": direction}


def headline(
    seen: Activity, current: list[date], previous: list[date], now: datetime
) -> list[dict[str, Any]]:
    figures, before = period_figures(seen, current, now), period_figures(seen, previous, now)
    return [
        {
            "key": key,
            "title": title,
            "unit": unit,
            "value": figures[key],
            "previous": before[key],
            "change": change_words(key, figures[key], before[key]),
        }
        for key, title, unit in HEADLINES
    ]


def dashboard(session: Session, today: date, now: datetime | None = None) -> dict[str, Any]:
    """Every figure on the page, for everyone who may see the dashboard."""
    now = now or now_in_china()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    seen = activity(session, days[0], today, _user_events(_start(days[0])))
    per_day = {day: period_figures(seen, [day], now) for day in days}
    reasons = Counter(t.reason for t in seen.tickets if _day(t.created_at) >= days[-7])
    return {
        "today": headline(seen, [today], [today - timedelta(days=1)], now),
        "week": headline(seen, days[-7:], days[-14:-7], now),
        "days": [d.strftime("%m-%d") for d in days],
        "series": {key: [per_day[d][key] for d in days] for key, _, _ in HEADLINES},
        "fallback_rate": [
            round(100 * seen.fallbacks[d] / seen.messages[d], 1) if seen.messages[d] else None
            for d in days
        ],
        "negative": [seen.negative.get(d, 0) for d in days],
        "requests": [seen.requests.get(d, 0) for d in days],
        "reasons": [
            {"reason": REASON_WORDS.get(r, r), "count": c} for r, c in reasons.most_common()
        ],
        "reviews": [
            {**row, "words": {REVIEW_WORDS[o]: row[o] for o in REVIEW_WORDS}}
            for row in reviews_per_agent(session, _start(today - timedelta(days=REVIEW_DAYS - 1)))
        ],
        "review_words": list(REVIEW_WORDS.values()),
        # Customers' own ratings (满意度), per day beside the complaints, and per agent for
        # handed-back tickets.
        # Failed identity checks across every channel: a spike is someone guessing (issue 13).
        "identity": {
            **failure_counts(session),
            "locked": len(identity_store.active_locks(session, now)),
        },
        "satisfaction": {
            **ratings_per_day(session, _start(days[0]), days),
            "scores": list(SCORES),
            "per_agent": ratings_per_agent(
                session, _start(today - timedelta(days=REVIEW_DAYS - 1))
            ),
        },
    }


def supervisor_panel(session: Session, now: datetime, policy: BankRules) -> dict[str, Any]:
    """Who is here, who holds what, and who is waiting (too long, against policy's target)."""
    agents = session.execute(select(Agent).order_by(Agent.id)).scalars().all()
    names = {a.id: a.display_name for a in agents}
    present_since = now - timedelta(minutes=policy.agent_present_minutes)
    open_tickets = (
        session.execute(
            select(HandoffTicket)
            .where(HandoffTicket.status == "open")
            .order_by(HandoffTicket.created_at)
        )
        .scalars()
        .all()
    )
    resolved_today = Counter(
        session.execute(
            select(HandoffTicket.agent_id).where(
                HandoffTicket.status == "resolved", HandoffTicket.resolved_at >= _start(now.date())
            )
        ).scalars()
    )
    holding = Counter(t.claimed_by for t in open_tickets if t.claimed_by)
    customers = {
        c.id: c.name
        for c in session.execute(
            select(Customer).where(
                Customer.id.in_({t.customer_id for t in open_tickets if t.customer_id})
            )
        ).scalars()
    }
    waiting = []
    for ticket in open_tickets:
        minutes = wait_minutes(ticket, now)
        waiting.append(
            {
                "id": ticket.id,
                "reason": REASON_WORDS.get(ticket.reason, ticket.reason),
                "priority": ticket.priority,
                "channel": CHANNEL_WORDS.get(ticket.channel, ticket.channel),
                "customer": customers.get(ticket.customer_id, "未核实身份"),
                "holder": names.get(ticket.claimed_by, ""),
                "minutes": int(minutes),
                "over_target": not ticket.claimed_by and minutes > policy.target_wait_minutes,
            }
        )
    return {
        "target_minutes": policy.target_wait_minutes,
        "online": [
            {
                "name": a.display_name,
                "supervisor": a.role == SUPERVISOR,
                "seen": as_china(a.last_seen_at).strftime("%H:%M"),
            }
            for a in agents
            if a.last_seen_at and as_china(a.last_seen_at) >= present_since
        ],
        "per_agent": [
            {
                "name": a.display_name,
                "holding": holding[a.id],
                "resolved_today": resolved_today[a.id],
            }
            for a in agents
            if holding[a.id] or resolved_today[a.id]
        ],
        "waiting": waiting,
        "over_target": sum(w["over_target"] for w in waiting),
    }


def figures_for(agent: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's figures, with the live panel for a supervisor."""
    now = now_in_china()
    with session_scope() as session:
        found = dashboard(session, now.date(), now)
        if agent.get("role") == SUPERVISOR:
            found["panel"] = supervisor_panel(session, now, load_bank_rules())
    return found
