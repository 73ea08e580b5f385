"""An agent's login attempt: the password checked against the throttle (console/throttle.py),
the outcome audited, and on success a server-side session started (console/sessions.py).
Blocking work (the database and scrypt): call it off the event loop."""

import logging
from typing import Any

from sqlalchemy import select

from console.sessions import start_session
from console.throttle import forget_failures, locked_subject, login_subjects, record_failure
from console.tickets import audit
from loandb.models import Agent
from loandb.session import session_scope
from overdue.clock import now_in_china
from overdue.passwords import verify_password_or_dummy

logger = logging.getLogger(__name__)


def check_login(username: str, password: str, address: str) -> dict[str, Any]:
    """The login's outcome: ``locked``, ``failed``, or ``ok`` with the new session's token."""
    now = now_in_china()
    subjects = login_subjects(username, address)
    with session_scope() as session:
        agent = session.execute(select(Agent).where(Agent.username == username)).scalars().first()
        if locked_subject(session, subjects, now):
            verify_password_or_dummy(password, None)  # the same time as any other answer
            return {"outcome": "locked"}
        if not verify_password_or_dummy(password, agent.password_hash if agent else None):
            locked = record_failure(session, subjects, now)
            if agent is not None:
                audit(session, agent.id, "login_failed")
                if locked:
                    audit(session, agent.id, "login_locked")
            if locked:
                logger.warning("console logins locked for %s for 15 minutes", locked[:60])
            return {"outcome": "failed"}
        forget_failures(session, subjects[0])
        agent.last_seen_at = now  # signed in: available for handoffs
        audit(session, agent.id, "login")
        return {"outcome": "ok", "token": start_session(session, agent.id, address, now)}
