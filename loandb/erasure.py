"""Erasure on request: one customer's personal data anonymised everywhere it lives, except
what the bank must keep by law (``overdue.erasure_rules.KEPT_BY_LAW``, listed in the outcome).

    python -m loandb.erasure --customer 42 --by "operator:zhang.san"

Everywhere means: the customer's contact details (phone) and WeChat binding; their
conversations in the tracker store (words, entities, slot values and channel metadata of
every event, and the conversation's id, which for WeChat is the openid); handoff tickets
(summary, notes, kept transcript, conversation id; an open one is closed); the reminder
log; conversation links; requests' free-text reasons; whatever is kept per conversation
(codes, failures, lockouts) or per customer by other parts; and the SMS outbox file. Each
erasure is an ``erasures`` row (and an audit entry when a supervisor did it in the console).
Running it again finds nothing left and says so.
"""

import argparse
import getpass
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from loandb import tracker_events
from loandb.identity_store import customer_subject
from loandb.migrate import upgrade
from loandb.models import (
    AuditEntry,
    Base,
    Customer,
    CustomerConversation,
    Erasure,
    HandoffTicket,
    Reminder,
    ReminderPreference,
    ServiceRequest,
    TicketNote,
)
from loandb.session import session_scope
from overdue.clock import now_in_china
from overdue.erasure_rules import (
    ERASED_PHONE,
    ERASED_SUMMARY,
    erased_conversation_id,
    is_erased_conversation,
    kept_list,
    outbox_line_mentions,
)
from settings import current

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# Tables whose rows a customer erasure keeps (by law, see KEPT_BY_LAW) or changes itself.
KEPT_TABLES = {
    "customers",
    "loan_accounts",
    "repayment_schedule",
    "payments",
    "deferrals",
    "credit_report_status",
    "service_requests",
    "audit_log",
    "erasures",
    "reminder_preferences",
    "handoff_tickets",
    "ticket_notes",
    "reminders",
    "customer_conversations",
    "retention_runs",
    "agents",
    "ticket_transcripts",
    "ticket_reviews",
}


# Kept per ticket, with the customer's words: deleted with the ticket's summary.
TRANSCRIPT_TABLES = ("ticket_transcripts",)


class UnknownCustomer(LookupError):
    pass


def sms_outbox_path() -> Path:
    """The file the SMS sender writes when no provider is configured (development, tests)."""
    return Path(current().sms_outbox_path)


def customer_conversations(session: Session, customer: Customer) -> set[str]:
    """Every conversation this customer was seen in (not yet erased)."""
    found: set[str] = set()
    for model in (CustomerConversation, Reminder, ServiceRequest, HandoffTicket):
        found.update(
            session.execute(
                select(model.conversation_id).where(model.customer_id == customer.id)
            ).scalars()
        )
    for table in Base.metadata.sorted_tables:  # codes, failures, lockouts kept by other parts
        if table.name not in KEPT_TABLES and "customer_id" in table.c:
            for name in ("conversation_id", "sender_id"):
                if name in table.c:
                    found.update(
                        session.execute(
                            select(table.c[name]).where(table.c.customer_id == customer.id)
                        ).scalars()
                    )
    if customer.wechat_openid:
        found.add(customer.wechat_openid)
    return {
        conversation
        for conversation in found
        if conversation and not is_erased_conversation(conversation)
    }


def _erase_in_loan_database(
    session: Session, customer: Customer, renamed: dict[str, str], now: datetime
) -> Counter:
    counts: Counter = Counter()
    conversations = list(renamed)
    if customer.phone != ERASED_PHONE or customer.wechat_openid:
        counts["contact_details"] = 1
    if customer.wechat_openid:
        counts["wechat_binding"] = 1
    customer.phone, customer.phone_last4, customer.wechat_openid = ERASED_PHONE, ERASED_PHONE, None
    customer.wechat_bound_at = None

    # Theirs, and any handed over in their conversations before they verified.
    tickets = (
        session.execute(
            select(HandoffTicket).where(
                (HandoffTicket.customer_id == customer.id)
                | HandoffTicket.conversation_id.in_(conversations)
            )
        )
        .scalars()
        .all()
    )
    for ticket in tickets:
        counts["ticket_notes"] += (
            session.execute(delete(TicketNote).where(TicketNote.ticket_id == ticket.id)).rowcount
            or 0
        )
        for (
            name
        ) in TRANSCRIPT_TABLES:  # the bank's own copy of the conversation (console/transcripts.py)
            table = Base.metadata.tables.get(name)
            if table is not None:
                counts["ticket_transcripts"] += (
                    session.execute(delete(table).where(table.c.ticket_id == ticket.id)).rowcount
                    or 0
                )
        reviews = Base.metadata.tables.get("ticket_reviews")
        if reviews is not None:  # a supervisor's words may describe the customer; the score stays
            session.execute(
                update(reviews).where(reviews.c.ticket_id == ticket.id).values(comment="")
            )
        ticket.summary = ERASED_SUMMARY
        ticket.conversation_id = renamed.get(ticket.conversation_id) or erased_conversation_id()
        if ticket.status == "open":
            ticket.status, ticket.resolved_at = "resolved", now
        ticket.customer_id = None  # detached: the ticket now counts for the dashboard only
        counts["tickets"] += 1
    counts["reminders"] = (
        session.execute(delete(Reminder).where(Reminder.customer_id == customer.id)).rowcount or 0
    )
    counts["conversation_links"] = (
        session.execute(
            delete(CustomerConversation).where(CustomerConversation.customer_id == customer.id)
        ).rowcount
        or 0
    )
    session.execute(
        update(ReminderPreference)
        .where(ReminderPreference.customer_id == customer.id)
        .values(conversation_id=None)
    )  # an opt-out is kept: it protects the customer
    counts["request_reasons"] = (
        session.execute(
            update(ServiceRequest)
            .where(
                ServiceRequest.customer_id == customer.id,
                (ServiceRequest.reason.isnot(None)) | (ServiceRequest.conversation_id.isnot(None)),
            )
            .values(reason=None, conversation_id=None)
        ).rowcount
        or 0
    )
    # What other parts keep per customer or per conversation (codes, failures, lockouts, bindings).
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        conditions = []
        if "customer_id" in table.c:
            conditions.append(table.c.customer_id == customer.id)
        for name in ("conversation_id", "sender_id"):
            if name in table.c and conversations:
                conditions.append(table.c[name].in_(conversations))
        if table.name == "identity_failures":  # counted per customer and per conversation
            conditions.append(table.c.subject.in_(failure_subjects([customer.id], conversations)))
        for condition in conditions:
            counts[table.name] += session.execute(delete(table).where(condition)).rowcount or 0
    return counts


