"""hardening: revocable web sessions, sign-in throttle, token use and expiry, outbox index

Revision ID: 0006
Revises: 0005

`ix_outbox_ordering` became (ordering_key, state, id) by an edit of the released
0001, so a database made before that edit still has (ordering_key, id) and the
slow claim plan. This revision rebuilds the index wherever it is the old one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import watchkeep.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_ORDERING = ["ordering_key", "state", "id"]


def upgrade() -> None:
    _rebuild_outbox_ordering_index()
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_used_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("expires_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_user_sessions_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", watchkeep.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempts_attempted_at"), ["attempted_at"], unique=False
        )
        batch_op.create_index(
            "ix_sign_in_attempts_client", ["client", "attempted_at"], unique=False
        )
        batch_op.create_index(
            "ix_sign_in_attempts_email", ["email_digest", "attempted_at"], unique=False
        )


def _rebuild_outbox_ordering_index() -> None:
    indexes = sa.inspect(op.get_bind()).get_indexes("outbox")
    columns = next((i["column_names"] for i in indexes if i["name"] == "ix_outbox_ordering"), None)
    if columns == OUTBOX_ORDERING:
        return
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        if columns is not None:
            batch_op.drop_index("ix_outbox_ordering")
        batch_op.create_index("ix_outbox_ordering", OUTBOX_ORDERING, unique=False)


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
    op.drop_table("user_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("last_used_at")
