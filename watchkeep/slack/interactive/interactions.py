"""What every listener needs: the workspace, who acted, a checked change, a private answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from watchkeep.core import access
from watchkeep.core.access import THROUGH_CHANNEL, Scope
from watchkeep.core.actors import Actor
from watchkeep.core.errors import (
    DomainError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)
from watchkeep.core.models import IncidentStatus
from watchkeep.core.permissions import Permission, require
from watchkeep.slack.errors import SlackError
from watchkeep.slack.interactive import respond
from watchkeep.slack.interactive.directory import KnownWorkspace, WorkspaceDirectory
from watchkeep.slack.interactive.identity import ActorCache, resolve_actor

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

T = TypeVar("T")
log = logging.getLogger(__name__)

UNMAPPED = (
    "Your Slack account is not linked to an active Watchkeep user, and this workspace "
    "requires one. Ask an admin to add a Watchkeep user with your Slack email."
)


class Refused(Exception):
    """The action cannot be done; `message` tells the user why (privately).

    `field` names the core's input at fault (`service_id`), when one is, so a
    modal can flag the block that holds it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Interactions:
    runtime: Runtime
    directory: WorkspaceDirectory
    # What the listeners answer ("action:acknowledge", "view:resolve_incident", …): the
    # access test checks each against its table.
    listeners: list[str] = field(default_factory=list)
    actors: ActorCache = field(default_factory=ActorCache)

    def workspace(self, body: dict[str, Any]) -> KnownWorkspace:
        team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
        known = self.directory.find(team_id) if team_id else None
        if known is None:
            raise Refused("This Slack workspace is not connected to Watchkeep.")
        return known

    async def actor(self, body: dict[str, Any]) -> Actor:
        """Who acted, refused if the workspace requires mapped users or the role may not respond."""
        actor = await self.who(body)
        try:
            require(actor.role, Permission.RESPOND)
        except PermissionDeniedError as exc:
            raise Refused(f"You can't do that in Watchkeep: {exc}.") from exc
        return actor

    async def scope(self, body: dict[str, Any]) -> Scope:
        """Which incidents the Slack user sees in lists: their Watchkeep user's, or only
        organisation-wide services' when unmapped (refused when the workspace requires
        mapped users)."""
        return Scope.for_actor(await self.who(body))

    async def who(self, body: dict[str, Any]) -> Actor:
        """Who is asking, refused if the workspace requires mapped users."""
        workspace = self.workspace(body)

        async def users_info(slack_id: str) -> dict[str, Any]:
            return await self.runtime.slack.direct.paced_now(
                workspace.id, workspace.bot_token, "users.info", user=slack_id
            )

        actor = await resolve_actor(
            self.runtime.db,
            workspace.id,
            body["user"],
            users_info,
            self.runtime.clock.now(),
            self.actors,
        )
        if actor.user_id is None and workspace.require_mapped_user:
            raise Refused(UNMAPPED)
        return actor

    async def open_view(self, body: dict[str, Any], trigger_id: str, view: dict) -> None:
        """Open a modal at once (a trigger_id lives three seconds), through the throttle."""
        workspace = self.workspace(body)
        try:
            await self.runtime.slack.direct.paced_now(
                workspace.id, workspace.bot_token, "views.open", trigger_id=trigger_id, view=view
            )
        except SlackError as exc:
            log.warning("views.open failed: %s", exc)
            raise Refused("Slack did not let me open the form in time; please try again.") from exc

    async def change(self, work: Callable[[Session], T], *, incident_id: int | None = None) -> T:
        """Run `work` through the group commit (`core.commands`), committed before Slack
        gets its answer; `incident_id` keeps one incident's changes in order."""
        try:
            return await self.runtime.changes.apply(work, incident_id=incident_id)
        except InvalidTransitionError as exc:
            raise Refused(explain(exc)) from exc
        except NotFoundError as exc:
            raise Refused("That incident no longer exists in Watchkeep.") from exc
        except InvalidInputError as exc:
            raise Refused(exc.message, exc.field) from exc
        except DomainError as exc:
            raise Refused(str(exc)) from exc

    async def change_visible(
        self, scope: Scope, incident_id: int, work: Callable[[Session], T]
    ) -> T:
        """`change`, on an incident `scope` may see (else it no longer exists, to them)."""

        def checked(session: Session) -> T:
            access.visible_incident(session, scope, incident_id)
            return work(session)

        return await self.change(checked, incident_id=incident_id)

    async def tell(self, body: dict[str, Any], text: str) -> None:
        """A private answer to the clicking user, through the outbox."""
        url = body.get("response_url")

        def queue() -> None:
            with self.runtime.db.write() as session:
                respond.enqueue_ephemeral(
                    session,
                    url,
                    text,
                    slack_api_url=self.runtime.settings.slack_api_url,
                    now=self.runtime.clock.now(),
                )

        await run_in_threadpool(queue)


def clicked_scope(actor: Actor) -> Scope:
    """What a click on a message may act on: a mapped user's incidents; for an unmapped
    user, the incident of the message they clicked (the channel was their access)."""
    return THROUGH_CHANNEL if actor.user_id is None else Scope.for_actor(actor)


def explain(exc: InvalidTransitionError) -> str:
    if exc.status is IncidentStatus.RESOLVED:
        return f"Incident #{exc.number} is already resolved by {exc.resolved_by}."
    if exc.action == "acknowledge" and exc.status is IncidentStatus.ACKNOWLEDGED:
        return f"Incident #{exc.number} is already acknowledged by {exc.acknowledged_by}."
    return f"Can't {exc.action} incident #{exc.number}: it is {exc.status.value.lower()}."
