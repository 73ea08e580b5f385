"""What every remedy form shares: extracting an answer, re-asking with what is expected,
giving up after too many bad answers, and submitting exactly one record.

A form's validator subclass names its form and maps each slot to an extractor; an
extractor returns the slot's value or raises ``BadAnswer`` with the response to re-ask
with. Messages that are not answers (another question, a complaint) are left to the
conversation: the form is rejected, the rules answer them, and the form resumes.
"""

import abc
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import BankAction, hand_over
from actions.satisfaction import ask_for_rating
from loandb.service_requests import create_request, open_request
from loandb.session import session_scope
from loandb.snapshots import customer_snapshot
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.clock import now_in_china, today_in_china
from overdue.context_replies import declines_with_reason, yes_or_no
from overdue.requests import status_words

logger = logging.getLogger(__name__)

# Slots of the remedy flows; cleared when a flow ends so the next one starts afresh.
FLOW_SLOTS = (
    "chosen_loan_id",
    "deferral_reason",
    "deferral_months",
    "installment_term",
    "affordable_amount",
    "promise_date",
    "promise_amount",
    "payment_date",
    "payment_amount",
    "payment_channel",
    "confirmation",
    "bad_answers",
    "form_abandoned",
)
# Intents a form answer may be classified as; anything else is a new question.
ANSWER_INTENTS = {"inform", "affirm", "nlu_fallback", "out_of_scope"}


class BadAnswer(Exception):
    def __init__(self, response: str, **values: Any) -> None:
        super().__init__(response)
        self.response = response
        self.values = values


def reset_flow_slots() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FLOW_SLOTS]


def verified_loans(tracker: Tracker, policy: BankRules) -> list[LoanSnapshot]:
    with session_scope() as session:
        return customer_snapshot(
            session, int(tracker.get_slot("customer_id")), today_in_china(), policy
        )


def told_request_open(
    dispatcher: CollectingDispatcher,
    session: Session,
    customer_id: int,
    kind: str,
    loan_id: int | None,
) -> bool:
    """One open request of a kind per loan: when there is one already, the customer is told
    its reference and where it stands (``utter_request_exists``) instead of a second one
    being started or stored."""
    existing = open_request(session, customer_id, kind, loan_id)
    if existing is None:
        return False
    dispatcher.utter_message(
        response="utter_request_exists",
        reference=existing.reference,
        status=status_words(existing.status),
    )
    return True


def chosen_loan(tracker: Tracker, policy: BankRules) -> LoanSnapshot | None:
    loan_id = tracker.get_slot("chosen_loan_id")
    return next((loan for loan in verified_loans(tracker, policy) if loan.loan_id == loan_id), None)


def confirmation_answer(tracker: Tracker) -> bool:
    # A clear yes or no counts whatever the classifier made of it ("不想分期" is a no, not a
    # new instalment request); dialogue/context_policy.py sends such replies here.
    said = yes_or_no(tracker.latest_message.get("text") or "")
    if said is not None:
        return said
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    raise BadAnswer("utter_confirm_yes_or_no")


class RequestFormValidator(BankAction, abc.ABC):
    """Validates one remedy form; subclasses set ``form`` and ``flow_intent``."""

    form: str = ""
    flow_intent: str = ""

    def name(self) -> str:
        return f"validate_{self.form}"

    @abc.abstractmethod
    def extractors(self) -> dict[str, Callable[[Tracker, str, BankRules], Any]]:
        """Slot name -> extractor(tracker, text, policy) returning the value or raising
        BadAnswer."""

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.active_loop.get("name") != self.form:
            return []
        slot = tracker.get_slot("requested_slot")
        extractor = self.extractors().get(slot)
        if extractor is None:
            return []
        policy = load_bank_rules()
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        try:
            value = extractor(tracker, text, policy)
        except BadAnswer as bad:
            if intent not in ANSWER_INTENTS and intent != self.flow_intent:
                return []  # another question: the rules answer it, then the form resumes
            failures = int(tracker.get_slot("bad_answers") or 0) + 1
            if failures >= policy.form_max_bad_answers:
                dispatcher.utter_message(response="utter_form_gave_up")
                return [
                    SlotSet("bad_answers", failures),
                    SlotSet("form_abandoned", True),
                    SlotSet("requested_slot", None),
                ]
            dispatcher.utter_message(response=bad.response, **bad.values)
            return [SlotSet("bad_answers", failures)]
        return [SlotSet(slot, value), SlotSet("bad_answers", 0)]


class RequestSubmitter(BankAction, abc.ABC):
    """Ends a remedy form: cancelled, abandoned, already open, or stored once."""

    kind: str = ""

    @abc.abstractmethod
    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        """Columns of the ServiceRequest beyond kind, customer, loan and conversation."""

    @abc.abstractmethod
    def confirm(
        self,
        dispatcher: CollectingDispatcher,
        reference: str,
        fields: dict[str, Any],
        loan: LoanSnapshot,
        policy: BankRules,
    ) -> None:
        """Tell the customer what was stored."""

    status: str = "pending_review"
    needs_confirmation: bool = True
    review_by_person: bool = False

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_slot("form_abandoned"):
            return reset_flow_slots()  # the validator already offered a person
        if self.needs_confirmation and tracker.get_slot("confirmation") is not True:
            if declines_with_reason(tracker.latest_message.get("text") or ""):
                # "太贵了" / "不接受": this plan is closed; what else fits, instead of asking again.
                dispatcher.utter_message(response="utter_plan_declined")
                return [*reset_flow_slots(), FollowupAction("action_offer_options")]
            dispatcher.utter_message(response="utter_request_cancelled")
            return reset_flow_slots()
        policy = load_bank_rules()
        loan = chosen_loan(tracker, policy)
        if loan is None:
            dispatcher.utter_message(response="utter_technical_apology")
            return reset_flow_slots()
        customer_id = int(tracker.get_slot("customer_id"))
        fields = self.record_fields(tracker, loan, policy)
        with session_scope() as session:
            if told_request_open(dispatcher, session, customer_id, self.kind, loan.loan_id):
                return reset_flow_slots()
            request = create_request(
                session,
                now_in_china(),
                kind=self.kind,
                status=self.status,
                customer_id=customer_id,
                loan_id=loan.loan_id,
                conversation_id=tracker.sender_id,
                **fields,
            )
            reference = request.reference
        logger.info("conversation %s stored %s request %s", tracker.sender_id, self.kind, reference)
        self.confirm(dispatcher, reference, fields, loan, policy)
        if self.review_by_person:
            return reset_flow_slots() + hand_over("needs_review")
        return reset_flow_slots() + ask_for_rating(
            dispatcher, tracker
        )  # a finished request: 满意度, once


class ActionCancelRequest(BankAction):
    """The customer changed their mind mid-form: nothing is stored, the flow is cleared."""

    def name(self) -> str:
        return "action_cancel_request"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_request_cancelled")
        return reset_flow_slots()


class ConfirmationAsk(BankAction, abc.ABC):
    """Asks to confirm a request: the form's summary with the chosen loan's name and tail
    (the confirm / cancel buttons are in the response)."""

    form: str = ""
    response: str = ""

    def name(self) -> str:
        return f"action_ask_{self.form}_confirmation"

    @abc.abstractmethod
    def summary_values(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        """The request's own figures for the summary."""

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        loan = chosen_loan(tracker, policy)
        dispatcher.utter_message(
            response=self.response,
            product_name=loan.product_name,
            account_tail=loan.account_tail,
            **self.summary_values(tracker, loan, policy),
        )
        return []
