"""reach: DMs to paged people, their notification rules, on-call user groups, handoff
timers, and the app-level token for Socket Mode

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = watchkeep.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("notification_rules", sa.JSON(), nullable=True))
    op.add_column("schedules", sa.Column("slack_user_group", sa.String(length=80), nullable=True))
    op.add_column("slack_app", sa.Column("app_token_encrypted", sa.Text(), nullable=True))
    op.add_column("slack_app", sa.Column("socket_mode_connected_at", UTC, nullable=True))
    op.add_column("slack_app", sa.Column("socket_mode_error", sa.Text(), nullable=True))
    op.create_table(
        "schedule_handoffs",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("next_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_handoffs_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_schedule_handoffs")),
    )
    op.create_table(
        "slack_user_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=80), nullable=False),
        sa.Column("usergroup_id", sa.String(length=32), nullable=True),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("synced_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_slack_user_groups_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_user_groups_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_user_groups")),
        sa.UniqueConstraint(
            "schedule_id",
            "workspace_id",
            name=op.f("uq_slack_user_groups_schedule_id_workspace_id"),
        ),
    )
    op.create_index(
        op.f("ix_slack_user_groups_workspace_id"), "slack_user_groups", ["workspace_id"]
    )
    op.create_table(
        "slack_direct_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_slack_direct_messages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_slack_direct_messages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_slack_direct_messages_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_direct_messages")),
    )
    op.create_index(
        op.f("ix_slack_direct_messages_incident_id"), "slack_direct_messages", ["incident_id"]
    )
    op.create_index(op.f("ix_slack_direct_messages_user_id"), "slack_direct_messages", ["user_id"])


def downgrade() -> None:
    op.drop_table("slack_direct_messages")
    op.drop_table("slack_user_groups")
    op.drop_table("schedule_handoffs")
    for table, column in (
        ("slack_app", "socket_mode_error"),
        ("slack_app", "socket_mode_connected_at"),
        ("slack_app", "app_token_encrypted"),
        ("schedules", "slack_user_group"),
        ("users", "notification_rules"),
    ):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
