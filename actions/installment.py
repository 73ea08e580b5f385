"""分期: a card's unpaid statement balance split over a term the customer picks, or, for a
loan, a negotiated plan at the monthly amount the customer can afford, sent for review."""

from decimal import Decimal
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
    chosen_loan,
    confirmation_answer,
    verified_loans,
)
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules, load_bank_rules
from overdue.money import format_rate, format_yuan
from overdue.parsing import counts_in, parse_amount
from overdue.remedies import card_installment_options


def option_for(loan: LoanSnapshot, months: int, policy: BankRules):
    return next(
        o for o in card_installment_options(loan.overdue_amount, policy) if o.months == months
    )


def choose_card(tracker: Tracker, text: str, policy: BankRules) -> int:
    loans = [loan for loan in verified_loans(tracker, policy) if loan.is_card]
    return choose_loan(tracker, text, loans)


def choose_term(tracker: Tracker, text: str, policy: BankRules) -> int:
    """'6期', '分十二期' -> the first count that is a term the policy offers."""
    for months in counts_in(text):
        if months in policy.card_installment_terms:
            return months
    raise BadAnswer(
        "utter_installment_term_expected", terms="、".join(map(str, policy.card_installment_terms))
    )


def choose_plan_loan(tracker: Tracker, text: str, policy: BankRules) -> int:
    loans = [loan for loan in verified_loans(tracker, policy) if not loan.is_card]
    return choose_loan(tracker, text, loans)


def extract_affordable(tracker: Tracker, text: str, policy: BankRules) -> str:
    amount = parse_amount(text)
    if amount is None or amount <= 0:
        raise BadAnswer("utter_affordable_amount_expected")
    return str(amount)


class ValidateCardInstallmentForm(RequestFormValidator):
    form = "card_installment_form"
    flow_intent = "request_installment"

    def extractors(self):
        return {
            "chosen_loan_id": choose_card,
            "installment_term": choose_term,
            "confirmation": lambda tracker, text, policy: confirmation_answer(tracker),
        }


class ValidateNegotiatedPlanForm(RequestFormValidator):
    form = "negotiated_plan_form"
    flow_intent = "request_installment"

    def extractors(self):
        return {
            "chosen_loan_id": choose_plan_loan,
            "affordable_amount": extract_affordable,
            "confirmation": lambda tracker, text, policy: confirmation_answer(tracker),
        }


class ActionAskInstallmentTerm(BankAction):
    """Every term with its monthly payment and total fee, one button each."""

    def name(self) -> str:
        return "action_ask_installment_term"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        policy = load_bank_rules()
        loan = chosen_loan(tracker, policy)
        title = domain["responses"]["utter_installment_option"][0]["text"]
        buttons = [
            {
                "title": title.format(
                    months=o.months,
                    monthly_payment=format_yuan(o.monthly_payment),
                    total_fee=format_yuan(o.total_fee),
                ),
                "payload": f"{o.months}期",
            }
            for o in card_installment_options(loan.overdue_amount, policy)
        ]
        dispatcher.utter_message(
            response="utter_ask_installment_term",
            account_tail=loan.account_tail,
            balance=format_yuan(loan.overdue_amount),
            fee_rate=format_rate(policy.card_installment_monthly_fee_rate),
            buttons=buttons,
        )
        return []


class ActionAskCardInstallmentConfirmation(ConfirmationAsk):
    form = "card_installment_form"
    response = "utter_card_installment_summary"

    def summary_values(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        option = option_for(loan, int(tracker.get_slot("installment_term")), policy)
        return {
            "balance": format_yuan(loan.overdue_amount),
            "months": option.months,
            "monthly_payment": format_yuan(option.monthly_payment),
            "total_fee": format_yuan(option.total_fee),
        }


class ActionAskNegotiatedPlanConfirmation(ConfirmationAsk):
    form = "negotiated_plan_form"
    response = "utter_negotiated_plan_summary"

    def summary_values(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return {"affordable_amount": format_yuan(Decimal(tracker.get_slot("affordable_amount")))}


class ActionSubmitCardInstallment(RequestSubmitter):
    kind = "card_installment"
    status = "active"  # a card plan within the policy needs no review

    def name(self) -> str:
        return "action_submit_card_installment"

    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        option = option_for(loan, int(tracker.get_slot("installment_term")), policy)
        return {
            "months": option.months,
            "amount": loan.overdue_amount,
            "monthly_payment": option.monthly_payment,
            "total_fee": option.total_fee,
        }

    def confirm(self, dispatcher, reference, fields, loan, policy) -> None:
        dispatcher.utter_message(
            response="utter_card_installment_submitted",
            reference=reference,
            months=fields["months"],
            monthly_payment=format_yuan(fields["monthly_payment"]),
            total_fee=format_yuan(fields["total_fee"]),
        )


class ActionSubmitNegotiatedPlan(RequestSubmitter):
    kind = "negotiated_plan"
    review_by_person = True  # a negotiated plan is drawn up by an agent

    def name(self) -> str:
        return "action_submit_negotiated_plan"

    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return {"amount": Decimal(tracker.get_slot("affordable_amount"))}

    def confirm(self, dispatcher, reference, fields, loan, policy) -> None:
        dispatcher.utter_message(
            response="utter_negotiated_plan_submitted",
            reference=reference,
            review_days=policy.negotiation_review_working_days,
        )
