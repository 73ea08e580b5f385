"""SQLAlchemy 1.4 models of customers, loan accounts and their repayment history."""

from decimal import Decimal

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
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base, relationship

from overdue.money import to_cents

Base = declarative_base()

LOAN_KINDS = ("credit_card", "consumer", "mortgage", "car", "business")


class Money(TypeDecorator):
    """Decimal yuan stored as integer cents: exact on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> int | None:
        return None if value is None else int(to_cents(value) * 100)

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        return None if value is None else to_cents(Decimal(value) / 100)


class Rate(TypeDecorator):
    """An annual rate stored as text, so 0.0435 stays exactly 0.0435 on every database."""

    impl = String(12)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect) -> Decimal | None:
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
    wechat_bound_at = Column(
        DateTime(timezone=True)
    )  # a binding is trusted for policy's wechat_binding_days
    is_demo = Column(Boolean, nullable=False, default=False)

    # No delete cascade: the database RESTRICTs deleting a customer who has loans.
    loans = relationship("LoanAccount", back_populates="customer", passive_deletes="all")


class LoanAccount(Base):
    __tablename__ = "loan_accounts"

    id = Column(Integer, primary_key=True)
    # RESTRICT: a loan contract is kept by banking record-keeping rules, so a customer with
    # loans cannot be deleted by accident (erasure anonymises instead; only the demo reset
    # deletes loans, explicitly).
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
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
    # CASCADE here and below: part of the loan, gone only with it (and a loan is RESTRICTed).
    loan_id = Column(
        Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
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
    loan_id = Column(
        Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    paid_at = Column(DateTime(timezone=True), nullable=False)
    amount = Column(Money, nullable=False)
    channel = Column(String(30), nullable=False)

    loan = relationship("LoanAccount", back_populates="payments")


class Deferral(Base):
    __tablename__ = "deferrals"

    id = Column(Integer, primary_key=True)
    loan_id = Column(
        Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    requested_on = Column(Date, nullable=False)
    months = Column(Integer, nullable=False)
    reason = Column(String(200))
    status = Column(String(20), nullable=False)  # granted, pending, refused

    loan = relationship("LoanAccount", back_populates="deferrals")


class CreditReportStatus(Base):
    __tablename__ = "credit_report_status"

    id = Column(Integer, primary_key=True)
    loan_id = Column(
        Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), nullable=False, unique=True
    )
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
    # CASCADE: a request means nothing without its customer or loan (erasure keeps the rows
    # of kept loans and clears their free text).
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    loan_id = Column(Integer, ForeignKey("loan_accounts.id", ondelete="CASCADE"), index=True)
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
    role = Column(
        String(20), nullable=False, default="agent", server_default="agent"
    )  # agent, supervisor


class HandoffTicket(Base):
    """A conversation handed to a person, with what the agent needs to take it over."""

    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(30), nullable=False)
    # CASCADE: a ticket is the customer's conversation handed over; it goes with them (the
    # audit trail that names it is kept, detached: see AuditEntry).
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )  # when verified
    reason = Column(String(30), nullable=False)
    priority = Column(Integer, nullable=False)  # 1 is most urgent
    status = Column(String(20), nullable=False, default="open")  # open, resolved
    summary = Column(String(4000), nullable=False)  # JSON, for the ticket page
    created_at = Column(
        DateTime(timezone=True), nullable=False, index=True
    )  # history filters by date
    resolved_at = Column(DateTime(timezone=True))
    agent_id = Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )  # who resolved it
    # One agent works a ticket at a time; a supervisor can take it over (console/claims.py).
    claimed_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    claimed_at = Column(DateTime(timezone=True))

    notes = relationship(
        "TicketNote",
        back_populates="ticket",
        cascade="all, delete-orphan",
        order_by="TicketNote.id",
    )


class TicketTranscript(Base):
    """A resolved ticket's conversation as the bank keeps it (console/transcripts.py), so the
    history does not depend on the tracker store's retention. Numbers are masked as the
    console shows them. ``search_text`` (the customer's and agents' words) is indexed for
    substring search: FTS5 trigram on SQLite, pg_trgm on PostgreSQL (migration 0006)."""

    __tablename__ = "ticket_transcripts"

    # CASCADE: part of the ticket.
    ticket_id = Column(
        Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    messages = Column(
        Text, nullable=False
    )  # JSON: [{"at", "sender", "agent", "text", "intent", "emotion"}]
    search_text = Column(Text, nullable=False)
    message_count = Column(Integer, nullable=False)
    stored_at = Column(
        DateTime(timezone=True), nullable=False, index=True
    )  # retention counts from here


REVIEW_OUTCOMES = ("handled_well", "needs_improvement", "complaint_escalated")


class TicketReview(Base):
    """A supervisor's review of a resolved ticket: outcome, 1-5 score, comment (one per
    ticket; reviewing again replaces it)."""

    __tablename__ = "ticket_reviews"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(
        Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    # RESTRICT: as in the audit log, a reviewer who has acted is never deleted.
    reviewer_id = Column(Integer, ForeignKey("agents.id", ondelete="RESTRICT"), nullable=False)
    outcome = Column(String(30), nullable=False, index=True)  # one of REVIEW_OUTCOMES
    score = Column(Integer, nullable=False)  # 1-5
    comment = Column(String(1000), nullable=False, default="")
    reviewed_at = Column(DateTime(timezone=True), nullable=False)


class SatisfactionRating(Base):
    """A customer's 1-5 rating (满意度) at the end of a conversation, with any words they added
    (actions/satisfaction.py). ``ticket_id`` when it rates a handed-over conversation."""

    __tablename__ = "satisfaction_ratings"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(30), nullable=False)
    # CASCADE: the customer's words go with them; SET NULL: a rating outlives its ticket.
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )  # when verified
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="SET NULL"), index=True)
    score = Column(Integer, nullable=False)  # 1-5
    comment = Column(String(1000), nullable=False, default="")
    created_at = Column(
        DateTime(timezone=True), nullable=False, index=True
    )  # China time; per day on the dashboard


class TicketNote(Base):
    __tablename__ = "ticket_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(
        Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    agent_id = Column(
        Integer, ForeignKey("agents.id", ondelete="RESTRICT"), nullable=False
    )  # as in the audit log
    text = Column(String(2000), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)

    ticket = relationship("HandoffTicket", back_populates="notes")


class AuditEntry(Base):
    """Every view of a customer's data and every reveal of a full number, by whom."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    # RESTRICT: the trail must say who; an agent who has acted is never deleted.
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="RESTRICT"), nullable=False)
    action = Column(
        String(30), nullable=False
    )  # view_ticket, reveal_id, reveal_phone, reply, resolve
    # SET NULL: the trail outlives the ticket and the customer it was about (kept, detached).
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="SET NULL"))
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    at = Column(DateTime(timezone=True), nullable=False)


