"""Console sessions kept on the server: the signed cookie carries a random token, the
``console_sessions`` row its hash. Logging out revokes the row, so a copied cookie stops
working too; every session ends after an absolute lifetime, however active."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loandb.models import ConsoleSession
from overdue.clock import as_china

ABSOLUTE_LIFETIME = timedelta(hours=12)  # a working day; then the agent signs in again


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, agent_id: int, address: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            agent_id=agent_id,
            address=address[:64],
            created_at=now,
            expires_at=now + ABSOLUTE_LIFETIME,
        )
    )
    return token


def session_agent_id(session: Session, token: str | None, now: datetime) -> int | None:
    """The agent of a live session: known, not revoked, within its lifetime."""
    if not token or not isinstance(token, str):
        return None
    row = (
        session.execute(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
        .scalars()
        .first()
    )
    if row is None or row.revoked_at is not None or as_china(row.expires_at) <= now:
        return None
    return row.agent_id


def revoke_session(session: Session, token: str | None, now: datetime) -> None:
    if not token or not isinstance(token, str):
        return
    row = (
        session.execute(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
        .scalars()
        .first()
    )
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
