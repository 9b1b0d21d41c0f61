"""One small handler per subcommand; each answers the JSON Slack shows the user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from watchkeep.core import incidents, overview, transitions
from watchkeep.core.errors import NotFoundError
from watchkeep.core.models import Incident, Service, Urgency
from watchkeep.oncall import roster
from watchkeep.slack.commands import parse, replies
from watchkeep.slack.commands.parse import Command
from watchkeep.slack.interactive.interactions import Interactions, Refused
from watchkeep.slack.interactive.modals import open_create_modal
from watchkeep.slack.models import SlackMessageRef

LIST_LIMIT = 15
Handler = Callable[[Command, dict[str, Any]], Awaitable[dict[str, Any]]]


class SlashCommands:
    def __init__(self, ix: Interactions) -> None:
        self.ix = ix
        self.runtime = ix.runtime
        self.handlers: dict[str, Handler] = {
            "incidents": self.list_incidents,
            "status": self.status,
            "oncall": self.oncall,
            "create": self.create,
            "ack": self.acknowledge,
            "acknowledge": self.acknowledge,
            "resolve": self.resolve,
            "snooze": self.snooze,
        }

    async def answer(self, form: dict[str, str]) -> dict[str, Any]:
        command = parse.parse_command(form.get("text", ""))
        name = form.get("command") or "/watchkeep"
        handler = self.handlers.get(command.name)
        if handler is None:
            problem = None if command.name == "help" else f"Unknown command: {command.name}"
            return replies.help_reply(name, problem)
        try:
            return await handler(command, form)
        except Refused as refused:
            return replies.ephemeral(refused.message)

    def url_for(self, incident_id: int) -> str:
        return self.runtime.settings.public_url(f"/incidents/{incident_id}")

    async def read(self, work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with self.runtime.db.read() as session:
                return work(session)

        return await run_in_threadpool(run)

    async def list_incidents(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        found, total = await self.read(lambda s: overview.open_incidents(s, limit=LIST_LIMIT))
        return replies.incidents_reply(found, total, self.url_for)

    async def status(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        return replies.status_reply(await self.read(overview.status_summary), self.url_for)

    async def oncall(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        """Every schedule (or those whose name matches) with who is on call and until when."""
        wanted = command.rest.lower()
        now = self.runtime.clock.now()
        rows = await self.read(lambda s: roster.who_is_on_call(s, at=now))
        if wanted:
            rows = [row for row in rows if wanted in row.schedule.name.lower()]
        return replies.oncall_reply(rows, command.rest)

    async def create(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        body = _body(form)
        self.ix.workspace(body)
        if form.get("trigger_id") and await open_create_modal(
            self.ix, body, form["trigger_id"], command.rest
        ):
            return replies.ephemeral("Opening the create-incident form…")
        if not command.rest:
            raise Refused("Give the incident a title: `/watchkeep create Checkout is down`")
        actor = await self.ix.actor(body)
        service_id = await self.read(lambda s: _service_for_channel(s, form.get("channel_id")))
        incident, _ = await self.ix.change(
            lambda s: incidents.create_incident(
                s,
                title=command.rest[:1024],
                service_id=service_id,
                urgency=Urgency.HIGH,
                actor=actor,
                now=self.runtime.clock.now(),
            )
        )
        return replies.ephemeral(f"Created incident #{incident.number}: {command.rest[:200]}")

    async def acknowledge(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        actor, target = await self._actor_and_target(command.args, form)
        incident = await self.ix.change(
            lambda s: transitions.acknowledge(s, target, actor, now=self.runtime.clock.now()),
            incident_id=target,
        )
        return replies.ephemeral(f"Acknowledged incident #{incident.number}.")

    async def resolve(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        actor, target = await self._actor_and_target(command.args, form)
        words = (
            command.args[1:]
            if command.args and parse.incident_number(command.args[0])
            else command.args
        )
        note = " ".join(words) or None
        incident = await self.ix.change(
            lambda s: transitions.resolve(
                s, target, actor, now=self.runtime.clock.now(), note=note
            ),
            incident_id=target,
        )
        return replies.ephemeral(f"Resolved incident #{incident.number}.")

    async def snooze(self, command: Command, form: dict[str, str]) -> dict[str, Any]:
        length = parse.duration(command.args[0]) if command.args else None
        if length is None:
            raise Refused("Say for how long, up to 30 days: `/watchkeep snooze 2h #12`")
        actor, target = await self._actor_and_target(command.args[1:], form)
        now = self.runtime.clock.now()
        incident = await self.ix.change(
            lambda s: transitions.snooze(s, target, actor, now=now, until=now + length),
            incident_id=target,
        )
        return replies.ephemeral(f"Snoozed incident #{incident.number} for {command.args[0]}.")

    async def _actor_and_target(self, args: list[str], form: dict[str, str]) -> tuple[Any, int]:
        body = _body(form)
        workspace = self.ix.workspace(body)
        actor = await self.ix.actor(body)
        number = parse.incident_number(args[0]) if args else None
        target = await self.read(
            lambda s: _target(s, number, workspace.id, form.get("channel_id", ""))
        )
        return actor, target


def _body(form: dict[str, str]) -> dict[str, Any]:
    """The parts of an interaction payload that identity and replies read."""
    return {
        "user": {"id": form.get("user_id", ""), "name": form.get("user_name", "")},
        "team": {"id": form.get("team_id", "")},
        "response_url": form.get("response_url"),
    }


def _target(session: Session, number: int | None, workspace_id: int, channel_id: str) -> int:
    if number is not None:
        try:
            return incidents.get_incident_by_number(session, number).id
        except NotFoundError:
            raise Refused(f"There is no incident #{number}.") from None
    here = session.scalars(
        select(Incident)
        .join(SlackMessageRef, SlackMessageRef.incident_id == Incident.id)
        .where(
            SlackMessageRef.workspace_id == workspace_id,
            SlackMessageRef.channel_id == channel_id,
            Incident.status.in_(overview.OPEN_STATUSES),
        )
        .order_by(Incident.number)
    ).all()
    if len(here) == 1:
        return here[0].id
    if not here:
        raise Refused("Name the incident, e.g. `#12`: none is open in this channel.")
    numbers = ", ".join(f"#{i.number}" for i in here[:10])
    raise Refused(f"Several incidents are open in this channel ({numbers}): name one.")


def _service_for_channel(session: Session, channel_id: str | None) -> int:
    services = session.scalars(select(Service).order_by(Service.id)).all()
    matching = [s for s in services if channel_id and s.slack_channel == channel_id]
    if matching:
        return matching[0].id
    if len(services) == 1:
        return services[0].id
    raise Refused(
        "Several services exist: use the form (`/watchkeep create` with a title) to pick one."
    )
