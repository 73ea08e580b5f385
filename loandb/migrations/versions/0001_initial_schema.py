"""The schema as it stood when migrations began: customers, loans, schedules, payments,
requests, agents, handoff tickets and the audit log.

Money columns are integer cents and rates exact text (loandb.models.Money, Rate); written
here as their plain column types so this file never changes when the models do.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id_last4", sa.String(length=4), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=False),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
        sa.UniqueConstraint("wechat_openid"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_id_last4"), ["id_last4"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_phone_last4"), ["phone_last4"], unique=False)

    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_tickets_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handoff_tickets_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "loan_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("product_name", sa.String(length=50), nullable=False),
        sa.Column("account_tail", sa.String(length=4), nullable=False),
        sa.Column("annual_rate", sa.String(length=12), nullable=True),
        sa.Column("repayment_account_tail", sa.String(length=4), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("in_legal_collection", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loan_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_accounts_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["handoff_tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "credit_report_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("loan_id"),
    )
    op.create_table(
        "deferrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deferrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deferrals_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "repayment_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("minimum_due", sa.BigInteger(), nullable=True),
        sa.Column("principal_paid", sa.BigInteger(), nullable=False),
        sa.Column("interest_paid", sa.BigInteger(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repayment_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repayment_schedule_loan_id"), ["loan_id"], unique=False
        )

    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("monthly_payment", sa.BigInteger(), nullable=True),
        sa.Column("total_fee", sa.BigInteger(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_requests_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_requests_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["handoff_tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_notes_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_notes_ticket_id"))

    op.drop_table("ticket_notes")
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_requests_loan_id"))
        batch_op.drop_index(batch_op.f("ix_service_requests_customer_id"))

    op.drop_table("service_requests")
    with op.batch_alter_table("repayment_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repayment_schedule_loan_id"))

    op.drop_table("repayment_schedule")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_loan_id"))

    op.drop_table("payments")
    with op.batch_alter_table("deferrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deferrals_loan_id"))

    op.drop_table("deferrals")
    op.drop_table("credit_report_status")
    op.drop_table("audit_log")
    with op.batch_alter_table("loan_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_accounts_customer_id"))

    op.drop_table("loan_accounts")
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_tickets_customer_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_tickets_conversation_id"))

    op.drop_table("handoff_tickets")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_phone_last4"))
        batch_op.drop_index(batch_op.f("ix_customers_id_last4"))

    op.drop_table("customers")
    op.drop_table("agents")
