"""Which remedies a customer may ask for, who may have which, and what an instalment plan
costs: the policy's rules as plain functions of a loan snapshot. Knows nothing of Rasa or the
database."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from overdue.account_snapshot import LoanSnapshot
from overdue.bank_rules import BankRules
from overdue.clock import add_months
from overdue.money import to_cents

# The remedies, by the intent that asks for one (names from ../shared/intents.md), in the
# order the routing rules list them: each needs the identity check, then starts a flow of its
# own. The router, the policies and tools/generate_rules.py take the list from here.
REMEDY_INTENTS = (
    "request_deferral",
    "request_installment",
    "promise_to_pay",
    "request_penalty_waiver",
    "report_payment_made",
)


@dataclass(frozen=True)
class Decision:
    """``reason`` names the rule that failed; responses explain each in plain words."""

    eligible: bool
    reason: str | None = None


ELIGIBLE = Decision(True)


def deferral_decision(loan: LoanSnapshot, today: date, policy: BankRules) -> Decision:
    if loan.is_card:
        return Decision(False, "credit_card")
    if loan.in_legal_collection:
        return Decision(False, "legal_collection")
    if loan.days_overdue > policy.deferral_max_days_overdue:
        return Decision(False, "too_long_overdue")
    cutoff = add_months(today, -policy.deferral_cooldown_months)
    if loan.last_deferral_granted_on and loan.last_deferral_granted_on > cutoff:
        return Decision(False, "recent_deferral")
    return ELIGIBLE


def waiver_decision(loan: LoanSnapshot, today: date, policy: BankRules) -> Decision:
    if not loan.is_overdue or loan.charges == 0:
        return Decision(False, "no_charges")
    if loan.days_overdue > policy.waiver_max_days_overdue:
        return Decision(False, "too_long_overdue")
    cutoff = add_months(today, -policy.waiver_clean_history_months)
    if any(due > cutoff for due in loan.late_payments):
        return Decision(False, "not_first_overdue")
    return ELIGIBLE


@dataclass(frozen=True)
class InstallmentOption:
    months: int
    monthly_payment: Decimal  # principal share plus the monthly fee
    monthly_fee: Decimal
    total_fee: Decimal


def card_installment_options(balance: Decimal, policy: BankRules) -> list[InstallmentOption]:
    """Each term the policy offers for a card's unpaid statement balance."""
    monthly_fee = to_cents(balance * policy.card_installment_monthly_fee_rate)
    return [
        InstallmentOption(
            months=months,
            monthly_payment=to_cents(balance / months) + monthly_fee,
            monthly_fee=monthly_fee,
            total_fee=monthly_fee * months,
        )
        for months in policy.card_installment_terms
    ]


def promise_date_problem(promised: date, today: date, policy: BankRules) -> str | None:
    if promised < today:
        return "past"
    if (promised - today).days > policy.promise_max_days_ahead:
        return "too_far"
    return None


def promise_amount_problem(amount: Decimal, total_overdue: Decimal) -> str | None:
    if amount <= 0:
        return "not_positive"
    if amount > total_overdue:
        return "above_overdue"
    return None
