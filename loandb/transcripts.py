"""Transcripts kept with resolved tickets (``ticket_transcripts``): stored once the ticket is
resolved, read back by the history, the ticket page and the PDF export."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loandb.models import TicketTranscript

# Whose words the history's search looks in: the customer's and the agents', not the bot's
# stock answers (they would make every ticket match 还款).
SEARCHED_SENDERS = ("customer", "agent")
MAX_MESSAGES = 2000


def search_words(messages: list[dict[str, Any]]) -> str:
    return "\n".join(
        m["text"] for m in messages if m.get("sender") in SEARCHED_SENDERS and m.get("text")
    )


def keep_transcript(
    session: Session, ticket_id: int, messages: list[dict[str, Any]], now: datetime
) -> None:
    """Stores (or replaces) the ticket's transcript: its messages as the console shows them."""
    messages = messages[-MAX_MESSAGES:]
    row = session.get(TicketTranscript, ticket_id) or TicketTranscript(ticket_id=ticket_id)
    row.messages = json.dumps(messages, ensure_ascii=False)
    row.search_text = search_words(messages)
    row.message_count = len(messages)
    row.stored_at = now
    session.add(row)


def kept_messages(session: Session, ticket_id: int) -> list[dict[str, Any]] | None:
    row = session.get(TicketTranscript, ticket_id)
    return None if row is None else json.loads(row.messages)
