"""Who is who across Slack and Watchkeep, by email, cached with an expiry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.models import SlackUserLink, SlackWorkspace
from watchkeep.slack.senders import Sender
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery

CACHE_FOR = timedelta(hours=12)


def cached_links(
    session: Session, workspace_id: int, emails: Iterable[str], now: datetime
) -> dict[str, SlackUserLink]:
    wanted = {email.lower() for email in emails}
    if not wanted:
        return {}
    rows = session.scalars(
        select(SlackUserLink).where(
            SlackUserLink.workspace_id == workspace_id,
            SlackUserLink.email.in_(wanted),
            SlackUserLink.fetched_at > now - CACHE_FOR,
        )
    )
    return {row.email: row for row in rows}


def remember(
    session: Session,
    workspace_id: int,
    *,
    email: str | None,
    slack_user_id: str | None,
    slack_name: str | None,
    now: datetime,
) -> None:
    """Store what Slack told us, replacing whatever either key said before.

    An upsert on the Slack user id (or, for an email nobody in Slack has, on the
    email), so two first clicks of one user at once both succeed: the database
    settles the race instead of a delete-then-insert that one of them loses.
    """
    email = email.lower() if email else None
    if slack_user_id is None and email is None:
        return
    here = SlackUserLink.workspace_id == workspace_id
    if email and slack_user_id:
        # The email now belongs to this Slack user: no other row may keep it.
        session.execute(
            delete(SlackUserLink).where(
                here, SlackUserLink.email == email, SlackUserLink.slack_user_id.is_(None)
            )
        )
        session.execute(
            update(SlackUserLink)
            .where(here, SlackUserLink.email == email, SlackUserLink.slack_user_id != slack_user_id)
            .values(email=None)
        )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SlackUserLink).values(
        workspace_id=workspace_id,
        email=email,
        slack_user_id=slack_user_id,
        slack_name=slack_name,
        fetched_at=now,
    )
    key = ["workspace_id", "slack_user_id"] if slack_user_id else ["workspace_id", "email"]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=key,
            set_={
                "email": statement.excluded.email,
                "slack_user_id": statement.excluded.slack_user_id,
                "slack_name": statement.excluded.slack_name,
                "fetched_at": statement.excluded.fetched_at,
            },
        )
    )


def link_for_slack_user(
    session: Session, workspace_id: int, slack_user_id: str, now: datetime
) -> SlackUserLink | None:
    return session.scalar(
        select(SlackUserLink).where(
            SlackUserLink.workspace_id == workspace_id,
            SlackUserLink.slack_user_id == slack_user_id,
            SlackUserLink.fetched_at > now - CACHE_FOR,
        )
    )


def slack_ids_for_emails(
    delivery: SlackDelivery, context: JobContext, workspace: Sender, emails: list[str]
) -> dict[str, str]:
    """Slack user ids for the emails that have one (users.lookupByEmail, cached).

    A connector's lookups are not cached: the cache belongs to the workspaces."""
    now = context.clock.now()
    cached = isinstance(workspace, SlackWorkspace)
    with context.db.read() as session:
        known = cached_links(session, workspace.id, emails, now) if cached else {}
    found = {email: link.slack_user_id for email, link in known.items() if link.slack_user_id}
    for email in {e.lower() for e in emails} - set(known):
        try:
            user = delivery.call(context, workspace, "users.lookupByEmail", None, email=email)[
                "user"
            ]
        except SlackPermanentError:
            # users_not_found (or no users:read.email): name them without a mention.
            user = {}
        if cached:
            with context.db.write() as session:
                remember(
                    session,
                    workspace.id,
                    email=email,
                    slack_user_id=user.get("id"),
                    slack_name=user.get("name"),
                    now=now,
                )
        if user.get("id"):
            found[email] = user["id"]
    return found
