"""Applies the retention rules (``retention:`` in policy.yml, ``overdue.retention_rules``):
what is past its period is deleted or anonymised, in batches of ``batch_size`` rows per
transaction so that no table is locked for long, and each run is a ``retention_runs`` row.

    python -m loandb.retention                              # one run now
    python -m loandb.retention --now 2027-06-01T03:00       # as of a China-time moment

The reminder scheduler (``reminders/scheduler.py``) runs it every ``run_every_hours``.

- conversations (the tracker store, ``TRACKER_DB_URL``): deleted whole once their last
  event is older than the period, unless a handoff ticket on them is still open; the
  conversation's link to a customer goes with it.
- ticket summaries and transcripts: a resolved ticket's summary and notes are cleared, its
  kept transcript deleted and its conversation id (a WeChat openid, say) replaced; its
  reason, priority and times stay for the dashboard.
- reminders, one-time codes, login records, audit log: rows older than the period deleted.
"""

import argparse
import json
import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import Column, Table, delete, select, update

from loandb import tracker_events
from loandb.migrate import upgrade
from loandb.models import Base, CustomerConversation, HandoffTicket, RetentionRun, TicketNote
from loandb.session import session_scope
from overdue.clock import CHINA, now_in_china
from overdue.retention_rules import RetentionRules, load_retention_rules

logger = logging.getLogger(__name__)

# Rows deleted by age: (kind in policy.yml, table, the column that dates a row: the first
# of these the table has). Tables another part adds later are picked up once they exist.
AGED_ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("ticket_summaries", "ticket_transcripts", ("stored_at",)),  # kept from the ticket's resolution
    ("satisfaction_ratings", "satisfaction_ratings", ("created_at",)),
    ("reminders", "reminders", ("decided_at",)),
    ("one_time_codes", "one_time_codes", ("sent_at",)),
    ("login_records", "identity_failures", ("occurred_at",)),
    ("login_records", "identity_locks", ("locked_until",)),  # from when the lock ended
    ("login_records", "console_login_failures", ("failed_at",)),
    ("login_records", "console_sessions", ("expires_at",)),
    ("audit_log", "audit_log", ("at",)),
]
CLEARED_SUMMARY = "{}"


def _dated(table_name: str, candidates: tuple[str, ...]) -> tuple[Table, Column] | None:
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    for name in candidates:
        if name in table.c:
            return table, table.c[name]
    logger.warning(
        "retention: %s has none of the columns %s; left alone", table_name, ", ".join(candidates)
    )
    return None


def delete_older(
    table: Table, column: Column, cutoff: datetime, batch_size: int, url: str | None = None
) -> int:
    """Rows dated before ``cutoff`` deleted, ``batch_size`` per transaction."""
    key = next(iter(table.primary_key.columns))
    deleted = 0
    while True:
        with session_scope(url) as session:
            keys = list(
                session.execute(
                    select(key).where(column < cutoff).order_by(key).limit(batch_size)
                ).scalars()
            )
            if keys:
                session.execute(delete(table).where(key.in_(keys)))
        deleted += len(keys)
        if len(keys) < batch_size:
            return deleted


def clear_ticket_summaries(cutoff: datetime, batch_size: int, url: str | None = None) -> int:
    cleared = 0
    while True:
        with session_scope(url) as session:
            ids = list(
                session.execute(
                    select(HandoffTicket.id)
                    .where(
                        HandoffTicket.status == "resolved",
                        HandoffTicket.resolved_at < cutoff,
                        HandoffTicket.summary != CLEARED_SUMMARY,
                    )
                    .order_by(HandoffTicket.id)
                    .limit(batch_size)
                ).scalars()
            )
            for ticket_id in ids:
                session.execute(
                    update(HandoffTicket)
                    .where(HandoffTicket.id == ticket_id)
                    .values(summary=CLEARED_SUMMARY, conversation_id=f"ticket-{ticket_id}")
                )
            if ids:
                session.execute(delete(TicketNote).where(TicketNote.ticket_id.in_(ids)))
        cleared += len(ids)
        if len(ids) < batch_size:
            return cleared


