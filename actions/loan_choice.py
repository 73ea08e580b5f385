"""Which of the customer's loans a request is about, from what they type or tap."""

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BankAction
from actions.request_forms import BadAnswer, verified_loans
from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import load_bank_rules


def find_loan(text: str, kinds: Iterable[str], loans: list[LoanSnapshot]) -> LoanSnapshot | None:
    """By account tail (尾号5566), loan type entity (credit_card ...), or product name."""
    normalized = unicodedata.normalize("NFKC", text)
    for tail in re.findall(r"(?<![0-9])([0-9]{4})(?![0-9])", normalized):
        match = [loan for loan in loans if loan.account_tail == tail]
        if match:
            return match[0]
    kinds = set(kinds)
    for loan in loans:
        if loan.kind in kinds or loan.product_name in normalized:
            return loan
    return None


def choose_loan(tracker: Tracker, text: str, loans: list[LoanSnapshot]) -> int:
    loan = find_loan(text, tracker.get_latest_entity_values("loan_type"), loans)
    if loan is None:
        raise BadAnswer("utter_which_loan_expected")
    return loan.loan_id


class ActionAskChosenLoan(BankAction):
    """Asks which loan, with one button per loan of the customer."""

    def name(self) -> str:
        return "action_ask_chosen_loan_id"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        loans = verified_loans(tracker, load_bank_rules())
        buttons = [
            {
                "title": f"{loan.product_name} 尾号{loan.account_tail}",
                "payload": f"尾号{loan.account_tail}",
            }
            for loan in loans
        ]
        dispatcher.utter_message(response="utter_ask_chosen_loan_id", buttons=buttons)
        return []
