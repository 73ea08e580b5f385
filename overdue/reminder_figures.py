"""What a reminder says: the customer's own figures on the day it is shown.

Worked out from the loan record (``loandb.snapshots`` fetches it) with the bank's arithmetic,
so the WeChat template and the message in the conversation agree with every other answer the
assistant gives. The words are the domain's responses; this module only picks which.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from overdue.account_snapshot import snapshot_loan
from overdue.bank_rules import BankRules, grace_period_end, within_grace
from overdue.clock import format_day
from overdue.money import format_yuan, to_cents

DUE_SOON = "due_soon"
IN_GRACE = "in_grace"
GRACE_LAST_DAY = "grace_last_day"
OVERDUE = "overdue"


@dataclass(frozen=True)
class ReminderFigures:
    stage: str  # DUE_SOON, IN_GRACE, GRACE_LAST_DAY or OVERDUE, as of the day shown
    customer_name: str
    product_name: str
    account_tail: str
    repayment_account_tail: str
    due_date: date
    # What to pay: the instalment before its due date; after it, what settles the overdue today.
    amount: Decimal
    minimum_due: Decimal | None  # cards only
    days_overdue: int
    grace_period_end: date
    charges: Decimal

    @property
    def response(self) -> str:
        """The domain response that says this reminder in the conversation."""
        if self.stage == DUE_SOON and self.minimum_due is not None:
            return "utter_reminder_due_soon_card"
        return f"utter_reminder_{self.stage}"

    def values(self) -> dict[str, Any]:
        return {
            "customer_name": self.customer_name,
            "product_name": self.product_name,
            "account_tail": self.account_tail,
            "repayment_account_tail": self.repayment_account_tail,
            "due_date": format_day(self.due_date),
            "amount": format_yuan(self.amount),
            "minimum_due": format_yuan(self.minimum_due or 0),
            "days_overdue": self.days_overdue,
            "grace_period_end": format_day(self.grace_period_end),
            "charges": format_yuan(self.charges),
        }


def figures_of_instalment(
    loan: Any, due_date: date, today: date, policy: BankRules
) -> ReminderFigures | None:
    """The figures of a reminder about this loan's instalment due on ``due_date``; None when
    that instalment is paid by now (nothing to remind of) or the loan is gone."""
    row = next((r for r in loan.schedule if r.due_date == due_date), None) if loan else None
    if row is None or row.amount_unpaid <= 0:
        return None
    common = {
        "customer_name": loan.customer.name,
        "product_name": loan.product_name,
        "account_tail": loan.account_tail,
        "repayment_account_tail": loan.repayment_account_tail,
        "grace_period_end": grace_period_end(due_date, policy),
    }
    if due_date >= today:
        paid = row.principal_paid + row.interest_paid
        minimum = (
            max((row.minimum_due or Decimal("0")) - paid, Decimal("0"))
            if row.minimum_due is not None
            else None
        )
        return ReminderFigures(
            stage=DUE_SOON,
            due_date=due_date,
            amount=to_cents(row.amount_unpaid),
            minimum_due=None if minimum is None else to_cents(minimum),
            days_overdue=0,
            charges=to_cents(0),
            **common,
        )
    snapshot = snapshot_loan(loan, today, policy)
    earliest = snapshot.earliest_due_date or due_date
    if within_grace(earliest, today, policy):
        stage = GRACE_LAST_DAY if today == grace_period_end(earliest, policy) else IN_GRACE
    else:
        stage = OVERDUE
    return ReminderFigures(
        stage=stage,
        due_date=earliest,
        amount=snapshot.overdue_amount + snapshot.charges,
        minimum_due=snapshot.minimum_due,
        days_overdue=snapshot.days_overdue,
        charges=snapshot.charges,
        **{**common, "grace_period_end": grace_period_end(earliest, policy)},
    )
