"""Answers about the customer's own account: what is overdue, the penalty, the credit
report, how to repay. Figures come from the database and the policy file; the words
come from the domain's responses."""

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction, hand_over
from actions.consequence_answers import answer_consequences
from actions.follow_ups import TOPIC_SLOT, topic_after_answer
from actions.identity import NEEDS_IDENTITY, block_response, is_locked
from actions.router import RequestMessage
from actions.what_if_answers import answer_what_if
from loandb.session import session_scope
from loandb.snapshots import customer_snapshot
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules, loan_daily_penalty, policy_values
from overdue.clock import format_day, today_in_china
from overdue.money import format_rate, format_yuan

logger = logging.getLogger(__name__)


def loan_values(loan: LoanSnapshot, policy: BankRules) -> dict[str, Any]:
    """One loan's figures as the responses print them."""
    values = {
        "product_name": loan.product_name,
        "account_tail": loan.account_tail,
        "repayment_account_tail": loan.repayment_account_tail,
        "overdue_amount": format_yuan(loan.overdue_amount),
        "overdue_principal": format_yuan(loan.overdue_principal),
        "overdue_interest": format_yuan(loan.overdue_interest),
        "minimum_due": format_yuan(loan.minimum_due or 0),
        "due_date": format_day(loan.earliest_due_date),
        "days_overdue": loan.days_overdue,
        "grace_period_end": format_day(loan.grace_period_end),
        "penalty_interest": format_yuan(loan.penalty_interest),
        "late_fee": format_yuan(loan.late_fee),
        "charges": format_yuan(loan.charges),
        "total_to_settle": format_yuan(loan.overdue_amount + loan.charges),
    }
    if loan.annual_rate is not None:
        values["annual_rate"] = format_rate(loan.annual_rate)
        values["daily_penalty"] = format_yuan(
            loan_daily_penalty(loan.overdue_amount, loan.annual_rate, policy)
        )
    return {**policy_values(policy), **values}


def answer_overdue_status(
    dispatcher: CollectingDispatcher, loans: list[LoanSnapshot], policy: BankRules
) -> None:
    overdue = [loan for loan in loans if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_no_overdue")
        return
    for loan in overdue:
        values = loan_values(loan, policy)
        dispatcher.utter_message(
            response="utter_overdue_card" if loan.is_card else "utter_overdue_loan", **values
        )
        if loan.in_grace:
            dispatcher.utter_message(response="utter_overdue_in_grace", **values)
    dispatcher.utter_message(response="utter_overdue_next_steps")


def answer_penalty(
    dispatcher: CollectingDispatcher, loans: list[LoanSnapshot], policy: BankRules
) -> None:
    overdue = [loan for loan in loans if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_no_overdue")
    for loan in overdue:
        values = loan_values(loan, policy)
        if loan.in_grace:
            dispatcher.utter_message(response="utter_overdue_in_grace", **values)
        else:
            dispatcher.utter_message(
                response="utter_penalty_card" if loan.is_card else "utter_penalty_loan", **values
            )


def answer_credit_impact(
    dispatcher: CollectingDispatcher, loans: list[LoanSnapshot], policy: BankRules
) -> None:
    overdue = [loan for loan in loans if loan.is_overdue]
    if not overdue:
        dispatcher.utter_message(response="utter_credit_clean")
    for loan in overdue:
        values = loan_values(loan, policy)
        dispatcher.utter_message(
            response="utter_credit_reported" if loan.reported else "utter_credit_in_grace", **values
        )
    if overdue:
        dispatcher.utter_message(response="utter_credit_future_loans")
    dispatcher.utter_message(response="utter_credit_repair_warning")


def answer_repayment_method(
    dispatcher: CollectingDispatcher, loans: list[LoanSnapshot], policy: BankRules
) -> None:
    dispatcher.utter_message(
        response="utter_repayment_channels", channels="、".join(policy.repayment_channels)
    )
    for loan in loans:
        dispatcher.utter_message(response="utter_repayment_account", **loan_values(loan, policy))


PERSONAL_ANSWERS: dict[
    str, Callable[[CollectingDispatcher, list[LoanSnapshot], BankRules], None]
] = {
    "ask_overdue_status": answer_overdue_status,
    "ask_penalty": answer_penalty,
    "ask_credit_impact": answer_credit_impact,
    "ask_repayment_method": answer_repayment_method,
}


QUESTIONS_IN_CONTEXT: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "ask_consequences": lambda dispatcher, tracker, domain, message, loans, policy: (
        answer_consequences(dispatcher, tracker, domain, message.text, loans, policy)
    ),
    "ask_what_if": lambda dispatcher, tracker, domain, message, loans, policy: answer_what_if(
        dispatcher, tracker, message.text, message.entities, loans, policy
    ),
}


def answer_without_identity(
    dispatcher: CollectingDispatcher, request: str | None, policy: BankRules, invite: bool
) -> None:
    """The general rule, for a customer who is not (or cannot be) verified."""
    if request == "ask_penalty":
        dispatcher.utter_message(response="utter_penalty_rule", **policy_values(policy))
        if invite:
            dispatcher.utter_message(response="utter_verify_for_personal_figures")
    elif request == "ask_repayment_method":
        dispatcher.utter_message(
            response="utter_repayment_channels", channels="、".join(policy.repayment_channels)
        )
    elif request == "ask_credit_impact":
        dispatcher.utter_message(response="utter_credit_rule", **policy_values(policy))
        dispatcher.utter_message(response="utter_credit_repair_warning")
    else:
        dispatcher.utter_message(response="utter_identity_required")


class ActionAnswerAccount(BankAction):
    """Answers the account question the customer asked (kept in ``pending_request``)."""

    def name(self) -> str:
        return "action_answer_account"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        request = tracker.get_slot("pending_request")
        if not tracker.get_slot("verified"):
            locked = is_locked(tracker)
            if locked and (
                request in NEEDS_IDENTITY or tracker.latest_action_name == "identity_form"
            ):
                dispatcher.utter_message(response=block_response(tracker))
                return hand_over("identity_failed")
            elif request == "ask_consequences":  # the general rule, no account fact
                message = RequestMessage.find(tracker, request)
                return answer_consequences(dispatcher, tracker, domain, message.text, None, policy)
            elif request in PERSONAL_ANSWERS:
                answer_without_identity(dispatcher, request, policy, invite=not locked)
            else:
                dispatcher.utter_message(response="utter_how_else_can_i_help")
            return []
        if request not in PERSONAL_ANSWERS and request not in QUESTIONS_IN_CONTEXT:
            dispatcher.utter_message(response="utter_how_else_can_i_help")
            return []

        kinds = list(tracker.get_latest_entity_values("loan_type"))
        with session_scope() as session:
            loans = customer_snapshot(
                session, int(tracker.get_slot("customer_id")), today_in_china(), policy
            )
        chosen = [loan for loan in loans if loan.kind in kinds] if kinds else loans
        if kinds and not chosen:
            dispatcher.utter_message(response="utter_no_loan_of_type")
            chosen = loans
        if request in QUESTIONS_IN_CONTEXT:
            # These read the question itself (amounts, days, what is feared), not only the accounts.
            message = RequestMessage.find(tracker, request)
            return QUESTIONS_IN_CONTEXT[request](
                dispatcher, tracker, domain, message, chosen, policy
            )
        PERSONAL_ANSWERS[request](dispatcher, chosen, policy)
        return [SlotSet(TOPIC_SLOT, topic_after_answer(request, chosen))]
