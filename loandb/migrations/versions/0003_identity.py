"""Identity you can trust (issue 13): one-time codes, verification failures and lockouts,
bindings with an expiry.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wechat_bound_at", sa.DateTime(timezone=True), nullable=True))
    # Bindings made before bindings expired count from now.
    op.execute(
        sa.text(
            "UPDATE customers SET wechat_bound_at = CURRENT_TIMESTAMP"
            " WHERE wechat_openid IS NOT NULL"
        )
    )

    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_one_time_codes_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_one_time_codes_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "identity_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identity_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_failures_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_identity_failures_subject_at", ["subject", "occurred_at"], unique=False
        )

    op.create_table(
        "identity_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lifted_by"], ["agents.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identity_locks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_locks_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("identity_locks")
    op.drop_table("identity_failures")
    op.drop_table("one_time_codes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("wechat_bound_at")