def delete_old_conversations(
    cutoff: datetime, batch_size: int, url: str | None = None, tracker_url: str | None = None
) -> tuple[int, int]:
    """Returns (conversations, events) deleted from the tracker store."""
    conversations = events = 0
    after = ""
    while True:
        idle = tracker_events.conversations_idle_since(
            cutoff.timestamp(), batch_size, after=after, url=tracker_url
        )
        if not idle:
            return conversations, events
        with session_scope(url) as session:
            open_ones = set(
                session.execute(
                    select(HandoffTicket.conversation_id).where(
                        HandoffTicket.status == "open", HandoffTicket.conversation_id.in_(idle)
                    )
                ).scalars()
            )
        gone = [sender for sender in idle if sender not in open_ones]
        events += tracker_events.delete_conversations(gone, batch_size, url=tracker_url)
        with session_scope(url) as session:
            session.execute(
                delete(CustomerConversation).where(CustomerConversation.conversation_id.in_(gone))
            )
        conversations += len(gone)
        if len(idle) < batch_size:
            return conversations, events
        after = idle[-1]


def apply_retention(
    now: datetime, rules: RetentionRules, url: str | None = None, tracker_url: str | None = None
) -> dict[str, int]:
    """One run, recorded in ``retention_runs``; returns how many of each were deleted or cleared."""
    now = now.astimezone(CHINA)
    with session_scope(url) as session:
        run = RetentionRun(started_at=now, status="running", counts="{}")
        session.add(run)
        session.flush()
        run_id = run.id
    counts: Counter = Counter()
    try:
        conversations, events = delete_old_conversations(
            rules.cutoff("conversations", now), rules.batch_size, url, tracker_url
        )
        counts["conversations"], counts["conversation_events"] = conversations, events
        counts["ticket_summaries"] = clear_ticket_summaries(
            rules.cutoff("ticket_summaries", now), rules.batch_size, url
        )
        for kind, table_name, candidates in AGED_ROWS:
            dated = _dated(table_name, candidates)
            if dated is not None:
                counts[table_name] += delete_older(
                    *dated, rules.cutoff(kind, now), rules.batch_size, url
                )
    except Exception as error:
        with session_scope(url) as session:
            session.execute(
                update(RetentionRun)
                .where(RetentionRun.id == run_id)
                .values(
                    status="failed",
                    finished_at=now_in_china(),
                    counts=json.dumps(dict(counts)),
                    error=f"{error.__class__.__name__}: {error}"[:500],
                )
            )
        raise
    with session_scope(url) as session:
        session.execute(
            update(RetentionRun)
            .where(RetentionRun.id == run_id)
            .values(status="done", finished_at=now_in_china(), counts=json.dumps(dict(counts)))
        )
    return dict(counts)


def last_run_started_at(url: str | None = None) -> datetime | None:
    with session_scope(url) as session:
        started = session.execute(
            select(RetentionRun.started_at)
            .where(RetentionRun.status != "failed")
            .order_by(RetentionRun.started_at.desc())
            .limit(1)
        ).scalar()
    if started is not None and started.tzinfo is None:
        started = started.replace(tzinfo=CHINA)  # SQLite keeps China time without its zone
    return started


def run_if_due(
    now: datetime,
    rules: RetentionRules | None = None,
    url: str | None = None,
    tracker_url: str | None = None,
) -> dict[str, int] | None:
    """What the scheduler calls on every pass: a run when the last one is old enough."""
    rules = rules or load_retention_rules()
    if not rules.due(last_run_started_at(url), now.astimezone(CHINA)):
        return None
    return apply_retention(now, rules, url, tracker_url)


def parse_now(text: str) -> datetime:
    """'2027-06-01T03:00' is China time; an explicit offset is honoured."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--now", type=parse_now, help="the moment to run as (China time)")
    args = parser.parse_args(argv)
    upgrade()
    counts = apply_retention(args.now or now_in_china(), load_retention_rules())
    print(
        "==> retention: "
        + (
            ", ".join(f"{name} {count}" for name, count in sorted(counts.items()) if count)
            or "nothing past its period"
        )
    )


if __name__ == "__main__":
    main()
