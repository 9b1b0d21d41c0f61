"""paged users: whoever an escalation step paged for an incident may see it

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_paged_users",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paged_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_paged_users_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_paged_users_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "user_id", name=op.f("pk_incident_paged_users")),
    )
    op.create_index(
        op.f("ix_incident_paged_users_user_id"), "incident_paged_users", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_paged_users_user_id"), table_name="incident_paged_users")
    op.drop_table("incident_paged_users")
