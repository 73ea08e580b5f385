"""Where a request goes next: the identity check, an answer, a remedy form, or a reply
given here (ineligible, already requested, waiver stored, payment found).

Runs on every account question and remedy request, and again when the identity check
ends, so that a flow resumes where the customer started it. It sets ``next_step``, a
categorical slot the rules branch on.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction, hand_over
from actions.identity import FORM as IDENTITY_FORM
from actions.identity import NEEDS_IDENTITY, bank_login_events, fresh_identity_slots, is_locked
from actions.loan_choice import find_loan
from actions.promise import prefill as prefill_promise
from actions.request_forms import reset_flow_slots, told_request_open, verified_loans
from loandb.models import Payment
from loandb.service_requests import create_request
from loandb.session import session_scope
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.clock import CHINA, now_in_china, today_in_china
from overdue.identity_digits import find_identity_digits
from overdue.money import format_yuan
from overdue.remedies import REMEDY_INTENTS, deferral_decision, waiver_decision

logger = logging.getLogger(__name__)

Step = list[dict[str, Any]]


# Right after a reminder (data/rules/reminders.yml routes these here), a plain yes is the
# customer saying they will pay.
REMINDER_REPLIES = {"affirm": "promise_to_pay"}
REMINDER_ACTION = "action_reminder_message"


def step(name: str, *events: dict[str, Any]) -> Step:
    return [*events, SlotSet("next_step", name)]


@dataclass(frozen=True)
class RequestMessage:
    """The customer message that made the request: after an identity check it is no longer
    the latest one, yet its loan, date, amount and reason still count."""

    text: str
    entities: dict[str, str]

    @classmethod
    def find(cls, tracker: Tracker, request: str | None) -> "RequestMessage":
        found: dict[str, Any] | None = None
        replied_to = None  # the bot's last action before the customer spoke
        for event in tracker.events:
            if event.get("event") == "action" and event.get("name") != "action_listen":
                replied_to = event.get("name")
            elif event.get("event") == "user":
                intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
                if intent == request or (
                    replied_to == REMINDER_ACTION and REMINDER_REPLIES.get(intent) == request
                ):
                    found = event
        if found is not None:
            parse_data = found.get("parse_data") or {}
            return cls.of(found.get("text") or "", parse_data.get("entities") or [])
        return cls.of(
            tracker.latest_message.get("text") or "", tracker.latest_message.get("entities") or []
        )

    @classmethod
    def of(cls, text: str, entities: list[dict[str, Any]]) -> "RequestMessage":
        # The first value of each entity, as the customer wrote it (or its synonym's value).
        values: dict[str, str] = {}
        for entity in entities:
            values.setdefault(entity.get("entity"), str(entity.get("value")))
        return cls(text, values)


def refusal(tracker: Tracker, request: str) -> Step:
    """A refused remedy; asked for again after the refusal, a person looks at it."""
    if tracker.get_slot("refused_request") == request:
        return step("done", *hand_over("refused_remedy"))
    return step("done", SlotSet("refused_request", request))


def _target_loans(message: RequestMessage, loans: list[LoanSnapshot]) -> list[LoanSnapshot]:
    """The loan the message names, else all of them."""
    kinds = [message.entities["loan_type"]] if "loan_type" in message.entities else []
    named = find_loan(message.text, kinds, loans)
    return [named] if named else loans


def _existing(
    dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, loan: LoanSnapshot
) -> bool:
    """Tells the customer about an open request of this kind instead of starting another."""
    with session_scope() as session:
        customer_id = int(tracker.get_slot("customer_id"))
        return told_request_open(dispatcher, session, customer_id, kind, loan.loan_id)


def _form_with_loan(form: str, candidates: list[LoanSnapshot], *events: dict[str, Any]) -> Step:
    """Starts a form, the loan chosen already when there is only one to choose."""
    chosen = [SlotSet("chosen_loan_id", candidates[0].loan_id)] if len(candidates) == 1 else []
    return step(form, *reset_flow_slots(), *chosen, *events)


def start_deferral(
    dispatcher,
    tracker: Tracker,
    message: RequestMessage,
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> Step:
    today = today_in_china()
    targets = _target_loans(message, loans)
    eligible = [loan for loan in targets if deferral_decision(loan, today, policy).eligible]
    if not eligible:
        refused = targets[0]
        reason = deferral_decision(refused, today, policy).reason
        dispatcher.utter_message(response=f"utter_deferral_refused_{reason}")
        # The next best remedy: a card can spread its balance; otherwise a person.
        dispatcher.utter_message(
            response="utter_offer_installment" if refused.is_card else "utter_offer_human_review"
        )
        return [
            *refusal(tracker, "request_deferral"),
            SlotSet("followup_topic", f"deferral_refused_{reason}"),
        ]
    if len(eligible) == 1 and _existing(dispatcher, tracker, "deferral", eligible[0]):
        return step("done")
    reason = message.entities.get("hardship_reason")
    return _form_with_loan(
        "deferral_form", eligible, *([SlotSet("deferral_reason", reason)] if reason else [])
    )


def start_installment(
    dispatcher,
    tracker: Tracker,
    message: RequestMessage,
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> Step:
    targets = [loan for loan in _target_loans(message, loans) if loan.is_overdue] or _target_loans(
        message, loans
    )
    # A card's plan is settled here; a loan's is negotiated and reviewed.
    cards = [loan for loan in targets if loan.is_card]
    candidates = (
        cards
        if cards and len(cards) == len(targets)
        else [loan for loan in targets if not loan.is_card] or cards
    )
    kind = "card_installment" if candidates[0].is_card else "negotiated_plan"
    if len(candidates) == 1 and _existing(dispatcher, tracker, kind, candidates[0]):
        return step("done")
    return _form_with_loan(
        "card_installment_form" if kind == "card_installment" else "negotiated_plan_form",
        candidates,
    )


def start_promise(
    dispatcher,
    tracker: Tracker,
    message: RequestMessage,
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> Step:
    overdue = [loan for loan in _target_loans(message, loans) if loan.is_overdue]
    if not overdue:
        # Told of a coming due date, the customer says they will pay: thanks, not "nothing overdue".
        due_soon = tracker.get_slot("reminder_kind") == "due_soon"
        dispatcher.utter_message(
            response="utter_reminder_noted" if due_soon else "utter_no_overdue"
        )
        return step("done")
    if len(overdue) == 1:
        if _existing(dispatcher, tracker, "promise_to_pay", overdue[0]):
            return step("done")
        values = prefill_promise(message.text, message.entities, overdue[0], policy)
        return _form_with_loan("promise_form", overdue, *(SlotSet(k, v) for k, v in values.items()))
    return _form_with_loan("promise_form", overdue)


def start_waiver(
    dispatcher,
    tracker: Tracker,
    message: RequestMessage,
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> Step:
    today = today_in_china()
    overdue = [loan for loan in _target_loans(message, loans) if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_no_overdue")
        return step("done")
    loan = overdue[0]
    decision = waiver_decision(loan, today, policy)
    if not decision.eligible:
        dispatcher.utter_message(
            response=f"utter_waiver_refused_{decision.reason}",
            max_days=policy.waiver_max_days_overdue,
            days_overdue=loan.days_overdue,
            clean_months=policy.waiver_clean_history_months,
        )
        dispatcher.utter_message(response="utter_offer_human_review")
        return [
            *refusal(tracker, "request_penalty_waiver"),
            SlotSet("followup_topic", f"waiver_refused_{decision.reason}"),
        ]
    if _existing(dispatcher, tracker, "penalty_waiver", loan):
        return step("done")
    with session_scope() as session:
        request = create_request(
            session,
            now_in_china(),
            kind="penalty_waiver",
            status="pending_review",
            customer_id=int(tracker.get_slot("customer_id")),
            loan_id=loan.loan_id,
            conversation_id=tracker.sender_id,
            amount=loan.charges,
        )
        reference = request.reference
    logger.info("conversation %s stored penalty_waiver request %s", tracker.sender_id, reference)
    dispatcher.utter_message(
        response="utter_waiver_submitted",
        reference=reference,
        charges=format_yuan(loan.charges),
        review_days=policy.negotiation_review_working_days,
    )
    return step("done")


def start_payment_check(
    dispatcher,
    tracker: Tracker,
    message: RequestMessage,
    loans: list[LoanSnapshot],
    policy: BankRules,
) -> Step:
    overdue = [loan for loan in _target_loans(message, loans) if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_payment_nothing_overdue")
        return step("done")
    with session_scope() as session:
        found = []
        for loan in overdue:
            since = datetime.combine(loan.earliest_due_date, time.min, tzinfo=CHINA)
            found += (
                session.query(Payment)
                .filter(Payment.loan_id == loan.loan_id, Payment.paid_at >= since)
                .all()
            )
        payments = [(p.amount, p.paid_at) for p in found]
    if payments:
        amount, paid_at = payments[-1]
        dispatcher.utter_message(
            response="utter_payment_found",
            amount=format_yuan(amount),
            paid_at=paid_at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M"),
            hours=policy.payment_posting_hours,
        )
        return step("done")
    return _form_with_loan("payment_trace_form", overdue)


STARTERS: dict[str, Callable[..., Step]] = {
    "request_deferral": start_deferral,
    "request_installment": start_installment,
    "promise_to_pay": start_promise,
    "request_penalty_waiver": start_waiver,
    "report_payment_made": start_payment_check,
}
# Each remedy of the core (overdue/remedies.py) has its starter here, and nothing else does.
if set(STARTERS) != set(REMEDY_INTENTS):
    raise RuntimeError("actions/router.py STARTERS must cover overdue.remedies.REMEDY_INTENTS")


class ActionRouteRequest(BankAction):
    def name(self) -> str:
        return "action_route_request"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in REMINDER_REPLIES and tracker.get_slot("reminder_kind"):
            intent = REMINDER_REPLIES[intent]
        verified = bool(tracker.get_slot("verified"))
        # Signed in to the bank's web pages: verified by the bank's own login, no digits asked.
        login = [] if verified else bank_login_events(tracker)
        if login:
            tracker.slots.update({event["name"]: event["value"] for event in login})  # read below
            verified = True
        resuming = tracker.latest_action_name == IDENTITY_FORM or intent == "inform"
        request: str | None = tracker.get_slot("pending_request") if resuming else intent
        events: Step = login + ([] if resuming else [SlotSet("pending_request", request)])
        # A check started afresh begins at the digits (not while one is under way).
        fresh = [] if tracker.active_loop.get("name") == IDENTITY_FORM else fresh_identity_slots()

        if intent == "inform" and not verified:
            # Digits offered after an invitation to verify: run the check now.
            text = tracker.latest_message.get("text") or ""
            if not is_locked(tracker) and find_identity_digits(text).found_any:
                return events + step("identity", *fresh)
            return events + step("answer")
        if request in NEEDS_IDENTITY and not verified:
            return events + (step("answer") if is_locked(tracker) else step("identity", *fresh))
        if request in STARTERS:
            policy = load_bank_rules()
            loans = verified_loans(tracker, policy)
            if not loans:
                dispatcher.utter_message(response="utter_no_loans")
                return events + step("done")
            message = RequestMessage.find(tracker, request)
            return events + STARTERS[request](dispatcher, tracker, message, loans, policy)
        return events + step("answer")
