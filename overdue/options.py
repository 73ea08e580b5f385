"""What else a customer can do, in a sensible order: the cheapest and simplest first, a person
last. Pure: the customer's accounts (``LoanSnapshot``) and the policy in, option names out."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from overdue.bank_rules import BankRules
from overdue.remedies import deferral_decision

MINIMUM = "minimum"  # cards: pay the minimum first (no further late fee)
PROMISE = "promise"  # agree a date to pay
CARD_INSTALLMENT = "card_installment"
DEFERRAL = "deferral"  # loans that the deferral rules allow
NEGOTIATED_PLAN = "negotiated_plan"  # loans, for real hardship: reviewed by a person
HUMAN = "human"

# Every option, in the order they are offered to a customer not (yet) verified.
GENERAL = [MINIMUM, PROMISE, CARD_INSTALLMENT, DEFERRAL, NEGOTIATED_PLAN, HUMAN]


def options_for(loans: Sequence[Any] | None, today: date, policy: BankRules) -> list[str]:
    """The options that fit these accounts; ``None`` (not verified): the general list."""
    if loans is None:
        return list(GENERAL)
    overdue = [loan for loan in loans if loan.is_overdue]
    cards = [loan for loan in overdue if loan.kind == "credit_card"]
    others = [loan for loan in overdue if loan.kind != "credit_card"]
    chosen: list[str] = []
    if any(loan.minimum_due for loan in cards):
        chosen.append(MINIMUM)
    if overdue:
        chosen.append(PROMISE)
    if cards:
        chosen.append(CARD_INSTALLMENT)
    if any(deferral_decision(loan, today, policy).eligible for loan in others):
        chosen.append(DEFERRAL)
    if others:
        chosen.append(NEGOTIATED_PLAN)
    chosen.append(HUMAN)
    return chosen
