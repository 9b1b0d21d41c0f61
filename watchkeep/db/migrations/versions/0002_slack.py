"""slack

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("signing_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("previous_signing_secret_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "signing_secret_rotated_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("updated_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_app")),
    )
    op.create_table(
        "slack_pacing",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("next_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_slack_pacing")),
    )
    op.create_table(
        "slack_workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("team_url", sa.String(length=300), nullable=True),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("default_channel", sa.String(length=100), nullable=True),
        sa.Column("urgency_filter", sa.String(length=20), nullable=False),
        sa.Column("urgency_channels", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("require_mapped_user", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_delivery_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "rate_limited_until", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_workspaces")),
        sa.UniqueConstraint("team_id", name=op.f("uq_slack_workspaces_team_id")),
    )
    op.create_table(
        "slack_user_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("slack_user_id", sa.String(length=32), nullable=True),
        sa.Column("slack_name", sa.String(length=200), nullable=True),
        sa.Column("fetched_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_user_links_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_user_links")),
        sa.UniqueConstraint(
            "workspace_id", "email", name=op.f("uq_slack_user_links_workspace_id_email")
        ),
        sa.UniqueConstraint(
            "workspace_id",
            "slack_user_id",
            name=op.f("uq_slack_user_links_workspace_id_slack_user_id"),
        ),
    )
    op.create_table(
        "slack_message_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_slack_message_refs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_message_refs_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_message_refs")),
        sa.UniqueConstraint(
            "incident_id",
            "workspace_id",
            name=op.f("uq_slack_message_refs_incident_id_workspace_id"),
        ),
    )
    with op.batch_alter_table("slack_message_refs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_message_refs_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_message_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_message_refs_incident_id"))

    op.drop_table("slack_message_refs")
    op.drop_table("slack_user_links")
    op.drop_table("slack_workspaces")
    op.drop_table("slack_pacing")
    op.drop_table("slack_app")
