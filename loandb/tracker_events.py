"""The conversations in Rasa's tracker store (its SQLTrackerStore ``events`` table, at
``TRACKER_DB_URL``), as the data lifecycle sees them: whole conversations found by age and
deleted, or one customer's words anonymised in place. Always in bounded batches, each its
own transaction, so Rasa's writes are never held up for long.
"""

import json
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine

from loandb.session import get_engine
from settings import current as current_settings

logger = logging.getLogger(__name__)

# The columns of rasa.core.tracker_store.SQLTrackerStore.SQLEvent that we read or change.
_metadata = MetaData()
events = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

ERASED_TEXT = "[已删除]"
# Slots that hold what the customer told us about themselves (identity digits, amounts,
# reasons); their values go, the slot events stay so the conversation still reads.
_KEPT_SLOT_VALUES = {"verified", "requested_slot", "next_step"}
_KEPT_PARSE_KEYS = ("intent", "intent_ranking", "emotion")


def _engine(url: str | None) -> Engine | None:
    engine = get_engine(url or current_settings().tracker_db_url)
    if not inspect(engine).has_table("events"):
        return None  # Rasa has not stored a conversation there yet
    return engine


def conversations_idle_since(
    before_timestamp: float, limit: int, after: str = "", url: str | None = None
) -> list[str]:
    """Up to ``limit`` conversations whose last event is older than the moment given, in
    order of their ids from after ``after`` (to page through them)."""
    engine = _engine(url)
    if engine is None:
        return []
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(events.c.sender_id)
                .where(events.c.sender_id > after)
                .group_by(events.c.sender_id)
                .having(func.max(events.c.timestamp) < before_timestamp)
                .order_by(events.c.sender_id)
                .limit(limit)
            ).scalars()
        )


def delete_conversations(
    sender_ids: Iterable[str], batch_size: int = 500, url: str | None = None
) -> int:
    """Deletes every event of these conversations, ``batch_size`` events per transaction."""
    sender_ids = sorted(set(sender_ids))
    engine = _engine(url)
    if engine is None or not sender_ids:
        return 0
    deleted = 0
    while True:
        with engine.begin() as connection:
            ids = list(
                connection.execute(
                    select(events.c.id).where(events.c.sender_id.in_(sender_ids)).limit(batch_size)
                ).scalars()
            )
            if ids:
                connection.execute(delete(events).where(events.c.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted


def anonymised_event(data: dict[str, Any]) -> dict[str, Any]:
    """An event with the customer's words, entities, slot values and channel metadata removed;
    its kind, time, intent and action kept (the dashboard's counts still add up)."""
    data = dict(data)
    if data.get("text"):
        data["text"] = ERASED_TEXT
    if "metadata" in data:
        data["metadata"] = {}
    if "input_channel" in data and data.get("event") == "user":
        data["message_id"] = None
    parse = data.get("parse_data")
    if isinstance(parse, dict):
        # Only what the dashboard counts: the intent and the emotion score.
        data["parse_data"] = {key: parse[key] for key in _KEPT_PARSE_KEYS if key in parse}
        data["parse_data"].update(
            text=ERASED_TEXT if parse.get("text") else parse.get("text"), entities=[]
        )
    if data.get("event") == "user":
        data["entities"] = []
    if data.get("event") == "slot" and data.get("name") not in _KEPT_SLOT_VALUES:
        data["value"] = None
    if data.get("event") == "bot":
        data["data"] = {}  # buttons and relayed agent replies repeat figures and names
    return data


def anonymise_conversations(
    renamed: dict[str, str], batch_size: int = 500, url: str | None = None
) -> tuple[int, int]:
    """Rewrites the events of these conversations anonymised and under their new ids
    (``renamed``: old id -> new; a WeChat conversation's id is the customer's openid).
    Returns how many conversations were found and how many events changed; running it
    again changes nothing."""
    sender_ids = sorted(renamed)
    engine = _engine(url)
    if engine is None or not sender_ids:
        return 0, 0
    found = 0
    changed, after = 0, 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                select(events.c.id, events.c.data)
                .where(events.c.sender_id.in_(sender_ids), events.c.id > after)
                .order_by(events.c.id)
                .limit(batch_size)
            ).all()
            for row in rows:
                data = json.loads(row.data or "{}")
                cleaned = anonymised_event(data)
                if cleaned != data:
                    connection.execute(
                        update(events)
                        .where(events.c.id == row.id)
                        .values(data=json.dumps(cleaned, ensure_ascii=False))
                    )
                    changed += 1
        if len(rows) < batch_size:
            break
        after = rows[-1].id
    for old, new in renamed.items():
        with engine.begin() as connection:
            found += bool(
                connection.execute(
                    update(events).where(events.c.sender_id == old).values(sender_id=new)
                ).rowcount
            )
    return found, changed
