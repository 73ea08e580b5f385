"""What if the customer pays an amount now, the minimum, or everything on a given day: the
same policy arithmetic as every other figure (``overdue/bank_rules.py``), in Decimal, rounded
half-up to cents.

A payment first covers the charges already accrued (penalty interest, card interest and late
fee), then the overdue principal; what stays unpaid keeps accruing by the day, as the
policy's rates say, until it is paid. Pure: figures in, figures out; knows nothing of Rasa
or the database. The account comes in as a ``LoanSnapshot`` (or anything with its fields).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from overdue import bank_rules as rules
from overdue.bank_rules import BankRules
from overdue.money import to_cents

ZERO = Decimal("0")


def total_to_settle(loan: Any) -> Decimal:
    """What settles the overdue today: principal and interest due, and the charges so far."""
    return to_cents(loan.overdue_amount + loan.charges)


def daily_accrual(loan: Any, unpaid: Decimal, policy: BankRules) -> Decimal:
    """What ``unpaid`` overdue principal adds each day past the grace period, unrounded."""
    if loan.kind == "credit_card":
        return unpaid * policy.card_daily_interest_rate
    return rules.loan_daily_penalty(unpaid, loan.annual_rate, policy)


def _charges_for_days(loan: Any, unpaid: Decimal, days: int, policy: BankRules) -> Decimal:
    return to_cents(daily_accrual(loan, unpaid, policy) * max(days, 0))


@dataclass(frozen=True)
class PaymentOutcome:
    asked: Decimal  # what the customer named
    paid: Decimal  # of it, what the account can take: never more than settles it
    total_before: Decimal  # what settled the overdue before the payment
    charges_covered: Decimal  # of the charges so far, what the payment covers
    to_principal: Decimal  # the rest of the payment, against the overdue principal and interest
    remaining: Decimal  # what is still owed after it, today
    remaining_principal: Decimal  # overdue principal and interest still unpaid: it keeps accruing
    daily_accrual: Decimal  # per day on what remains, once past the grace period (rounded)
    in_grace: bool  # today is within the grace period
    minimum_due: Decimal | None  # cards: the unpaid minimum before the payment
    more_than_owed: bool

    @property
    def settles(self) -> bool:
        return self.remaining == 0

    @property
    def minimum_covered(self) -> bool:
        return self.minimum_due is not None and self.paid >= self.minimum_due

    @property
    def still_reported(self) -> bool:
        """Still overdue past the grace period, hence still reported as such."""
        return not self.settles and not self.in_grace


def pay_now(loan: Any, amount: Decimal, policy: BankRules) -> PaymentOutcome:
    """The customer pays ``amount`` today."""
    total = total_to_settle(loan)
    paid = min(to_cents(amount), total)
    charges_covered = min(paid, to_cents(loan.charges))
    to_principal = paid - charges_covered
    remaining_principal = to_cents(loan.overdue_amount) - to_principal
    return PaymentOutcome(
        asked=to_cents(amount),
        paid=paid,
        total_before=total,
        charges_covered=charges_covered,
        to_principal=to_principal,
        remaining=total - paid,
        remaining_principal=remaining_principal,
        daily_accrual=to_cents(daily_accrual(loan, remaining_principal, policy)),
        in_grace=bool(loan.in_grace),
        minimum_due=loan.minimum_due if loan.kind == "credit_card" else None,
        more_than_owed=to_cents(amount) > total,
    )


def pay_minimum(loan: Any, policy: BankRules) -> PaymentOutcome | None:
    """A card's unpaid minimum paid today; None for a loan (it has no minimum) or none due."""
    if loan.kind != "credit_card" or not loan.minimum_due:
        return None
    return pay_now(loan, loan.minimum_due, policy)


@dataclass(frozen=True)
class SettlementOn:
    day: date
    overdue_on_day: Decimal  # principal and interest due by then (later instalments included)
    charges_on_day: Decimal
    total_today: Decimal
    in_grace_on_day: bool
    next_instalment_included: bool  # an instalment not yet due today falls due before the day

    @property
    def total_on_day(self) -> Decimal:
        return to_cents(self.overdue_on_day + self.charges_on_day)

    @property
    def extra(self) -> Decimal:
        return self.total_on_day - self.total_today


def settle_on(loan_today: Any, loan_on_day: Any, day: date, policy: BankRules) -> SettlementOn:
    """Everything paid on ``day``. ``loan_on_day`` is the same account's snapshot as of that day
    (what would be overdue then if nothing is paid before), built by the same arithmetic as
    today's."""
    in_grace = loan_on_day.earliest_due_date is not None and rules.within_grace(
        loan_on_day.earliest_due_date, day, policy
    )
    return SettlementOn(
        day=day,
        overdue_on_day=to_cents(loan_on_day.overdue_amount),
        charges_on_day=to_cents(loan_on_day.charges),
        total_today=total_to_settle(loan_today),
        in_grace_on_day=in_grace,
        next_instalment_included=loan_on_day.overdue_amount > loan_today.overdue_amount,
    )


def rest_on(
    loan: Any, outcome: PaymentOutcome, today: date, day: date, policy: BankRules
) -> Decimal:
    """Part paid today (``outcome``), the rest on ``day``: what that day's payment must be.

    Within the grace period nothing accrues if the rest is paid by its last day; past it, the
    unpaid principal accrues from the due date (the penalty's rule) or, when already past the
    grace period today, from today on.
    """
    if outcome.settles:
        return ZERO
    if outcome.in_grace:
        due = loan.earliest_due_date
        if rules.within_grace(due, day, policy):
            return outcome.remaining
        unpaid = outcome.remaining_principal
        if loan.kind == "credit_card":
            unpaid_minimum = max((outcome.minimum_due or ZERO) - outcome.paid, ZERO)
            charges = rules.card_charges(unpaid, unpaid_minimum, due, day, policy).total
        else:
            charges = rules.loan_penalty(unpaid, loan.annual_rate, due, day, policy)
        return to_cents(outcome.remaining + charges)
    return to_cents(
        outcome.remaining
        + _charges_for_days(loan, outcome.remaining_principal, (day - today).days, policy)
    )
