"""The reminders' side of the loan database: the facts the rules need, every decision
recorded with its reason, opt-outs, and the conversations where customers can be reached.
Each function takes the caller's session."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from loandb.identity_store import bound_openid, customer_bound_to
from loandb.models import (
    Customer,
    CustomerConversation,
    HandoffTicket,
    LoanAccount,
    Reminder,
    ReminderPreference,
    ScheduleRow,
    ServiceRequest,
)
from overdue.bank_rules import BankRules
from overdue.clock import CHINA, as_china
from overdue.identity_rules import IdentityRules
from overdue.reminder_rules import Contact, CustomerFacts, Decision, LoanDue
from overdue.requests import OPEN_STATUSES

# A reminder in one of these has reached the customer (or waits for them): it counts
# toward the limits and its occasion is done.
COUNTED = ("sending", "sent", "waiting", "delivered")
# Web and REST conversations, in the order a customer is reached through them.
WEB_CHANNELS = ("socketio", "rest")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


def occasion_key(row: Reminder) -> str:
    return f"{row.customer_id}:{row.loan_id}:{row.due_date.isoformat()}:{row.days_from_due:+d}"


# --- where a customer is reached ----------------------------------------------------


def remember_conversation(
    session: Session, customer_id: int, conversation_id: str, channel: str, now: datetime
) -> None:
    """The customer verified in this conversation: the latest customer to do so owns it."""
    row = (
        session.execute(
            select(CustomerConversation).where(
                CustomerConversation.conversation_id == conversation_id
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        session.add(
            CustomerConversation(
                conversation_id=conversation_id,
                customer_id=customer_id,
                channel=channel,
                verified_at=now,
            )
        )
    else:
        row.customer_id, row.channel, row.verified_at = customer_id, channel, now


def contacts(
    session: Session, customers: Iterable[Customer], as_of: datetime, identity: IdentityRules
) -> dict[int, Contact]:
    """WeChat by the bound openid first (a template message reaches them), while the binding
    is trusted (not expired, not unbound); else the web chat or REST conversation they last
    verified in."""
    found: dict[int, Contact] = {}
    unbound = []
    for customer in customers:
        openid = bound_openid(customer, as_of, identity)
        if openid:
            found[customer.id] = Contact("wechat", openid)
        else:
            unbound.append(customer.id)
    if unbound:
        rows = session.execute(
            select(CustomerConversation)
            .where(
                CustomerConversation.customer_id.in_(unbound),
                CustomerConversation.channel.in_(WEB_CHANNELS),
            )
            .order_by(CustomerConversation.verified_at)
        ).scalars()
        latest: dict[int, dict[str, CustomerConversation]] = defaultdict(dict)
        for row in rows:
            latest[row.customer_id][row.channel] = row  # ordered: the last one wins
        for customer_id, by_channel in latest.items():
            row = next(by_channel[c] for c in WEB_CHANNELS if c in by_channel)
            found[customer_id] = Contact(row.channel, row.conversation_id)
    return found


def customer_of_conversation(
    session: Session, conversation_id: str, now: datetime, identity: IdentityRules
) -> int | None:
    """Whose conversation this is, as far as the bank knows without asking: the openid
    while bound, a reminder sent into it, or the last identity check in it."""
    bound = customer_bound_to(session, conversation_id, now, identity)
    if bound is not None:
        return bound.id
    reminded = (
        session.execute(
            select(Reminder.customer_id)
            .where(
                Reminder.conversation_id == conversation_id,
                Reminder.status.in_(("sent", "delivered")),
            )
            .order_by(Reminder.id.desc())
        )
        .scalars()
        .first()
    )
    if reminded is not None:
        return reminded
    return session.execute(
        select(CustomerConversation.customer_id).where(
            CustomerConversation.conversation_id == conversation_id
        )
    ).scalar()


# --- opting out ---------------------------------------------------------------------


def set_opted_out(
    session: Session, customer_id: int, opted_out: bool, conversation_id: str, now: datetime
) -> None:
    preference = session.get(ReminderPreference, customer_id)
    if preference is None:
        session.add(
            ReminderPreference(
                customer_id=customer_id,
                opted_out=opted_out,
                changed_at=now,
                conversation_id=conversation_id,
            )
        )
    else:
        preference.opted_out, preference.changed_at, preference.conversation_id = (
            opted_out,
            now,
            conversation_id,
        )


def is_opted_out(session: Session, customer_id: int) -> bool:
    preference = session.get(ReminderPreference, customer_id)
    return bool(preference and preference.opted_out)


# --- the facts the rules decide on ---------------------------------------------------


def loan_due(loan: LoanAccount, today: date) -> LoanDue:
    unpaid = [row.due_date for row in loan.schedule if row.amount_unpaid > 0]
    return LoanDue(
        loan_id=loan.id,
        overdue_since=min((d for d in unpaid if d < today), default=None),
        next_due=min((d for d in unpaid if d >= today), default=None),
        in_legal_collection=bool(loan.in_legal_collection),
    )


def customer_facts(session: Session, today: date, policy: BankRules) -> list[CustomerFacts]:
    """Facts about every customer with an instalment whose due date is a reminder day today."""
    rules = policy.reminders
    days = {today + timedelta(days=d) for d in rules.days_before_due}
    days |= {today - timedelta(days=d) for d in rules.days_overdue}
    candidate_loans = select(ScheduleRow.loan_id).where(
        ScheduleRow.settled_on.is_(None), ScheduleRow.due_date.in_(days)
    )
    loans = list(
        session.execute(
            select(LoanAccount)
            .where(LoanAccount.id.in_(candidate_loans))
            .options(selectinload(LoanAccount.schedule), selectinload(LoanAccount.customer))
            .order_by(LoanAccount.id)
        ).scalars()
    )
    if not loans:
        return []
    by_customer: dict[int, list[LoanAccount]] = defaultdict(list)
    for loan in loans:
        by_customer[loan.customer_id].append(loan)
    ids = list(by_customer)
    customers = {loan.customer.id: loan.customer for loan in loans}
    # Bindings that expire during the day count as expired already.
    reach = contacts(
        session,
        customers.values(),
        datetime.combine(today, time.max, tzinfo=CHINA),
        policy.identity,
    )

    opted_out = set(
        session.execute(
            select(ReminderPreference.customer_id).where(
                ReminderPreference.customer_id.in_(ids), ReminderPreference.opted_out.is_(True)
            )
        ).scalars()
    )
    ticket_conversations = [c.conversation_id for c in reach.values()]
    tickets = session.execute(
        select(HandoffTicket.customer_id, HandoffTicket.conversation_id).where(
            HandoffTicket.status == "open",
            or_(
                HandoffTicket.customer_id.in_(ids),
                HandoffTicket.conversation_id.in_(ticket_conversations),
            ),
        )
    ).all()
    with_ticket: set[int] = {t.customer_id for t in tickets if t.customer_id}
    with_ticket |= {
        cid for cid, c in reach.items() if c.conversation_id in {t.conversation_id for t in tickets}
    }
    promised: dict[int, date] = {}
    for customer_id, target in session.execute(
        select(ServiceRequest.customer_id, ServiceRequest.target_date).where(
            ServiceRequest.customer_id.in_(ids),
            ServiceRequest.kind == "promise_to_pay",
            ServiceRequest.status.in_(OPEN_STATUSES),
            ServiceRequest.target_date.isnot(None),
        )
    ):
        promised[customer_id] = max(target, promised.get(customer_id, target))

    reached: dict[int, list[date]] = defaultdict(list)
    done: dict[int, set[str]] = defaultdict(set)
    failures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Old enough to hold every occasion still current and a week of sends.
    since = _start_of(today - timedelta(days=max((*rules.days_overdue, 7)) + 1))
    for row in session.execute(
        select(Reminder).where(Reminder.customer_id.in_(ids), Reminder.decided_at >= since)
    ).scalars():
        if row.status in COUNTED or row.status == "expired":
            # An expired web reminder was on offer all the same: no catch-up burst later.
            done[row.customer_id].add(occasion_key(row))
        if row.status in COUNTED:
            reached[row.customer_id].append(as_china(row.decided_at).date())
        elif row.status == "failed":
            failures[row.customer_id][occasion_key(row)] += 1

    return [
        CustomerFacts(
            customer_id=customer_id,
            loans=tuple(loan_due(loan, today) for loan in by_customer[customer_id]),
            contact=reach.get(customer_id),
            opted_out=customer_id in opted_out,
            open_ticket=customer_id in with_ticket,
            promised_until=promised.get(customer_id),
            reached_on=tuple(reached[customer_id]),
            done=frozenset(done[customer_id]),
            failures=dict(failures[customer_id]),
        )
        for customer_id in ids
    ]


# --- recording decisions -------------------------------------------------------------


def _row(decision: Decision, now: datetime, status: str, reason: str | None = None) -> Reminder:
    occasion = decision.occasion
    contact = decision.contact
    return Reminder(
        customer_id=decision.customer_id,
        loan_id=occasion.loan_id,
        occasion=occasion.kind,
        due_date=occasion.due_date,
        days_from_due=occasion.days_from_due,
        decided_at=now,
        status=status,
        reason=reason,
        channel=contact.channel if contact else None,
        conversation_id=contact.conversation_id if contact else None,
    )


def record_skips(session: Session, decisions: Iterable[Decision], now: datetime) -> int:
    """Records each skipped reminder once per occasion and reason (the scheduler looks
    every few minutes; the agent needs to read why, not the same line fifty times)."""
    skipped = [d for d in decisions if not d.send]
    if not skipped:
        return 0
    customers = {d.customer_id for d in skipped}
    seen: set[tuple[str, str]] = {
        (occasion_key(row), row.reason)
        for row in session.execute(
            select(Reminder).where(
                Reminder.customer_id.in_(customers),
                Reminder.status == "skipped",
                Reminder.due_date.in_({d.occasion.due_date for d in skipped}),
            )
        ).scalars()
    }
    added = 0
    for decision in skipped:
        if (decision.key, decision.reason) not in seen:
            session.add(_row(decision, now, "skipped", decision.reason))
            seen.add((decision.key, decision.reason))
            added += 1
    return added


def claim(session: Session, decision: Decision, now: datetime) -> int:
    """Takes the occasion for sending. Raises IntegrityError when another scheduler took it
    first: give it a session of its own."""
    row = _row(decision, now, "sending")
    row.claim = decision.key
    session.add(row)
    session.flush()
    return row.id


def finish(
    session: Session,
    reminder_id: int,
    status: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """A claimed reminder's outcome. Failed or skipped at the last moment, it gives the
    occasion back so a later run can try again."""
    row = session.get(Reminder, reminder_id)
    row.status, row.reason = status, reason
    if status not in COUNTED:
        row.claim = None
    if status in ("sent", "delivered"):
        row.delivered_at = now


def supersede_waiting(session: Session, conversation_id: str, keep_id: int, now: datetime) -> None:
    """A newer web reminder replaces the ones still waiting in the same chat."""
    for row in session.execute(
        select(Reminder).where(
            Reminder.conversation_id == conversation_id,
            Reminder.status == "waiting",
            Reminder.id != keep_id,
        )
    ).scalars():
        finish(session, row.id, "expired", "superseded", now)


def expire_waiting(session: Session, today: date, policy: BankRules) -> int:
    """Web reminders the customer did not open in time are withdrawn."""
    oldest = _start_of(today - timedelta(days=policy.reminders.web_waiting_days - 1))
    rows = list(
        session.execute(
            select(Reminder).where(Reminder.status == "waiting", Reminder.decided_at < oldest)
        ).scalars()
    )
    for row in rows:
        row.status, row.reason = "expired", "not_opened"
    return len(rows)


def waiting_for(session: Session, conversation_id: str) -> list[Reminder]:
    return list(
        session.execute(
            select(Reminder)
            .where(Reminder.conversation_id == conversation_id, Reminder.status == "waiting")
            .order_by(Reminder.id)
        ).scalars()
    )


def recent_reminders(session: Session, customer_id: int, limit: int = 20) -> list[Reminder]:
    return list(
        session.execute(
            select(Reminder)
            .where(Reminder.customer_id == customer_id)
            .order_by(Reminder.id.desc())
            .limit(limit)
        ).scalars()
    )
