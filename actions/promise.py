"""还款承诺: a date within the policy's window and an amount up to what is owed, a
confirmation, and the promise stored; a partial amount is told its shortfall."""

from contextlib import suppress
from datetime import date
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
from overdue.clock import format_day, today_in_china
from overdue.money import format_yuan
from overdue.parsing import parse_amount, parse_date
from overdue.remedies import promise_amount_problem, promise_date_problem


def total_owed(loan: LoanSnapshot) -> Decimal:
    """What settles the overdue today: principal, interest and charges."""
    return loan.overdue_amount + loan.charges


def entity_or_text(tracker: Tracker, entity: str, text: str) -> str:
    return next(tracker.get_latest_entity_values(entity), None) or text


def promised_date(text: str, today: date, policy: BankRules) -> date:
    promised = parse_date(text, today)
    if promised is None:
        raise BadAnswer("utter_promise_date_expected", max_days=policy.promise_max_days_ahead)
    problem = promise_date_problem(promised, today, policy)
    if problem:
        raise BadAnswer(f"utter_promise_date_{problem}", max_days=policy.promise_max_days_ahead)
    return promised


def promised_amount(text: str, loan: LoanSnapshot) -> Decimal:
    amount = parse_amount(text)
    if amount is None:
        raise BadAnswer("utter_promise_amount_expected", total=format_yuan(total_owed(loan)))
    problem = promise_amount_problem(amount, total_owed(loan))
    if problem:
        raise BadAnswer(f"utter_promise_amount_{problem}", total=format_yuan(total_owed(loan)))
    return amount


def prefill(
    text: str, entities: dict[str, str], loan: LoanSnapshot, policy: BankRules
) -> dict[str, str]:
    """Date and amount from the message that started the flow, when they are valid."""
    values: dict[str, str] = {}
    with suppress(BadAnswer):
        values["promise_date"] = promised_date(
            entities.get("date") or text, today_in_china(), policy
        ).isoformat()
    with suppress(BadAnswer):
        values["promise_amount"] = str(promised_amount(entities.get("amount") or text, loan))
    return values


def choose_overdue_loan(tracker: Tracker, text: str, policy: BankRules) -> int:
    return choose_loan(
        tracker, text, [loan for loan in verified_loans(tracker, policy) if loan.is_overdue]
    )


class ValidatePromiseForm(RequestFormValidator):
    form = "promise_form"
    flow_intent = "promise_to_pay"

    def extractors(self):
        return {
            "chosen_loan_id": choose_overdue_loan,
            "promise_date": lambda tracker, text, policy: promised_date(
                entity_or_text(tracker, "date", text), today_in_china(), policy
            ).isoformat(),
            "promise_amount": lambda tracker, text, policy: str(
                promised_amount(
                    entity_or_text(tracker, "amount", text), chosen_loan(tracker, policy)
                )
            ),
            "confirmation": lambda tracker, text, policy: confirmation_answer(tracker),
        }


class ActionAskPromiseAmount(BankAction):
    def name(self) -> str:
        return "action_ask_promise_amount"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        loan = chosen_loan(tracker, load_bank_rules())
        dispatcher.utter_message(
            response="utter_ask_promise_amount", total=format_yuan(total_owed(loan))
        )
        return []


class ActionAskPromiseConfirmation(ConfirmationAsk):
    form = "promise_form"
    response = "utter_promise_summary"

    def summary_values(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return {
            "promise_date": format_day(date.fromisoformat(tracker.get_slot("promise_date"))),
            "promise_amount": format_yuan(Decimal(tracker.get_slot("promise_amount"))),
        }


class ActionSubmitPromise(RequestSubmitter):
    kind = "promise_to_pay"
    status = "active"

    def name(self) -> str:
        return "action_submit_promise"

    def record_fields(
        self, tracker: Tracker, loan: LoanSnapshot, policy: BankRules
    ) -> dict[str, Any]:
        return {
            "target_date": date.fromisoformat(tracker.get_slot("promise_date")),
            "amount": Decimal(tracker.get_slot("promise_amount")),
        }

    def confirm(self, dispatcher, reference, fields, loan, policy) -> None:
        dispatcher.utter_message(
            response="utter_promise_saved",
            reference=reference,
            promise_date=format_day(fields["target_date"]),
            promise_amount=format_yuan(fields["amount"]),
        )
        shortfall = total_owed(loan) - fields["amount"]
        if shortfall > 0:
            dispatcher.utter_message(
                response="utter_promise_shortfall",
                shortfall=format_yuan(shortfall),
                total=format_yuan(total_owed(loan)),
            )
        dispatcher.utter_message(response="utter_charges_accrue_until_paid")
