"""延期 / 展期: a form for the loan, the reason and the length, a summary, a confirmation,
and one application stored for review."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from actions.loan_choice import choose_loan
from actions.request_forms import (
    BadAnswer,
    ConfirmationAsk,
    RequestFormValidator,
    RequestSubmitter,
    confirmation_answer,
    verified_loans,
)
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.clock import today_in_china
from overdue.parsing import counts_in
from overdue.remedies import deferral_decision


def extract_months(text: str, low: int, high: int) -> int:
    """'2个月', '两个月', '3' -> months (the first count), within the policy's bounds."""
    counts = counts_in(text)
    months = counts[0] if counts else None
    if months is None or not low <= months <= high:
        raise BadAnswer("utter_deferral_months_expected", min_months=low, max_months=high)
    return months


def extract_reason(tracker: Tracker, text: str, policy: BankRules) -> str:
    entity = next(tracker.get_latest_entity_values("hardship_reason"), None)
    reason = (entity or text).strip()
    if len(reason) < 2 or not any(char.isalpha() for char in reason):
        raise BadAnswer("utter_deferral_reason_expected")
    return reason[:200]


def choose_deferrable_loan(tracker: Tracker, text: str, policy: BankRules) -> int:
    loans = verified_loans(tracker, policy)
    loan_id = choose_loan(tracker, text, loans)
    loan = next(loan for loan in loans if loan.loan_id == loan_id)
    decision = deferral_decision(loan, today_in_china(), policy)
    if not decision.eligible:
        raise BadAnswer(f"utter_deferral_refused_{decision.reason}")
    return loan_id


class ValidateDeferralForm(RequestFormValidator):
    form = "deferral_form"
    flow_intent = "request_deferral"

    def extractors(self):
        return {
            "chosen_loan_id": choose_deferrable_loan,
            "deferral_reason": extract_reason,
            "deferral_months": lambda tracker, text, policy: extract_months(
                text, policy.deferral_min_months, policy.deferral_max_months
            ),
            "confirmation": lambda tracker, text, policy: confirmation_answer(tracker),
        }


class ActionAskDeferralMonths(BankAction):
    def name(self) -> str:
        return "action_ask_deferral_months"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        months = range(policy.deferral_min_months, policy.deferral_max_months + 1)
        dispatcher.utter_message(
            response="utter_ask_deferral_months",
            min_months=policy.deferral_min_months,
            max_months=policy.deferral_max_months,
            buttons=[{"title": f"{n}个月", "payload": f"{n}个月"} for n in months],
        )
        return []


def deferral_fields(tracker: Tracker) -> dict[str, Any]:
    """What the customer confirms and what is stored: the same two answers."""
    return {
        "months": int(tracker.get_slot("deferral_months")),
        "reason": tracker.get_slot("deferral_reason"),
    }


class ActionAskDeferralConfirmation(ConfirmationAsk):
    form = "deferral_form"
    response = "utter_deferral_summary"

    def summary_values(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return deferral_fields(tracker)


class ActionSubmitDeferral(RequestSubmitter):
    kind = "deferral"

    def name(self) -> str:
        return "action_submit_deferral"

    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return deferral_fields(tracker)

    def confirm(self, dispatcher, reference, fields, loan, policy) -> None:
        dispatcher.utter_message(
            response="utter_deferral_submitted",
            reference=reference,
            review_days=policy.negotiation_review_working_days,
        )
