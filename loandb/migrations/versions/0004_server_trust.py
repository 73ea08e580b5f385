"""Servers that trust no one they should not (issue 14): console logins counted, sessions
revocable, tickets claimed, agent roles.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="agent")
        )
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_handoff_tickets_claimed_by_agents",
            "agents",
            ["claimed_by"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "console_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("console_login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_login_failures_failed_at"), ["failed_at"], unique=False
        )
        batch_op.create_index(
            "ix_console_login_failures_subject_at", ["subject", "failed_at"], unique=False
        )

    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_sessions_agent_id"), ["agent_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("console_login_failures")
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.drop_constraint("fk_handoff_tickets_claimed_by_agents", type_="foreignkey")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("role")
