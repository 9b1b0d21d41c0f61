"""Who is who across Slack and Watchkeep, by email, cached with an expiry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
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
    email: str,
    slack_user_id: str | None,
    slack_name: str | None,
    now: datetime,
) -> None:
    email = email.lower()
    row = session.scalar(
        select(SlackUserLink).where(
            SlackUserLink.workspace_id == workspace_id, SlackUserLink.email == email
        )
    )
    if row is None:
        row = SlackUserLink(workspace_id=workspace_id, email=email)
        session.add(row)
    row.slack_user_id, row.slack_name, row.fetched_at = slack_user_id, slack_name, now


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
            remember(session, workspace.id, email, user.get("id"), user.get("name"), now)
        if user.get("id"):
            found[email] = user["id"]
    return found
