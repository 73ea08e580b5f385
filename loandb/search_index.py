"""Substring search in the words of kept transcripts, for Chinese (no spaces between words).

Trigram indexes, the database's own (built by migration 0006): an FTS5 table with the
trigram tokenizer on SQLite, a pg_trgm GIN index on PostgreSQL. Both answer "which tickets'
words contain this phrase", case-insensitively for Latin letters, with the same results: a
phrase of three characters or more is looked up in the index; a shorter one (罚息) has no
trigram and is matched by a scan of ``search_text``, still correct (benchmarks/history_search.py
measures both at 100,000 tickets).

The index objects are not SQLAlchemy models; their names start with ``ticket_search`` and
``include_object`` keeps autogenerate and the schema comparison away from them.
"""

from typing import Any

from sqlalchemy import literal_column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from loandb.models import TicketTranscript

PREFIX = "ticket_search"
MAX_PHRASE = 100


def include_object(obj: Any, name: str, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For Alembic: the search index's tables (SQLite's FTS5 and its shadow tables) and index
    (PostgreSQL's) exist in the database only."""
    return not (reflected and compare_to is None and (name or "").startswith(PREFIX))


def _like_pattern(phrase: str) -> str:
    escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def tickets_saying(session: Session, phrase: str) -> Select:
    """A select of the ids of tickets whose kept words contain ``phrase``."""
    phrase = " ".join(phrase.split())[:MAX_PHRASE]
    column = TicketTranscript.search_text
    if session.get_bind().dialect.name == "sqlite" and len(phrase) >= 3:
        quoted = '"' + phrase.replace('"', '""') + '"'  # one FTS5 phrase: the characters as typed
        return (
            select(literal_column("rowid"))
            .select_from(text("ticket_search"))
            .where(text("ticket_search MATCH :phrase").bindparams(phrase=quoted))
        )
    # PostgreSQL: ILIKE uses the trigram index when the phrase has a trigram. SQLite, short
    # phrases: LIKE is case-insensitive for Latin letters, like the trigram tokenizer.
    # (ILIKE only when the phrase has letters with a case: it is several times slower to scan.)
    pattern = _like_pattern(phrase)
    caseless = phrase.lower() == phrase.upper()
    condition = (
        column.like(pattern, escape="\\")
        if caseless or session.get_bind().dialect.name == "sqlite"
        else column.ilike(pattern, escape="\\")
    )
    return select(TicketTranscript.ticket_id).where(condition)
