"""runbooks: runbooks, versions, runs, steps, incident channels and threads

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_team_id"],
            ["teams.id"],
            name=op.f("fk_runbooks_owner_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbooks")),
        sa.UniqueConstraint("name", name=op.f("uq_runbooks_name")),
    )
    with op.batch_alter_table("runbooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runbooks_owner_team_id"), ["owner_team_id"], unique=False
        )

    op.create_table(
        "runbook_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("runbook_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_runbook_versions_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["runbook_id"],
            ["runbooks.id"],
            name=op.f("fk_runbook_versions_runbook_id_runbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_versions")),
        sa.UniqueConstraint(
            "runbook_id", "version", name=op.f("uq_runbook_versions_runbook_id_version")
        ),
    )
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("runbook_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=50), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                name="runstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_runbook_runs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["runbook_id"],
            ["runbooks.id"],
            name=op.f("fk_runbook_runs_runbook_id_runbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_runs")),
    )
    with op.batch_alter_table("runbook_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runbook_runs_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_runbook_runs_runbook_incident", ["runbook_id", "incident_id"], unique=False
        )

    op.create_table(
        "runbook_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_runbook_threads_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_runbook_threads_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_threads")),
    )
    with op.batch_alter_table("runbook_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runbook_threads_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_channels",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_channels_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runbook_runs.id"],
            name=op.f("fk_incident_channels_run_id_runbook_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["slack_workspaces.id"],
            name=op.f("fk_incident_channels_workspace_id_slack_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_channels")),
    )
    with op.batch_alter_table("incident_channels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_channels_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "runbook_step_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "SKIPPED",
                name="stepstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runbook_runs.id"],
            name=op.f("fk_runbook_step_runs_run_id_runbook_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_step_runs")),
        sa.UniqueConstraint(
            "run_id", "position", name=op.f("uq_runbook_step_runs_run_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("runbook_step_runs")
    with op.batch_alter_table("incident_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_channels_workspace_id"))

    op.drop_table("incident_channels")
    with op.batch_alter_table("runbook_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runbook_threads_incident_id"))

    op.drop_table("runbook_threads")
    with op.batch_alter_table("runbook_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runbook_runs_runbook_incident")
        batch_op.drop_index(batch_op.f("ix_runbook_runs_incident_id"))

    op.drop_table("runbook_runs")
    op.drop_table("runbook_versions")
    with op.batch_alter_table("runbooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runbooks_owner_team_id"))

    op.drop_table("runbooks")