class CustomerConversation(Base):
    """A conversation in which a customer passed the identity check: where a web or REST
    customer can be reached later (a WeChat customer is reached by the bound openid)."""

    __tablename__ = "customer_conversations"

    id = Column(Integer, primary_key=True)
    # One customer per conversation: whoever verified in it last.
    conversation_id = Column(String(128), nullable=False, unique=True)
    # CASCADE: a link to the customer, nothing without them.
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel = Column(String(30), nullable=False)  # socketio, rest, wechat
    verified_at = Column(DateTime(timezone=True), nullable=False)


class ReminderPreference(Base):
    """A customer who replied 退订 gets no reminders until they reply 订阅."""

    __tablename__ = "reminder_preferences"

    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )  # theirs only
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
    # CASCADE: the log of what the bank said to this customer about this loan goes with them.
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


class RetentionRun(Base):
    """One pass of the retention rules (``retention:`` in policy.yml): when, and how many rows
    of each kind were deleted or anonymised."""

    __tablename__ = "retention_runs"

    id = Column(Integer, primary_key=True)
    started_at = Column(DateTime(timezone=True), nullable=False)
    finished_at = Column(DateTime(timezone=True))
    status = Column(String(20), nullable=False)  # running, done, failed
    counts = Column(String(2000), nullable=False, default="{}")  # JSON: {"reminders": 12, ...}
    error = Column(String(500))


