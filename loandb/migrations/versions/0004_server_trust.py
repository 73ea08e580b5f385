"""Servers that trust no one they should not (issue 14)

Revision ID: 0004
Revises:  console logins counted, sessions revocable, tickets claimed, agent roles.:0003
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0004'
down_revision = ' console logins counted, sessions revocable, tickets claimed, agent roles.:0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
