"""The customer's own satisfaction ratings (满意度) of a ticket, as its page shows them
(given in the chat after the agent handed back: actions/satisfaction.py)."""

from typing import Any

from loandb.satisfaction import ratings_of_ticket
from loandb.session import session_scope


def ticket_satisfaction(ticket_id: int) -> list[dict[str, Any]]:
    with session_scope() as session:
        return ratings_of_ticket(session, ticket_id)
