"""The agents' workspace (issue 19): transcripts kept with resolved tickets, searchable;
supervisors' reviews.

The search index is the database's own, built for substring search in Chinese (no spaces
between words): on SQLite an FTS5 table with the trigram tokenizer over
``ticket_transcripts.search_text`` (external content, kept in step by triggers), on
PostgreSQL a pg_trgm GIN index on that column. Neither is a SQLAlchemy model; their names
all start with ``ticket_search`` (loandb/search_index.py).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE ticket_search USING fts5(search_text, content='ticket_transcripts', "
    "content_rowid='ticket_id', tokenize='trigram')",
    "CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket_transcripts BEGIN "
    "INSERT INTO ticket_search(rowid, search_text) VALUES (new.ticket_id, new.search_text); END",
    "CREATE TRIGGER ticket_search_delete AFTER DELETE ON ticket_transcripts BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, search_text) "
    "VALUES ('delete', old.ticket_id, old.search_text); END",
    "CREATE TRIGGER ticket_search_update AFTER UPDATE ON ticket_transcripts BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, search_text) "
    "VALUES ('delete', old.ticket_id, old.search_text); "
    "INSERT INTO ticket_search(rowid, search_text) VALUES (new.ticket_id, new.search_text); END",
]
# In public, named with its schema: the extension is one per database, whichever schema
# (search_path) the bank's tables are in.
POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
    "CREATE INDEX ticket_search_trgm ON ticket_transcripts "
    "USING gin (search_text public.gin_trgm_ops)",
]


def upgrade() -> None:
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_tickets_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_handoff_tickets_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "ticket_transcripts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["handoff_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("ticket_transcripts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_transcripts_stored_at"), ["stored_at"], unique=False
        )

    op.create_table(
        "ticket_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_id"], ["agents.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["ticket_id"], ["handoff_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("ticket_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_reviews_outcome"), ["outcome"], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in (
        SQLITE_SEARCH if dialect == "sqlite" else POSTGRES_SEARCH if dialect == "postgresql" else []
    ):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS ticket_search")  # its triggers go with ticket_transcripts
    op.drop_table("ticket_reviews")
    op.drop_table("ticket_transcripts")
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_tickets_agent_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_tickets_created_at"))
