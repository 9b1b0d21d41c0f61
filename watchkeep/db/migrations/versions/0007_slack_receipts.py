"""slack: receipts of applied Slack requests, so a replayed copy is refused

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_request_receipts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_slack_request_receipts")),
    )
    op.create_index(
        op.f("ix_slack_request_receipts_expires_at"),
        "slack_request_receipts",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_request_receipts_expires_at"), table_name="slack_request_receipts")
    op.drop_table("slack_request_receipts")
