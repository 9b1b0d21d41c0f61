"""alert sources: more integration types; change events; alert history; shown labels

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = ("EVENTS_API_V2", "ALERTMANAGER", "WEBHOOK")
NEW_TYPES = (*OLD_TYPES, "GRAFANA", "OPSGENIE", "DATADOG", "SENTRY", "CLOUDWATCH")


def _integration_types(names: tuple[str, ...]) -> None:
    # The type's CHECK constraint lists its values: replace it with one listing these.
    with op.batch_alter_table("integrations") as batch:
        batch.alter_column(
            "type",
            existing_type=sa.Enum(
                *[n for n in NEW_TYPES if n in names or n in OLD_TYPES],
                name="integrationtype",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            type_=sa.Enum(
                *names,
                name="integrationtype",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            existing_nullable=False,
        )


def upgrade() -> None:
    _integration_types(NEW_TYPES)
    op.create_table(
        "change_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=True),
        sa.Column("occurred_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("custom_details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_change_events_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events")),
    )
    op.create_index(
        "ix_change_events_service_occurred",
        "change_events",
        ["service_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "incident_alerts",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("received_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_alerts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "slot", name=op.f("pk_incident_alerts")),
    )
    with op.batch_alter_table("service_alert_settings") as batch:
        batch.add_column(sa.Column("shown_labels", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_alert_settings") as batch:
        batch.drop_column("shown_labels")
    op.drop_table("incident_alerts")
    op.drop_index("ix_change_events_service_occurred", table_name="change_events")
    op.drop_table("change_events")
    op.execute(
        sa.text("DELETE FROM integrations WHERE type NOT IN :old").bindparams(
            sa.bindparam("old", OLD_TYPES, expanding=True)
        )
    )
    _integration_types(OLD_TYPES)
