"""Who is due which reminder at a given moment, and why the others are skipped.

Pure functions of plain facts and the policy's ``reminders`` rules: no database, no
clock of their own, no network. Every limit comes from policy.yml.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from overdue.bank_rules import BankRules, within_quiet_hours
from overdue.clock import CHINA

DUE_SOON = "due_soon"
OVERDUE = "overdue"
GRACE_LAST_DAY = "grace_last_day"
# The EXTERNAL intent a reminder enters the conversation as: before the due date, or after it.
EXTERNAL_INTENTS = {
    DUE_SOON: "EXTERNAL_due_soon",
    OVERDUE: "EXTERNAL_overdue_reminder",
    GRACE_LAST_DAY: "EXTERNAL_overdue_reminder",
}

# Why a reminder was not sent, in the order they are checked: the customer's wishes and
# situation first, then the hour, then how to reach them, then the limits.
OPTED_OUT = "opted_out"
TICKET_OPEN = "ticket_open"
PROMISE_PENDING = "promise_pending"
LEGAL_COLLECTION = "legal_collection"
QUIET_HOURS = "quiet_hours"
NO_CHANNEL = "no_channel"
SEND_FAILED = "send_failed"
DAILY_LIMIT = "daily_limit"
WEEKLY_LIMIT = "weekly_limit"
CUSTOMER_CHATTING = "customer_chatting"  # checked when sending: the conversation is live


@dataclass(frozen=True)
class Contact:
    """Where a reminder reaches the customer: a channel and the conversation id on it."""

    channel: str  # wechat (the bound openid), socketio (the web chat's session), rest
    conversation_id: str


@dataclass(frozen=True)
class LoanDue:
    """A loan's unpaid instalments as the reminders see them."""

    loan_id: int
    overdue_since: date | None  # due date of the earliest unpaid instalment before today
    next_due: date | None  # due date of the next unpaid instalment, today or later
    in_legal_collection: bool = False


@dataclass(frozen=True)
class Occasion:
    """One moment a loan calls for a reminder: 3 days before a due date, 1 day after ..."""

    loan_id: int
    kind: str  # DUE_SOON, OVERDUE or GRACE_LAST_DAY
    due_date: date
    days_from_due: int  # negative before the due date

    def key(self, customer_id: int) -> str:
        """Names the occasion: it reaches the customer once."""
        return f"{customer_id}:{self.loan_id}:{self.due_date.isoformat()}:{self.days_from_due:+d}"


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: int
    loans: tuple[LoanDue, ...]
    contact: Contact | None
    opted_out: bool = False
    open_ticket: bool = False
    promised_until: date | None = None  # the latest date of an open promise to pay
    reached_on: tuple[date, ...] = ()  # China dates of reminders sent (or waiting) in the last week
    done: frozenset[str] = frozenset()  # keys of occasions already sent
    failures: Mapping[str, int] = field(default_factory=dict)  # failed sends per occasion key


@dataclass(frozen=True)
class Decision:
    customer_id: int
    occasion: Occasion
    contact: Contact | None
    reason: str | None = None  # None: send it

    @property
    def send(self) -> bool:
        return self.reason is None

    @property
    def key(self) -> str:
        return self.occasion.key(self.customer_id)


def occasions(loan: LoanDue, today: date, policy: BankRules) -> list[Occasion]:
    """The reminders this loan calls for today. An overdue loan gets only overdue ones."""
    rules = policy.reminders
    if loan.overdue_since is not None:
        days = (today - loan.overdue_since).days
        if days not in rules.days_overdue:
            return []
        # The grace period's last day is the last chance to pay without charge or report.
        kind = GRACE_LAST_DAY if days == policy.grace_period_days else OVERDUE
        return [Occasion(loan.loan_id, kind, loan.overdue_since, days)]
    if loan.next_due is not None and (loan.next_due - today).days in rules.days_before_due:
        return [Occasion(loan.loan_id, DUE_SOON, loan.next_due, -(loan.next_due - today).days)]
    return []


def _standing_reason(facts: CustomerFacts, today: date) -> str | None:
    """A reason that holds for every reminder to this customer today."""
    if facts.opted_out:
        return OPTED_OUT
    if facts.open_ticket:
        return TICKET_OPEN  # a person is handling it: the bank speaks with one voice
    if facts.promised_until is not None and today <= facts.promised_until:
        return PROMISE_PENDING  # the customer said when they will pay: trust them until then
    return None


def decide(facts: CustomerFacts, now: datetime, policy: BankRules) -> list[Decision]:
    """Every reminder due to this customer at ``now`` (China time), sent or skipped with a reason.

    Occasions already sent are left out. Most overdue first, so when the daily limit
    allows one, it is the one that matters most.
    """
    rules = policy.reminders
    now = now.astimezone(CHINA)
    today = now.date()
    due = [
        o
        for loan in facts.loans
        for o in occasions(loan, today, policy)
        if o.key(facts.customer_id) not in facts.done
    ]
    due.sort(key=lambda o: -o.days_from_due)
    loans = {loan.loan_id: loan for loan in facts.loans}
    week_start = today - timedelta(days=6)
    sent_today = sum(1 for day in facts.reached_on if day == today)
    sent_this_week = sum(1 for day in facts.reached_on if week_start <= day <= today)
    standing = _standing_reason(facts, today)

    decisions = []
    for occasion in due:
        reason = standing
        if reason is None and loans[occasion.loan_id].in_legal_collection:
            reason = LEGAL_COLLECTION  # the bank's lawyers write now, not the assistant
        if reason is None and within_quiet_hours(now.time(), rules):
            reason = QUIET_HOURS
        if reason is None and facts.contact is None:
            reason = NO_CHANNEL
        if (
            reason is None
            and facts.failures.get(occasion.key(facts.customer_id), 0) >= rules.send_attempts
        ):
            reason = SEND_FAILED
        if reason is None and sent_today >= rules.max_per_day:
            reason = DAILY_LIMIT
        if reason is None and sent_this_week >= rules.max_per_week:
            reason = WEEKLY_LIMIT
        if reason is None:
            sent_today += 1
            sent_this_week += 1
        decisions.append(Decision(facts.customer_id, occasion, facts.contact, reason))
    return decisions


def conversation_busy(
    last_event_at: datetime | None, paused: bool, now: datetime, policy: BankRules
) -> bool:
    """The customer is talking with us (or with a person) right now: a reminder would interrupt."""
    if paused:
        return True
    if last_event_at is None:
        return False
    return now - last_event_at < timedelta(minutes=policy.reminders.busy_minutes)
