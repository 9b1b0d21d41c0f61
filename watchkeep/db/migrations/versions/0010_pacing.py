"""pacing: Slack lanes with their waiting calls; digests of applied environment credentials

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The old rows were per-key GCRA bookings: meaningless to lanes, and only pacing history.
    op.execute("DELETE FROM slack_pacing")
    with op.batch_alter_table("slack_pacing") as batch:
        batch.add_column(sa.Column("state", sa.JSON(), nullable=True))
    op.create_table(
        "slack_pacing_waiters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("since", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wake_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_pacing_waiters")),
        sa.UniqueConstraint("lane", "job_id", name=op.f("uq_slack_pacing_waiters_lane_job_id")),
    )
    op.create_index(
        op.f("ix_slack_pacing_waiters_job_id"), "slack_pacing_waiters", ["job_id"], unique=False
    )
    with op.batch_alter_table("slack_app") as batch:
        batch.add_column(sa.Column("environment_digests", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_app") as batch:
        batch.drop_column("environment_digests")
    op.drop_index(op.f("ix_slack_pacing_waiters_job_id"), table_name="slack_pacing_waiters")
    op.drop_table("slack_pacing_waiters")
    op.execute("DELETE FROM slack_pacing")
    with op.batch_alter_table("slack_pacing") as batch:
        batch.drop_column("state")
