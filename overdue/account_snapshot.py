"""A customer's loans as the assistant talks about them: what is overdue and what it costs.

The bank's arithmetic over a loan record (its schedule, deferrals and credit report, as
the database layer loads them: ``loandb.snapshots`` fetches them); knows nothing of Rasa
or the database, so the actions, the reminders and the console read the same figures.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from overdue import bank_rules as rules
from overdue.bank_rules import BankRules
from overdue.money import to_cents


@dataclass(frozen=True)
class LoanSnapshot:
    loan_id: int
    kind: str
    product_name: str
    account_tail: str
    repayment_account_tail: str
    annual_rate: Decimal | None
    overdue_amount: Decimal  # unpaid principal + interest (card: unpaid statement balance)
    overdue_principal: Decimal
    overdue_interest: Decimal
    minimum_due: Decimal | None  # cards: unpaid minimum payment
    earliest_due_date: date | None
    days_overdue: int
    grace_period_end: date | None
    penalty_interest: Decimal  # loans: penalty interest; cards: daily interest
    late_fee: Decimal  # cards only
    reported: bool  # on the credit report now, or will be at the next report
    report_status: str
    in_legal_collection: bool = False
    last_deferral_granted_on: date | None = None
    late_payments: tuple[date, ...] = ()  # due dates of earlier instalments paid late

    @property
    def is_overdue(self) -> bool:
        return self.overdue_amount > 0

    @property
    def is_card(self) -> bool:
        return self.kind == "credit_card"

    @property
    def charges(self) -> Decimal:
        return self.penalty_interest + self.late_fee

    @property
    def in_grace(self) -> bool:
        return self.is_overdue and not self.reported and self.grace_period_end is not None


def snapshot_loan(loan: Any, today: date, policy: BankRules) -> LoanSnapshot:
    overdue_rows = [row for row in loan.schedule if row.due_date < today and row.amount_unpaid > 0]
    principal = sum((row.principal - row.principal_paid for row in overdue_rows), Decimal("0"))
    interest = sum((row.interest - row.interest_paid for row in overdue_rows), Decimal("0"))
    earliest = min((row.due_date for row in overdue_rows), default=None)

    penalty = Decimal("0")
    late_fee = Decimal("0")
    minimum_due = None
    if loan.kind == "credit_card":
        for row in overdue_rows:
            paid = row.principal_paid + row.interest_paid
            unpaid_minimum = max((row.minimum_due or Decimal("0")) - paid, Decimal("0"))
            minimum_due = (minimum_due or Decimal("0")) + unpaid_minimum
            charges = rules.card_charges(
                row.amount_unpaid, unpaid_minimum, row.due_date, today, policy
            )
            penalty += charges.interest
            late_fee += charges.late_fee
    else:
        for row in overdue_rows:
            penalty += rules.loan_penalty(
                row.amount_unpaid, Decimal(loan.annual_rate), row.due_date, today, policy
            )

    late = tuple(
        row.due_date
        for row in loan.schedule
        if row.settled_on is not None and row.settled_on > row.due_date
    )
    granted = [d.requested_on for d in loan.deferrals if d.status == "granted"]
    reported = earliest is not None and rules.is_reportable(earliest, today, policy)
    report_status = loan.credit_report.status if loan.credit_report else "clean"
    return LoanSnapshot(
        loan_id=loan.id,
        kind=loan.kind,
        product_name=loan.product_name,
        account_tail=loan.account_tail,
        repayment_account_tail=loan.repayment_account_tail,
        annual_rate=Decimal(loan.annual_rate) if loan.annual_rate is not None else None,
        overdue_amount=to_cents(principal + interest),
        overdue_principal=to_cents(principal),
        overdue_interest=to_cents(interest),
        minimum_due=to_cents(minimum_due) if minimum_due is not None else None,
        earliest_due_date=earliest,
        days_overdue=rules.days_overdue(earliest, today) if earliest else 0,
        grace_period_end=rules.grace_period_end(earliest, policy) if earliest else None,
        penalty_interest=to_cents(penalty),
        late_fee=to_cents(late_fee),
        reported=reported or report_status == "reported",
        report_status=report_status,
        in_legal_collection=bool(loan.in_legal_collection),
        last_deferral_granted_on=max(granted, default=None),
        late_payments=late,
    )
