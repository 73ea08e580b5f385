"""The bank's figures for loans read from the database: the records are loaded here, the
arithmetic is the core's (``overdue.account_snapshot``, ``overdue.reminder_figures``)."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from loandb.models import LoanAccount
from loandb.queries import loans_of_customer
from overdue.account_snapshot import LoanSnapshot, snapshot_loan
from overdue.bank_rules import BankRules
from overdue.reminder_figures import ReminderFigures, figures_of_instalment


def customer_snapshot(
    session: Session,
    customer_id: int,
    today: date,
    policy: BankRules,
    kinds: Sequence[str] | None = None,
) -> list[LoanSnapshot]:
    """Every loan of the customer (optionally only some kinds), oldest account first."""
    return [
        snapshot_loan(loan, today, policy)
        for loan in loans_of_customer(session, customer_id, kinds)
    ]


def reminder_figures(
    session: Session, loan_id: int, due_date: date, today: date, policy: BankRules
) -> ReminderFigures | None:
    """What a reminder about this loan's instalment due on ``due_date`` says; None when it is
    paid by now or the loan is gone."""
    loan = session.get(LoanAccount, loan_id)
    return figures_of_instalment(loan, due_date, today, policy) if loan is not None else None
