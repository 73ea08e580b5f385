"""Rasa's SQL tracker store, configured by one URL like the loan database.

``TRACKER_DB_URL`` selects the database (``postgresql://user@host:5432/db``); without it
conversations go to a SQLite file under ``var/``, so they survive a restart either way.
"""

import logging
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from settings import current as current_settings

logger = logging.getLogger(__name__)


class UrlSQLTrackerStore(SQLTrackerStore):
    """Registered in endpoints.yml as ``persistence.tracker_store.UrlSQLTrackerStore``."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,  # Rasa passes the endpoint's url here; unused
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = make_url(current_settings().tracker_db_url)
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
