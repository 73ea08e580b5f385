"""Customer satisfaction (issue 19): the 1-5 ratings customers give at the end of a
conversation, with their words.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["handoff_tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("satisfaction_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_satisfaction_ratings_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_satisfaction_ratings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_satisfaction_ratings_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_satisfaction_ratings_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("satisfaction_ratings")
