"""Hands the conversation to a person: a ticket with what the agent needs, a kind word to
the customer about who answers and when, and the bot paused while a person talks."""

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.base import BankAction
from actions.satisfaction import ask_for_rating
from loandb.models import Agent, HandoffTicket, ServiceRequest
from loandb.session import session_scope
from loandb.snapshots import customer_snapshot
from overdue.bank_rules import BankRules, load_bank_rules, within_service_hours
from overdue.clock import now_in_china, today_in_china
from overdue.handoff_triggers import SELF_HARM, message_trigger, recent_user_messages
from overdue.masking import mask_numbers
from overdue.money import format_yuan

logger = logging.getLogger(__name__)

INTENT_REASONS = {"request_human": "customer_request", "complain": "complaint"}
PRIORITY = {SELF_HARM: 1, "dispute": 2, "complaint": 2, "negative_emotion": 2}
DEFAULT_PRIORITY = 3


def handoff_reason(tracker: Tracker) -> str:
    recent = recent_user_messages(tracker.events)
    trigger = message_trigger(recent)
    if trigger:
        return trigger
    if tracker.get_slot("handoff_reason"):
        return tracker.get_slot("handoff_reason")
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return INTENT_REASONS.get(intent, "customer_request")


def summary(
    tracker: Tracker, customer_id: int | None, policy: BankRules, session
) -> dict[str, Any]:
    """What the agent reads first.

    The customer's words, the bot's answers, the loans, the requests.
    """
    asked = [
        mask_numbers(m.get("text") or "") for m in recent_user_messages(tracker.events, limit=6)
    ]
    answered = [
        mask_numbers(e.get("text") or "") for e in tracker.events if e.get("event") == "bot"
    ][-4:]
    loans: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    if customer_id:
        for loan in customer_snapshot(session, customer_id, today_in_china(), policy):
            loans.append(
                {
                    "product": loan.product_name,
                    "tail": loan.account_tail,
                    "kind": loan.kind,
                    "overdue": format_yuan(loan.overdue_amount),
                    "days_overdue": loan.days_overdue,
                    "charges": format_yuan(loan.charges),
                    "reported": loan.reported,
                }
            )
        for request in session.execute(
            select(ServiceRequest)
            .where(ServiceRequest.customer_id == customer_id)
            .order_by(ServiceRequest.id)
        ).scalars():
            requests.append(
                {"reference": request.reference, "kind": request.kind, "status": request.status}
            )
    return {
        "asked": asked,
        "answered": answered,
        "loans": loans,
        "requests": requests,
        "verified": bool(customer_id),
    }


def agents_present(session, now: datetime, policy: BankRules) -> int:
    since = now - timedelta(minutes=policy.agent_present_minutes)
    return session.execute(
        select(func.count(Agent.id)).where(Agent.last_seen_at >= since)
    ).scalar_one()


class ActionHandoff(BankAction):
    def name(self) -> str:
        return "action_handoff"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        now = now_in_china()
        reason = handoff_reason(tracker)
        customer_id = tracker.get_slot("customer_id") if tracker.get_slot("verified") else None
        priority = PRIORITY.get(reason, DEFAULT_PRIORITY)
        if reason == SELF_HARM:
            dispatcher.utter_message(response="utter_handoff_crisis")
        with session_scope() as session:
            ticket = (
                session.execute(
                    select(HandoffTicket).where(
                        HandoffTicket.conversation_id == tracker.sender_id,
                        HandoffTicket.status == "open",
                    )
                )
                .scalars()
                .first()
            )
            if ticket is None:
                ticket = HandoffTicket(
                    conversation_id=tracker.sender_id,
                    channel=tracker.get_latest_input_channel() or "rest",
                    customer_id=customer_id,
                    reason=reason,
                    priority=priority,
                    summary=json.dumps(
                        summary(tracker, customer_id, policy, session), ensure_ascii=False
                    ),
                    created_at=now,
                    status="open",
                )
                session.add(ticket)
                session.flush()
            else:
                ticket.priority = min(ticket.priority, priority)
            ahead = session.execute(
                select(func.count(HandoffTicket.id)).where(
                    HandoffTicket.status == "open",
                    HandoffTicket.id < ticket.id,
                    HandoffTicket.priority <= ticket.priority,
                )
            ).scalar_one()
            present = agents_present(session, now, policy)
            ticket_id = ticket.id
        logger.info(
            "conversation %s handed over: ticket %s, reason %s",
            tracker.sender_id,
            ticket_id,
            reason,
        )
        events: list[dict[str, Any]] = [
            SlotSet("handoff_reason", None),
            SlotSet("handoff_ticket_id", ticket_id),
        ]
        if not within_service_hours(now.time(), policy):
            dispatcher.utter_message(
                response="utter_handoff_after_hours",
                opens=policy.service_opens.strftime("%H:%M"),
                closes=policy.service_closes.strftime("%H:%M"),
            )
            return events
        if not present:
            dispatcher.utter_message(response="utter_handoff_no_agent")
            return events
        wait = max(1, (ahead + 1) * policy.minutes_per_waiting_ticket)
        dispatcher.utter_message(response="utter_handoff_started", wait_minutes=wait)
        return [*events, ConversationPaused()]


class ActionRelayAgentMessage(BankAction):
    """Carries an agent's words to a web chat customer, marked as a person's.

    The console sets ``agent_message`` and runs this action through Rasa's API with the
    conversation's own output channel, since only the Rasa server holds the socket.
    """

    def name(self) -> str:
        return "action_relay_agent_message"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        text = tracker.get_slot("agent_message")
        if text:
            dispatcher.utter_message(
                json_message={
                    "data": {
                        "text": text,
                        "metadata": {"agent": tracker.get_slot("agent_name") or "人工客服"},
                    }
                }
            )
        return [SlotSet("agent_message", None)]


class ActionHandback(BankAction):
    """The bot is back: said through the customer's own channel when the agent resolves."""

    def name(self) -> str:
        return "action_handback"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        # The customer rates the person who helped them, once per ticket (actions/satisfaction.py).
        ticket_id = tracker.get_slot("handoff_ticket_id")
        asked = ask_for_rating(
            dispatcher,
            tracker,
            ticket_id=int(ticket_id) if ticket_id is not None else None,
            response="utter_handoff_resolved_ask_satisfaction",
        )
        if not asked:
            dispatcher.utter_message(response="utter_handoff_resolved")
        return [SlotSet("handoff_ticket_id", None), *asked]
