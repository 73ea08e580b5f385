"""One engine per database URL and one session scope; nothing connects at import time."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from settings import current


def database_url() -> str:
    return current().loan_db_url


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The action server answers from several threads.
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", enforce_foreign_keys)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=10, max_overflow=10)


def enforce_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite checks foreign keys (and runs ON DELETE) only when asked, per connection: asked on
    every one, so the embedded database refuses what PostgreSQL refuses."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session per unit of work: committed on success, rolled back on error, always closed."""
    session = _session_factory(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
