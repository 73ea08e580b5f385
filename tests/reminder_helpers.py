"""Customers with an instalment due on a chosen day, stand-ins for Rasa, and clean-up: for
the reminder tests."""
import itertools
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import delete, select

from overdue.clock import CHINA

from loandb.models import (
    CreditReportStatus,
    Customer,
    CustomerConversation,
    HandoffTicket,
    LoanAccount,
    Reminder,
    ReminderPreference,
    ScheduleRow,
    ServiceRequest,
)
from loandb.session import session_scope

_serial = itertools.count(random.randrange(1000, 9000))


def add_customer(session, name: str, due: date, openid: Optional[str] = None, loans: int = 1, apart: int = 1,
                 principal: str = "5000.00", interest: str = "250.00") -> Tuple[int, List[int]]:
    """A customer with ``loans`` consumer loans (4.35%), each with one unpaid instalment due on
    ``due`` (``apart`` days later for each further loan). Tails unique, so the identity check
    can find them."""
    serial = next(_serial)
    id_number = f"11010119900101{serial:04d}"
    phone = f"1391234{serial:04d}"
    customer = Customer(name=name, id_number=id_number, phone=phone, id_last4=id_number[-4:],
                        phone_last4=phone[-4:], wechat_openid=openid, is_demo=False,
                        # Bound (digits and code) a month before the due date: well within the binding's days.
                        wechat_bound_at=datetime.combine(due - timedelta(days=30), time(9), tzinfo=CHINA) if openid else None)
    for n in range(loans):
        customer.loans.append(LoanAccount(
            kind="consumer", product_name="邮享贷", account_tail=f"{serial + n:04d}"[-4:],
            annual_rate=Decimal("0.0435"),
            repayment_account_tail="7310", opened_on=due - timedelta(days=365),
            schedule=[ScheduleRow(due_date=due + timedelta(days=n * apart), principal=Decimal(principal),
                                  interest=Decimal(interest))],
            credit_report=CreditReportStatus(status="clean"),
        ))
    session.add(customer)
    session.flush()
    return customer.id, [loan.id for loan in customer.loans]


def web_conversation(session, customer_id: int, conversation_id: str, verified_at: datetime,
                     channel: str = "socketio") -> None:
    session.add(CustomerConversation(customer_id=customer_id, conversation_id=conversation_id, channel=channel,
                                     verified_at=verified_at))


def reminders_of(url: Optional[str], customer_id: int) -> List[Reminder]:
    with session_scope(url) as session:
        return list(session.execute(
            select(Reminder).where(Reminder.customer_id == customer_id).order_by(Reminder.id)).scalars())


def remove_customers(url: Optional[str], customer_ids: Iterable[int]) -> None:
    """Everything a test made for these customers: their loans explicitly (a loan contract is
    RESTRICTed), the rest cascades on both databases."""
    ids = list(customer_ids)
    with session_scope(url) as session:
        for model in (Reminder, CustomerConversation, ReminderPreference, ServiceRequest, HandoffTicket,
                      LoanAccount, Customer):
            column = Customer.id if model is Customer else model.customer_id
            session.execute(delete(model).where(column.in_(ids)), execution_options={"synchronize_session": False})


class FakeRasa:
    """Rasa's HTTP API as the scheduler sees it: records the reminders triggered."""

    def __init__(self) -> None:
        self.triggered: List[Tuple[str, str, Dict[str, Any]]] = []
        self.states: Dict[str, Tuple[Optional[datetime], bool]] = {}

    def available(self) -> bool:
        return True

    def state(self, conversation_id: str) -> Tuple[Optional[datetime], bool]:
        return self.states.get(conversation_id, (None, False))

    def trigger(self, conversation_id: str, intent: str, entities: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.triggered.append((conversation_id, intent, entities))
        return []

    def intents_to(self, conversation_id: str) -> List[str]:
        return [intent for cid, intent, _ in self.triggered if cid == conversation_id]
