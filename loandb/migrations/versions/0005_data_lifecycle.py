"""Personal data with a lifecycle (issue 20): what happens on delete, retention runs,
erasure requests.

Every foreign key states its ON DELETE (the why of each is beside its column in
loandb/models.py), the same on SQLite and PostgreSQL. SQLite cannot alter a constraint:
batch mode copies the table (env.py turns foreign keys off meanwhile, or dropping the old
copy would cascade). The constraints made by 0001 have no name: on PostgreSQL they are
called ``<table>_<column>_fkey``, and the naming convention gives SQLite's reflected ones
the same name, so one drop works on both.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}

# (table, column, referred table, ON DELETE now)
FOREIGN_KEYS = [
    ("loan_accounts", "customer_id", "customers", "RESTRICT"),
    ("repayment_schedule", "loan_id", "loan_accounts", "CASCADE"),
    ("payments", "loan_id", "loan_accounts", "CASCADE"),
    ("deferrals", "loan_id", "loan_accounts", "CASCADE"),
    ("credit_report_status", "loan_id", "loan_accounts", "CASCADE"),
    ("service_requests", "customer_id", "customers", "CASCADE"),
    ("service_requests", "loan_id", "loan_accounts", "CASCADE"),
    ("handoff_tickets", "customer_id", "customers", "CASCADE"),
    ("handoff_tickets", "agent_id", "agents", "SET NULL"),
    ("ticket_notes", "ticket_id", "handoff_tickets", "CASCADE"),
    ("ticket_notes", "agent_id", "agents", "RESTRICT"),
    ("audit_log", "agent_id", "agents", "RESTRICT"),
    ("audit_log", "ticket_id", "handoff_tickets", "SET NULL"),
    ("audit_log", "customer_id", "customers", "SET NULL"),
]


def _tables():
    tables = {}
    for table, column, referred, ondelete in FOREIGN_KEYS:
        tables.setdefault(table, []).append((column, referred, ondelete))
    return tables


def _mend_orphans() -> None:
    """SQLite never checked: rows pointing at deleted rows get what ON DELETE would have done."""
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL always enforced the keys
    for table, column, referred, ondelete in FOREIGN_KEYS:
        orphan = f"{column} IS NOT NULL AND {column} NOT IN (SELECT id FROM {referred})"
        if ondelete == "CASCADE":
            op.execute(f"DELETE FROM {table} WHERE {orphan}")
        elif ondelete == "SET NULL":
            op.execute(f"UPDATE {table} SET {column} = NULL WHERE {orphan}")


def _restate(ondelete_of) -> None:
    for table, keys in _tables().items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for column, referred, ondelete in keys:
                name = f"{table}_{column}_fkey"
                batch_op.drop_constraint(name, type_="foreignkey")
                batch_op.create_foreign_key(
                    name, referred, [column], ["id"], ondelete=ondelete_of(ondelete)
                )


def upgrade() -> None:
    _mend_orphans()
    _restate(lambda ondelete: ondelete)

    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.String(length=2000), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasures_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasures_customer_id"))
    op.drop_table("erasures")
    op.drop_table("retention_runs")
    _restate(lambda ondelete: None)
