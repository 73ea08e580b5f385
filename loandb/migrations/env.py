"""Alembic's entry point: migrates the loan database named by the config or LOAN_DB_URL."""

from alembic import context
from sqlalchemy import text
from sqlalchemy.types import TypeDecorator

from loandb.models import Base
from loandb.search_index import include_object
from loandb.session import database_url, get_engine

# Several processes (Rasa instances, consoles, the scheduler) may start together and all
# ask for the schema: on PostgreSQL one takes this lock and the others wait, then find
# nothing left to do.
MIGRATION_LOCK_ID = 7_310_2026


def render_item(kind, item, autogen_context):
    """Money and Rate go into a migration as their stored column types, so a revision never
    imports the models it was written from."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


def run_migrations() -> None:
    url = context.config.attributes.get("url") or database_url()
    with get_engine(url).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one: with foreign keys on, the drop
            # would cascade into the rows that point at it. (Only outside a transaction.)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_item=render_item,
                render_as_batch=sqlite,
                include_object=include_object,
            )  # the search index is no model
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql(
                    "PRAGMA foreign_keys=ON"
                )  # the pool's connection, as session.py wants it


run_migrations()
