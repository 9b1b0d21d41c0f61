"""events: notes saved from Slack, per-workspace message choices, storm digests

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_workspaces") as batch:
        batch.add_column(
            sa.Column("note_emoji", sa.String(length=100), server_default="pushpin", nullable=False)
        )
        batch.add_column(
            sa.Column("thread_updates", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "resolution_broadcast", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        "slack_message_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_slack_message_notes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_slack_message_notes_note_id_notes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_message_notes_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_message_notes")),
        sa.UniqueConstraint(
            "workspace_id",
            "channel_id",
            "message_ts",
            name=op.f("uq_slack_message_notes_workspace_id_channel_id_message_ts"),
        ),
    )
    op.create_index(
        op.f("ix_slack_message_notes_incident_id"),
        "slack_message_notes",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "slack_storm_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("started_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("grown_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("incident_count", sa.Integer(), nullable=False),
        sa.Column("first_incidents", sa.JSON(), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_storm_digests_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_storm_digests")),
    )
    op.create_index(
        op.f("ix_slack_storm_digests_workspace_id"),
        "slack_storm_digests",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_storm_digests_workspace_id"), table_name="slack_storm_digests")
    op.drop_table("slack_storm_digests")
    op.drop_index(op.f("ix_slack_message_notes_incident_id"), table_name="slack_message_notes")
    op.drop_table("slack_message_notes")
    with op.batch_alter_table("slack_workspaces") as batch:
        batch.drop_column("resolution_broadcast")
        batch.drop_column("thread_updates")
        batch.drop_column("note_emoji")
