"""Failed console logins, counted in the database per username and per address: after
MAX_FAILURES within LOCK_MINUTES either is locked out for LOCK_MINUTES. In the database, so
every console instance and a restart see the same count."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from loandb.models import ConsoleLoginFailure

MAX_FAILURES = 5
LOCK_MINUTES = 15


def login_subjects(username: str, address: str) -> tuple:
    return (f"user:{username[:100]}", f"ip:{address[:64]}")


def _recent_failures(session: Session, subject: str, now: datetime) -> int:
    since = now - timedelta(minutes=LOCK_MINUTES)
    return session.execute(
        select(func.count(ConsoleLoginFailure.id)).where(
            ConsoleLoginFailure.subject == subject, ConsoleLoginFailure.failed_at > since
        )
    ).scalar_one()


def locked_subject(session: Session, subjects: Iterable[str], now: datetime) -> str | None:
    """The first of ``subjects`` (name, address) that is locked out now, if any."""
    for subject in subjects:
        if _recent_failures(session, subject, now) >= MAX_FAILURES:
            return subject
    return None


def record_failure(session: Session, subjects: Iterable[str], now: datetime) -> str | None:
    """Counts a failure for each subject; returns the one this failure locked, if any."""
    newly_locked = None
    for subject in subjects:
        session.add(ConsoleLoginFailure(subject=subject, failed_at=now))
        session.flush()
        if _recent_failures(session, subject, now) == MAX_FAILURES:
            newly_locked = newly_locked or subject
    return newly_locked


def forget_failures(session: Session, subject: str) -> None:
    """After a successful login: that name starts again (the address keeps its count)."""
    session.execute(delete(ConsoleLoginFailure).where(ConsoleLoginFailure.subject == subject))