def failure_subjects(customer_ids: Iterable[int], conversations: Iterable[str]) -> list[str]:
    """What identity_failures count against, for these customers and conversations
    (IdentityFailure's forms: ``customer:<id>``, and ``conversation:``, ``openid:`` or
    ``session:`` before a conversation id, by channel, as actions/identity.py's sources)."""
    conversations = list(conversations)
    return [customer_subject(customer_id) for customer_id in customer_ids] + [
        f"{kind}:{conversation}"
        for conversation in conversations
        for kind in ("conversation", "openid", "session")
    ]


def _erase_from_outbox(phone: str, customer_id: int, path: Path) -> int:
    if not path.exists():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not outbox_line_mentions(line, phone, customer_id)]
    if len(kept) == len(lines):
        return 0
    scratch = path.with_suffix(path.suffix + ".erasing")
    scratch.write_text("".join(kept), encoding="utf-8")
    os.replace(scratch, path)  # whole or not at all
    return len(lines) - len(kept)


def erase_customer(
    customer_id: int,
    requested_by: str,
    agent_id: int | None = None,
    url: str | None = None,
    tracker_url: str | None = None,
    outbox: Path | None = None,
) -> dict[str, Any]:
    """Anonymises the customer's personal data; returns what was done and what was kept."""
    now = now_in_china()
    with session_scope(url) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        phone = customer.phone
        renamed = {
            conversation: erased_conversation_id()
            for conversation in customer_conversations(session, customer)
        }
    # The conversations first: if a step below fails, running it again still finds them.
    counts: Counter = Counter()
    counts["conversations"], counts["conversation_events"] = tracker_events.anonymise_conversations(
        renamed, url=tracker_url
    )
    counts["sms_outbox_lines"] = _erase_from_outbox(phone, customer_id, outbox or sms_outbox_path())
    with session_scope(url) as session:
        customer = session.get(Customer, customer_id)
        counts.update(_erase_in_loan_database(session, customer, renamed, now))
        anonymised = {name: count for name, count in sorted(counts.items()) if count}
        outcome = {
            "customer_id": customer_id,
            "anonymised": anonymised,
            "nothing_left": not anonymised,
            "kept": kept_list(),
        }
        record = {
            "anonymised": anonymised,
            "kept": [kept["where"] for kept in outcome["kept"]],
        }  # well under 4000
        session.add(
            Erasure(
                customer_id=customer_id,
                requested_by=requested_by[:80],
                at=now,
                outcome=json.dumps(record, ensure_ascii=False),
            )
        )
        if agent_id is not None:
            session.add(
                AuditEntry(
                    agent_id=agent_id, action="erase_customer", customer_id=customer_id, at=now
                )
            )
    logger.info(
        "customer %s erased on request by %s: %s",
        customer_id,
        requested_by,
        anonymised or "nothing left",
    )
    return outcome


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customer", type=int, required=True, help="the customer's id in the loan database"
    )
    parser.add_argument(
        "--by", help='who asked for it, for the record (default "operator:<login name>")'
    )
    args = parser.parse_args(argv)
    upgrade()
    try:
        outcome = erase_customer(args.customer, args.by or f"operator:{getpass.getuser()}")
    except UnknownCustomer:
        # The message says it all; the lookup's traceback would only be noise.
        raise SystemExit(f"no customer {args.customer} in the loan database") from None
    if outcome["nothing_left"]:
        print(f"==> customer {args.customer}: nothing left to erase (already erased)")
    else:
        print(
            f"==> customer {args.customer} erased: "
            + ", ".join(f"{name} {count}" for name, count in outcome["anonymised"].items())
        )
    print("==> kept, as the law requires:")
    for kept in outcome["kept"]:
        print(f"    - {kept['what']} ({kept['where']}): {kept['why']}")


if __name__ == "__main__":
    main()
