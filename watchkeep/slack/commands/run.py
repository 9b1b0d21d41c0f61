"""`/watchkeep run <runbook name> [#n]`: start a manual runbook for an incident.

In an incident's channel (its runbook channel, or the channel its message is
in) the number may be left out. Only responders and admins, and only
runbooks whose connection they may use; the answer (started, or why not) is
private, and the run's steps appear in its log like any other run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import incidents
from watchkeep.core.access import Scope, incident_condition
from watchkeep.core.errors import NotFoundError
from watchkeep.core.models import Incident
from watchkeep.runbooks import manual
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack.commands import parse, replies
from watchkeep.slack.commands.parse import Command
from watchkeep.slack.interactive.interactions import Refused, clicked_scope

if TYPE_CHECKING:
    from watchkeep.slack.commands.subcommands import SlashCommands


def split(command: Command) -> tuple[str, int | None]:
    """The runbook's name and the incident's number (a last word `#12`)."""
    args = list(command.args)
    number = None
    if args and args[-1].startswith("#") and parse.incident_number(args[-1]) is not None:
        number = parse.incident_number(args.pop())
    return " ".join(args), number


async def run(commands: SlashCommands, command: Command, form: dict[str, str]) -> dict[str, Any]:
    name, number = split(command)
    body = commands.body(form)
    workspace = commands.ix.workspace(body)
    actor = await commands.ix.actor(body)
    if not name:
        choices = await commands.read(lambda s: manual.runnable(s, actor.role, actor.user_id))
        listed = ", ".join(f"`{rb.name}`" for rb in choices[:20]) or "none you may run"
        raise Refused(
            f"Say which runbook: `/watchkeep run <runbook> [#number]`. Manual runbooks: {listed}."
        )
    runbook_id = await commands.read(lambda s: _runbook_id(s, name))
    channel = form.get("channel_id", "")
    # By number: the incidents the user sees; without: this channel's, the channel
    # being their access (as for the other commands).
    scope = Scope.for_actor(actor) if number is not None else clicked_scope(actor)
    target = await commands.read(lambda s: _incident_here(s, scope, number, workspace.id, channel))
    now = commands.runtime.clock.now()

    def start(session: Session) -> tuple[str, int, int]:
        runbook = manual.find_runbook(session, str(runbook_id))
        incident = incidents.get_incident(session, target)
        started = manual.start(session, runbook, incident, actor, now)
        return runbook.name, incident.number, started.id

    runbook_name, incident_number, run_id = await commands.ix.change(start)
    return replies.ephemeral(
        f"Started runbook *{runbook_name}* for incident #{incident_number} (run {run_id}): "
        "its steps appear in the run log."
    )


def _runbook_id(session: Session, name: str) -> int:
    try:
        return manual.find_runbook(session, name).id
    except NotFoundError:
        raise Refused(f"There is no runbook named {name!r}.") from None


def _incident_here(
    session: Session, scope: Scope, number: int | None, workspace_id: int, channel: str
) -> int:
    """The incident named, else the one whose runbook channel this is, else the one open
    incident announced here."""
    from watchkeep.slack.commands.subcommands import incident_in_channel

    if number is None and channel:
        query = select(IncidentChannel.incident_id).where(IncidentChannel.channel_id == channel)
        if not scope.channel:  # a mapped user: the channel is no way in, their teams are
            query = query.join(Incident, Incident.id == IncidentChannel.incident_id).where(
                incident_condition(scope)
            )
        owner = session.scalar(query)
        if owner is not None:
            return owner
    return incident_in_channel(session, scope, number, workspace_id, channel)
