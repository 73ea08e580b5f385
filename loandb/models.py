"""SQLAlchemy 1.4 models of customers, loan accounts and their repayment history."""
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base, relationship

from actions.money import to_cents

Base = declarative_base()

LOAN_KINDS = ("credit_card", "consumer", "mortgage", "car", "business")


class Money(TypeDecorator):
    """Decimal yuan stored as integer cents: exact on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Optional[Decimal], dialect) -> Optional[int]:
        return None if value is None else int(to_cents(value) * 100)

    def process_result_value(self, value: Optional[int], dialect) -> Optional[Decimal]:
        return None if value is None else to_cents(Decimal(value) / 100)


class Rate(TypeDecorator):
    """An annual rate stored as text, so 0.0435 stays exactly 0.0435 on every database."""

    impl = String(12)
    cache_ok = True

    def process_bind_param(self, value: Optional[Decimal], dialect) -> Optional[str]:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Optional[str], dialect) -> Optional[Decimal]:
        return None if value is None else Decimal(value)


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    id_number = Column(String(18), nullable=False, unique=True)
    phone = Column(String(20), nullable=False)
    # Indexed tails: identity checks look customers up by them.
    id_last4 = Column(String(4), nullable=False, index=True)
    phone_last4 = Column(String(4), nullable=False, index=True)
    wechat_openid = Column(String(64), unique=True)
    is_demo = Column(Boolean, nullable=False, default=False)

    loans = relationship("LoanAccount", back_populates="customer", cascade="all, delete-orphan")


class LoanAccount(Base):
    __tablename__ = "loan_accounts"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # one of LOAN_KINDS
    product_name = Column(String(50), nullable=False)
    account_tail = Column(String(4), nullable=False)
    annual_rate = Column(Rate)  # none for credit cards: they use the card policy
    repayment_account_tail = Column(String(4), nullable=False)
    opened_on = Column(Date, nullable=False)
    in_legal_collection = Column(Boolean, nullable=False, default=False)

    customer = relationship("Customer", back_populates="loans")
    schedule = relationship(
        "ScheduleRow",
        back_populates="loan",
        cascade="all, delete-orphan",
        order_by="ScheduleRow.due_date",
    )
    payments = relationship("Payment", back_populates="loan", cascade="all, delete-orphan")
    deferrals = relationship("Deferral", back_populates="loan", cascade="all, delete-orphan")
    credit_report = relationship(
        "CreditReportStatus", back_populates="loan", uselist=False, cascade="all, delete-orphan"
    )


class ScheduleRow(Base):
    """One instalment of a loan, or one statement of a credit card."""

    __tablename__ = "repayment_schedule"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id"), nullable=False, index=True)
    due_date = Column(Date, nullable=False)
    principal = Column(Money, nullable=False)  # for a card: the statement balance
    interest = Column(Money, nullable=False, default=Decimal("0"))
    minimum_due = Column(Money)  # cards only
    principal_paid = Column(Money, nullable=False, default=Decimal("0"))
    interest_paid = Column(Money, nullable=False, default=Decimal("0"))
    settled_on = Column(Date)

    loan = relationship("LoanAccount", back_populates="schedule")

    @property
    def amount_due(self) -> Decimal:
        return self.principal + self.interest

    @property
    def amount_unpaid(self) -> Decimal:
        return self.amount_due - self.principal_paid - self.interest_paid


class Payment(Base):
    __tablename__ = "payments"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id"), nullable=False, index=True)
    paid_at = Column(DateTime(timezone=True), nullable=False)
    amount = Column(Money, nullable=False)
    channel = Column(String(30), nullable=False)

    loan = relationship("LoanAccount", back_populates="payments")


class Deferral(Base):
    __tablename__ = "deferrals"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id"), nullable=False, index=True)
    requested_on = Column(Date, nullable=False)
    months = Column(Integer, nullable=False)
    reason = Column(String(200))
    status = Column(String(20), nullable=False)  # granted, pending, refused

    loan = relationship("LoanAccount", back_populates="deferrals")


class CreditReportStatus(Base):
    __tablename__ = "credit_report_status"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id"), nullable=False, unique=True)
    status = Column(String(20), nullable=False)  # clean, reported
    reported_on = Column(Date)
    settled_on = Column(Date)

    loan = relationship("LoanAccount", back_populates="credit_report")


REQUEST_KINDS = (
    "deferral",
    "card_installment",
    "negotiated_plan",
    "promise_to_pay",
    "penalty_waiver",
    "payment_trace",
)


class ServiceRequest(Base):
    """Something the customer asked for that a bank agent sees and acts on."""

    __tablename__ = "service_requests"

    id = Column(Integer, primary_key=True)
    reference = Column(String(20), unique=True)  # YQ20261129-000123, set once the id is known
    kind = Column(String(20), nullable=False)  # one of REQUEST_KINDS
    status = Column(String(20), nullable=False)  # pending_review, active, ...
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id"), index=True)
    conversation_id = Column(String(128))
    created_at = Column(DateTime(timezone=True), nullable=False)
    months = Column(Integer)  # deferral length or instalment term
    reason = Column(String(500))
    amount = Column(Money)  # promised, paid, or afforded monthly
    monthly_payment = Column(Money)
    total_fee = Column(Money)
    target_date = Column(Date)  # promised date, or the day a payment was made
    channel = Column(String(50))


class Agent(Base):
    """A bank agent who signs in to the console."""

    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    username = Column(String(50), nullable=False, unique=True)
    display_name = Column(String(50), nullable=False)
    password_hash = Column(String(200), nullable=False)
    last_seen_at = Column(DateTime(timezone=True))  # signed in recently = available


class HandoffTicket(Base):
    """A conversation handed to a person, with what the agent needs to take it over."""

    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(30), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id"), index=True)  # when verified
    reason = Column(String(30), nullable=False)
    priority = Column(Integer, nullable=False)  # 1 is most urgent
    status = Column(String(20), nullable=False, default="open")  # open, resolved
    summary = Column(String(4000), nullable=False)  # JSON, for the ticket page
    created_at = Column(DateTime(timezone=True), nullable=False)
    resolved_at = Column(DateTime(timezone=True))
    agent_id = Column(Integer, ForeignKey("agents.id"))

    notes = relationship("TicketNote", back_populates="ticket", cascade="all, delete-orphan",
                         order_by="TicketNote.id")


class TicketNote(Base):
    __tablename__ = "ticket_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False)
    text = Column(String(2000), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)

    ticket = relationship("HandoffTicket", back_populates="notes")


class AuditEntry(Base):
    """Every view of a customer's data and every reveal of a full number, by whom."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False)
    action = Column(String(30), nullable=False)  # view_ticket, reveal_id, reveal_phone, reply, resolve
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"))
    customer_id = Column(Integer, ForeignKey("customers.id"))
    at = Column(DateTime(timezone=True), nullable=False)


