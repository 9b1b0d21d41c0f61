"""Who a Slack user is, from a worker: the cached link, else `users.info` (paced).

The same rule as a click's (`interactive.identity`): an ACTIVE Watchkeep user
with the Slack user's email, else "<Slack name> via Slack".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeep.core.actors import Actor
from watchkeep.core.models import User
from watchkeep.slack import users
from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.interactive.identity import actor_for_email
from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery


def slack_person(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, slack_user_id: str
) -> tuple[str | None, str]:
    """The Slack user's (email, name): cached for hours, else asked of Slack."""
    now = context.clock.now()
    with context.db.read() as session:
        link = users.link_for_slack_user(session, workspace.id, slack_user_id, now)
        if link is not None:
            return link.email, link.slack_name or slack_user_id
    try:
        user = delivery.call(context, workspace, "users.info", None, user=slack_user_id)["user"]
    except SlackPermanentError:
        # user_not_found, or no users:read.email: known by id only this once.
        return None, slack_user_id
    profile = user.get("profile") or {}
    email = profile.get("email")
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or slack_user_id
    with context.db.write() as session:
        users.remember(
            session,
            workspace.id,
            email=email,
            slack_user_id=slack_user_id,
            slack_name=name,
            now=now,
        )
    return email, name


def slack_actor(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, slack_user_id: str
) -> Actor:
    email, name = slack_person(delivery, context, workspace, slack_user_id)
    with context.db.read() as session:
        return actor_for_email(session, email, name)


def watchkeep_user(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, slack_user_id: str
) -> tuple[User | None, str]:
    """The active Watchkeep user behind a Slack user (or None), and the Slack name."""
    email, name = slack_person(delivery, context, workspace, slack_user_id)
    with context.db.read() as session:
        actor = actor_for_email(session, email, name)
        user = session.get(User, actor.user_id) if actor.user_id else None
        if user is not None:
            session.expunge(user)
    return user, name
