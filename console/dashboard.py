"""Daily figures for the dashboard: conversations and containment, handoffs by reason,
complaints, fallback rate, strongly negative messages, promises made and kept, and
requests created. Conversations come from Rasa's events table; the rest from the loan
database."""
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, List

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from actions.clock import CHINA, as_china
from loandb.models import HandoffTicket, Payment, ServiceRequest
from persistence.urls import tracker_db_url

DAYS = 14


@dataclass
class Series:
    title: str
    values: Dict[date, float] = field(default_factory=dict)

    def chart(self, days: List[date]) -> Dict:
        """Title and one bar per day, its height as a share of the highest."""
        top = max([self.values.get(day, 0) for day in days] + [1])
        return {"title": self.title, "points": [
            {"day": day.strftime("%m-%d"), "value": self.values.get(day, 0),
             "height": round(100 * self.values.get(day, 0) / top)} for day in days]}


def _day(moment: datetime) -> date:
    return as_china(moment).date()


def _user_events(since: datetime) -> List[Dict]:
    """Customer messages since a moment, from Rasa's SQL tracker store."""
    engine = create_engine(tracker_db_url(), future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("select sender_id, timestamp, intent_name, data from events "
                     "where type_name = 'user' and timestamp >= :since"),
                {"since": since.timestamp()},
            ).all()
    except Exception:  # no conversation stored yet: the table does not exist
        return []
    finally:
        engine.dispose()
    return [{"sender": r[0], "day": datetime.fromtimestamp(r[1], CHINA).date(), "intent": r[2],
             "emotion": (json.loads(r[3]).get("parse_data") or {}).get("emotion") or {}} for r in rows
            if not (r[2] or "").startswith("EXTERNAL_")]  # a reminder the bank sent is no customer message


def dashboard(session: Session, today: date) -> Dict:
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = datetime.combine(days[0], datetime.min.time(), CHINA)
    events = _user_events(since)

    conversations: Dict[date, set] = defaultdict(set)
    fallbacks, messages, negative, complaints = Counter(), Counter(), Counter(), Counter()
    for event in events:
        conversations[event["day"]].add(event["sender"])
        messages[event["day"]] += 1
        fallbacks[event["day"]] += event["intent"] == "nlu_fallback"
        complaints[event["day"]] += event["intent"] == "complain"
        negative[event["day"]] += bool(event["emotion"].get("strongly_negative"))

    tickets = session.query(HandoffTicket).filter(HandoffTicket.created_at >= since).all()
    handed_over: Dict[date, set] = defaultdict(set)
    reasons: Counter = Counter()
    for ticket in tickets:
        handed_over[_day(ticket.created_at)].add(ticket.conversation_id)
        reasons[ticket.reason] += 1

    requests = session.query(ServiceRequest).filter(ServiceRequest.created_at >= since).all()
    made, kept, created = Counter(), Counter(), Counter()
    for request in requests:
        day = _day(request.created_at)
        created[day] += 1
        if request.kind == "promise_to_pay":
            made[day] += 1
            kept[day] += _kept(session, request, today)

    return {
        "days": [d.strftime("%m-%d") for d in days],
        "charts": [
            Series("会话数", {d: len(s) for d, s in conversations.items()}).chart(days),
            Series("机器人独立解决率 %", {d: round(100 * (1 - len(handed_over[d] & s) / len(s))) for d, s in
                                          conversations.items() if s}).chart(days),
            Series("转人工", {d: len(s) for d, s in handed_over.items()}).chart(days),
            Series("投诉", dict(complaints)).chart(days),
            Series("未理解率 %", {d: round(100 * fallbacks[d] / messages[d]) for d in messages if messages[d]}).chart(days),
            Series("强烈负面消息", dict(negative)).chart(days),
            Series("还款承诺", dict(made)).chart(days),
            Series("已兑现承诺", dict(kept)).chart(days),
            Series("新建申请", dict(created)).chart(days),
        ],
        "reasons": reasons.most_common(),
    }


def _kept(session: Session, promise: ServiceRequest, today: date) -> bool:
    """Paid at least the promised amount on that loan between the promise and its date."""
    if promise.target_date is None or promise.loan_id is None:
        return False
    until = datetime.combine(min(promise.target_date, today) + timedelta(days=1), datetime.min.time(), CHINA)
    paid = session.query(Payment).filter(Payment.loan_id == promise.loan_id, Payment.paid_at >= promise.created_at,
                                         Payment.paid_at < until).all()
    return sum((p.amount for p in paid), Decimal("0")) >= (promise.amount or Decimal("0"))
