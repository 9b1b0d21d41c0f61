"""alert sources: more integration types

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = ("EVENTS_API_V2", "ALERTMANAGER", "WEBHOOK")
NEW_TYPES = (*OLD_TYPES, "GRAFANA")


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


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM integrations WHERE type NOT IN :old").bindparams(
            sa.bindparam("old", OLD_TYPES, expanding=True)
        )
    )
    _integration_types(OLD_TYPES)