class CustomerConversation(Base):
    """A conversation in which a customer passed the identity check: where a web or REST
    customer can be reached later (a WeChat customer is reached by the bound openid)."""

    __tablename__ = "customer_conversations"

    id = Column(Integer, primary_key=True)
    # One customer per conversation: whoever verified in it last.
    conversation_id = Column(String(128), nullable=False, unique=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(30), nullable=False)  # socketio, rest, wechat
    verified_at = Column(DateTime(timezone=True), nullable=False)


class ReminderPreference(Base):
    """A customer who replied 退订 gets no reminders until they reply 订阅."""

    __tablename__ = "reminder_preferences"

    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    opted_out = Column(Boolean, nullable=False)
    changed_at = Column(DateTime(timezone=True), nullable=False)
    conversation_id = Column(String(128))  # where the customer said so


REMINDER_OCCASIONS = ("due_soon", "overdue", "grace_last_day")
REMINDER_STATUSES = ("sending", "sent", "waiting", "delivered", "skipped", "failed", "expired")


class Reminder(Base):
    """One reminder the scheduler decided on: sent, waiting for a web customer to open the
    chat, delivered, or skipped or failed with the reason. Agents see these on the panel."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_customer_decided", "customer_id", "decided_at"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    loan_id = Column(Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), nullable=False)
    occasion = Column(String(20), nullable=False)  # one of REMINDER_OCCASIONS
    due_date = Column(Date, nullable=False)
    days_from_due = Column(Integer, nullable=False)  # -3 before the due date, 1 / 3 / 7 after
    decided_at = Column(DateTime(timezone=True), nullable=False)  # China time
    status = Column(String(20), nullable=False)  # one of REMINDER_STATUSES
    reason = Column(String(40))  # why it was skipped, failed or expired
    channel = Column(String(30))  # wechat, socketio, rest
    conversation_id = Column(String(128), index=True)
    delivered_at = Column(DateTime(timezone=True))
    # Set while the reminder counts as sent (sending, sent, waiting, delivered): unique, so one
    # occasion reaches a customer once even when two schedulers run at the same moment.
    claim = Column(String(80), unique=True)