class Erasure(Base):
    """A customer's request to erase their personal data, carried out: by whom, when, what
    was anonymised and what was kept by law (JSON). Repeating it is harmless and recorded too."""

    __tablename__ = "erasures"

    id = Column(Integer, primary_key=True)
    # SET NULL: the record of an erasure outlives the customer row it was about.
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    requested_by = Column(String(80), nullable=False)  # "agent:supervisor01" or "operator:<name>"
    at = Column(DateTime(timezone=True), nullable=False)
    outcome = Column(String(4000), nullable=False)  # JSON: {"anonymised": {...}, "kept": [...]}


class OneTimeCode(Base):
    """A code sent by SMS to prove a conversation is the customer's: only its hash is kept."""

    __tablename__ = "one_time_codes"

    id = Column(Integer, primary_key=True)
    # CASCADE: a code is the customer's, nothing without them.
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Where it went is the customer's phone on file (resend limits count per phone): not
    # copied here, so erasing the customer's contact details leaves none behind.
    conversation_id = Column(String(128), nullable=False, index=True)
    code_hash = Column(String(200), nullable=False)
    sent_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    wrong_attempts = Column(Integer, nullable=False, default=0)
    used_at = Column(DateTime(timezone=True))
    voided_at = Column(DateTime(timezone=True))  # too many wrong entries, or a newer code


class IdentityFailure(Base):
    """One failed identity check (wrong digits or a wrong code), once per thing it counts
    against: ``customer:<id>``, ``conversation:<id>``, ``openid:<id>``, ``address:<ip>`` ...
    Rows of one attempt share ``attempt``, so the overall count counts attempts."""

    __tablename__ = "identity_failures"
    __table_args__ = (Index("ix_identity_failures_subject_at", "subject", "occurred_at"),)

    id = Column(Integer, primary_key=True)
    attempt = Column(String(32), nullable=False)
    subject = Column(String(200), nullable=False)
    kind = Column(String(10), nullable=False)  # digits, code
    occurred_at = Column(DateTime(timezone=True), nullable=False, index=True)


class IdentityLock(Base):
    """A customer's self-service verification stopped after repeated failures, until it
    expires or an agent lifts it after verifying the customer by phone."""

    __tablename__ = "identity_locks"

    id = Column(Integer, primary_key=True)
    # CASCADE: a lock protects the customer, nothing without them.
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    locked_at = Column(DateTime(timezone=True), nullable=False)
    locked_until = Column(DateTime(timezone=True), nullable=False)
    failures = Column(Integer, nullable=False)  # how many had been counted
    lifted_at = Column(DateTime(timezone=True))
    # SET NULL: the audit log keeps who lifted it.
    lifted_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))


class ConsoleLoginFailure(Base):
    """One failed console login, counted per username and per address (``subject``:
    ``user:<name>`` or ``ip:<address>``), in the database so every console instance and a
    restart see the same count (console/throttle.py)."""

    __tablename__ = "console_login_failures"

    id = Column(Integer, primary_key=True)
    subject = Column(String(200), nullable=False)
    failed_at = Column(DateTime(timezone=True), nullable=False, index=True)

    __table_args__ = (Index("ix_console_login_failures_subject_at", "subject", "failed_at"),)


class ConsoleSession(Base):
    """A signed-in agent's session: the cookie carries a random token, the row its hash, so
    logging out revokes a copied cookie too; it ends after a fixed lifetime whatever happens."""

    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(
        Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    address = Column(String(64))
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)  # the absolute lifetime
    revoked_at = Column(DateTime(timezone=True))
