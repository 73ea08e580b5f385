"""Rasa's SQL tracker store, configured by one URL like the loan database, and reading a
long conversation in a window of its latest events.

``TRACKER_DB_URL`` selects the database (``postgresql://user@host:5432/db``); without it
conversations go to a SQLite file under ``var/``, so they survive a restart either way.

Rasa rebuilds the whole session from the store on every message, and then featurizes it and
sends it to the action server whole: a turn's cost grows with the conversation (a 300-turn
session: 35 ms -> 413 ms a turn). Everything the assistant decides on is in the slots, the
active form, whether a person has taken over, and the last few turns; so a turn reads the
session's latest ``TRACKER_WINDOW_EVENTS`` events, starting at a customer message, after
the state they start from (the session's start, the latest value of every slot, the form,
the pause), read with a few indexed queries. Stored events are never changed: the agents'
console and the HTTP API read the full conversation (``retrieve_full_tracker``).
"""

import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from settings import current as current_settings

# The latest slot values, form and pause are replayed before the window (_windowed_rows);
# a restart or a reset of all slots ends what came before it.
CLEAN_SLATE = ("restart", "reset_slots")
STORED = "_events_already_stored"  # on a windowed tracker: how many of its events are stored
# Declared once on Rasa's table (every store shares its metadata): a new database gets it
# with the table, an existing one when a store first opens it.
EVENTS_BY_CONVERSATION = sa.Index(
    "events_sender_id_id", SQLTrackerStore.SQLEvent.sender_id, SQLTrackerStore.SQLEvent.id
)

logger = logging.getLogger(__name__)


class UrlSQLTrackerStore(SQLTrackerStore):
    """Registered in endpoints.yml as ``persistence.tracker_store.UrlSQLTrackerStore``."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,  # Rasa passes the endpoint's url here; unused
        event_broker: EventBroker | None = None,
        url: str | None = None,  # the benchmarks' own file; Rasa never passes it
        **kwargs: Any,
    ) -> None:
        url = make_url(url or current_settings().tracker_db_url)
        dialect = url.get_backend_name()
        if dialect == "sqlite":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        logger.info("conversations are stored in %s", url.render_as_string(hide_password=True))
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query),
            **kwargs,
        )
        # The window's queries go by conversation and event id. As with Rasa's own tables:
        # another instance may be creating it at the same moment, or the tables are not there
        # yet; the store works without it, only slower.
        try:
            EVENTS_BY_CONVERSATION.create(self.engine, checkfirst=True)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            logger.warning("the events index is not there yet: %s", error.__class__.__name__)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        window = current_settings().tracker_window_events
        if not window:
            return await super().retrieve(sender_id)
        with self.session_scope() as session:
            rows = self._windowed_rows(session, sender_id, window)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], self.domain.slots
        )
        setattr(tracker, STORED, len(tracker.events))
        return tracker

    def _windowed_rows(self, session: Any, sender_id: str, window: int) -> list[Any]:
        """The session's events if they fit the window; else the state before the window and
        the window itself, starting at a customer message."""
        Event = self.SQLEvent
        mine = Event.sender_id == sender_id
        session_start = (
            session.query(sa.func.max(Event.timestamp))
            .filter(mine, Event.type_name == "session_started")
            .scalar()
        )
        in_session = [mine] if session_start is None else [mine, Event.timestamp >= session_start]
        latest = session.query(Event).filter(*in_session).order_by(Event.id.desc())
        rows = latest.limit(window + 1).all()[::-1]
        if len(rows) <= window:
            return rows
        first_message = next(
            (i for i, row in enumerate(rows) if i > 0 and row.type_name == "user"), None
        )
        if first_message is None:  # one huge turn: read it all rather than cut it
            return session.query(Event).filter(*in_session).order_by(Event.id).all()
        cut = rows[first_message].id
        before = [*in_session, Event.id < cut]
        slate = (
            session.query(sa.func.max(Event.id))
            .filter(*before, Event.type_name.in_(CLEAN_SLATE))
            .scalar()
        )
        if slate is not None:
            before.append(Event.id > slate)
        opening = (
            session.query(Event)
            .filter(*in_session, Event.id < cut, Event.type_name == "session_started")
            .order_by(Event.id.desc())
            .limit(1)
            .all()
        )
        latest_ids = [
            # the newest value of each slot (a slot event's action_name is the slot's name)
            session.query(sa.func.max(Event.id))
            .filter(*before, Event.type_name == "slot")
            .group_by(Event.action_name),
            session.query(sa.func.max(Event.id)).filter(*before, Event.type_name == "active_loop"),
            session.query(sa.func.max(Event.id)).filter(
                *before, Event.type_name.in_(("pause", "resume"))
            ),
        ]
        ids = sorted({found for query in latest_ids for (found,) in query.all() if found})
        state = (
            session.query(Event).filter(Event.id.in_(ids)).order_by(Event.id).all() if ids else []
        )
        return [*opening, *state, *rows[first_message:]]

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is None:  # a tracker this store did not read windowed
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if hasattr(tracker, STORED):  # saved again later, only what is new since this save
            setattr(tracker, STORED, len(tracker.events))
