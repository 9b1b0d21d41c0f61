"""Who is who across Slack and Watchkeep, by email, cached with an expiry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.models import SlackUserLink, SlackWorkspace
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
    """Store what Slack told us, replacing whatever either key said before."""
    email = email.lower() if email else None
    keys = []
    if email:
        keys.append(SlackUserLink.email == email)
    if slack_user_id:
        keys.append(SlackUserLink.slack_user_id == slack_user_id)
    if keys:
        session.execute(
            delete(SlackUserLink).where(SlackUserLink.workspace_id == workspace_id, or_(*keys))
        )
    session.add(
        SlackUserLink(
            workspace_id=workspace_id,
            email=email,
            slack_user_id=slack_user_id,
            slack_name=slack_name,
            fetched_at=now,
        )
    )
    session.flush()


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
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, emails: list[str]
) -> dict[str, str]:
    """Slack user ids for the emails that have one (users.lookupByEmail, cached)."""
    now = context.clock.now()
    with context.db.read() as session:
        known = cached_links(session, workspace.id, emails, now)
    found = {email: link.slack_user_id for email, link in known.items() if link.slack_user_id}
    for email in {e.lower() for e in emails} - set(known):
        try:
            user = delivery.call(context, workspace, "users.lookupByEmail", None, email=email)[
                "user"
            ]
        except SlackPermanentError:
            # users_not_found (or no users:read.email): name them without a mention.
            user = {}
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
