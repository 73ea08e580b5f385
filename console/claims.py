"""One agent works a ticket at a time. The first to act on an open ticket (take it, reply,
resolve) holds it; the others see who does and are refused; a supervisor may take it over."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loandb.models import Agent, HandoffTicket


class HeldByAnother(Exception):
    """The ticket is another agent's; ``holder`` is their display name."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def holder_name(session: Session, ticket: HandoffTicket) -> str | None:
    if not ticket.claimed_by:
        return None
    agent = session.get(Agent, ticket.claimed_by)
    return agent.display_name if agent else None


def claim(session: Session, ticket: HandoffTicket, agent: dict[str, Any], now: datetime) -> bool:
    """Makes ``agent`` the holder if nobody else is; True when the claim is new."""
    if ticket.claimed_by == agent["id"]:
        return False
    if ticket.claimed_by is not None and holder_name(session, ticket) is not None:
        raise HeldByAnother(holder_name(session, ticket))
    ticket.claimed_by, ticket.claimed_at = agent["id"], now
    return True


def take_over(
    session: Session, ticket: HandoffTicket, agent: dict[str, Any], now: datetime
) -> bool:
    """A supervisor takes the ticket from whoever holds it; False for anyone else."""
    if agent.get("role") != "supervisor":
        return False
    ticket.claimed_by, ticket.claimed_at = agent["id"], now
    return True
