"""connectors: team-owned Slack connectors; team membership roles (member, admin)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("signing_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("allowed_channels", sa.JSON(), nullable=False),
        sa.Column("channel_prefix", sa.String(length=80), nullable=True),
        sa.Column("slack_team_id", sa.String(length=32), nullable=True),
        sa.Column("slack_team_name", sa.String(length=200), nullable=True),
        sa.Column("slack_team_url", sa.String(length=300), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_delivery_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "rate_limited_until", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_connectors_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint("name", name=op.f("uq_connectors_name")),
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connectors_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("incident_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector_id", sa.Integer(), nullable=True))
        batch_op.alter_column("workspace_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_incident_channels_connector_id"), ["connector_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_incident_channels_connector_id_connectors"),
            "connectors",
            ["connector_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("runbook_threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector_id", sa.Integer(), nullable=True))
        batch_op.alter_column("workspace_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_runbook_threads_connector_id_connectors"),
            "connectors",
            ["connector_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "role",
                sa.Enum(
                    "MEMBER",
                    "ADMIN",
                    name="teamrole",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="MEMBER",
                nullable=False,
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_column("role")

    with op.batch_alter_table("runbook_threads", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_runbook_threads_connector_id_connectors"), type_="foreignkey"
        )
        batch_op.alter_column("workspace_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("connector_id")

    with op.batch_alter_table("incident_channels", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_incident_channels_connector_id_connectors"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_incident_channels_connector_id"))
        batch_op.alter_column("workspace_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("connector_id")

    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectors_team_id"))

    op.drop_table("connectors")
