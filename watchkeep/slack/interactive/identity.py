"""Who clicked: a Slack user maps to an ACTIVE Watchkeep user by email.

The Slack user's email comes from `users.info` once, then from a cache with an
expiry. Anyone else acts as "<Slack name> via Slack", unless the workspace
requires mapped users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from watchkeep.core import accounts
from watchkeep.core.actors import Actor
from watchkeep.core.models import Source
from watchkeep.db.engine import Database
from watchkeep.slack import users
from watchkeep.slack.errors import SlackError


def _payload_name(slack_user: dict[str, Any]) -> str:
    return slack_user.get("name") or slack_user.get("username") or slack_user.get("id", "someone")


def actor_for_email(session: Session, email: str | None, slack_name: str) -> Actor:
    """The active user with `email`, else the Slack name \"via Slack\"."""
    user = accounts.find_user_by_email(session, email) if email else None
    if user is not None and user.is_active:
        return Actor.for_user(user, Source.SLACK)
    return Actor(name=f"{slack_name} via Slack", source=Source.SLACK)


UserLookup = Callable[[str], Awaitable[dict[str, Any]]]


async def resolve_actor(
    db: Database,
    workspace_id: int,
    slack_user: dict[str, Any],
    users_info: UserLookup,
    now: datetime,
) -> Actor:
    slack_id = slack_user["id"]

    def cached() -> Actor | None:
        with db.read() as session:
            link = users.link_for_slack_user(session, workspace_id, slack_id, now)
            if link is None:
                return None
            return actor_for_email(
                session, link.email, link.slack_name or _payload_name(slack_user)
            )

    actor = await run_in_threadpool(cached)
    if actor is not None:
        return actor
    email, name = None, _payload_name(slack_user)
    try:
        user = (await users_info(slack_id)).get("user") or {}
        profile = user.get("profile") or {}
        email = profile.get("email")
        name = profile.get("display_name") or user.get("real_name") or name
    except SlackError:
        # No users:read.email scope, or Slack hiccuped: act as an unmapped user this once.
        pass

    def store() -> Actor:
        with db.write() as session:
            users.remember(
                session, workspace_id, email=email, slack_user_id=slack_id, slack_name=name, now=now
            )
            return actor_for_email(session, email, name)

    return await run_in_threadpool(store)
