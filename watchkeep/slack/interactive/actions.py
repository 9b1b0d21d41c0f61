"""One small listener per button or menu of the incident message; `on_click` acks
and tells the user privately why a click was refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from starlette.concurrency import run_in_threadpool

from watchkeep.core import incidents, transitions
from watchkeep.core.errors import NotFoundError
from watchkeep.core.ids import parse_id
from watchkeep.core.models import Incident, IncidentStatus
from watchkeep.slack import render
from watchkeep.slack.interactive import views
from watchkeep.slack.interactive.interactions import Interactions, Refused
from watchkeep.slack.interactive.listeners import on_click


def _incident_id(action: dict[str, Any]) -> int:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    written = str(raw).split(":", 1)[0]
    if not (written.isascii() and written.isdigit()):
        raise Refused("That button does not name an incident.")
    incident_id = parse_id(written)
    if incident_id is None:
        # Beyond any id the database holds: as gone as a deleted incident.
        raise Refused("That incident no longer exists in Watchkeep.")
    return incident_id


def register(app: AsyncApp, ix: Interactions) -> None:
    clock = ix.runtime.clock

    @on_click(app, ix, render.ACKNOWLEDGE)
    async def acknowledge(body: dict, action: dict) -> None:
        incident_id = _incident_id(action)
        actor = await ix.actor(body)
        await ix.change(
            lambda s: transitions.acknowledge(s, incident_id, actor, now=clock.now()),
            incident_id=incident_id,
        )

    @on_click(app, ix, render.ACKNOWLEDGED)
    async def already_acknowledged(body: dict, action: dict) -> None:
        incident = await _load_incident(ix, _incident_id(action))
        name = incident.acknowledged_by_name or incident.resolved_by_name or "someone"
        await ix.tell(body, f"Incident #{incident.number} is already acknowledged by {name}.")

    @on_click(app, ix, render.RESOLVE)
    async def resolve(body: dict, action: dict) -> None:
        incident_id = _incident_id(action)
        await ix.actor(body)
        incident = await _open_incident(ix, incident_id)
        await ix.open_view(body, body["trigger_id"], views.resolve_modal(incident))

    @on_click(app, ix, render.SNOOZE)
    async def snooze(body: dict, action: dict) -> None:
        incident_id = _incident_id(action)
        choice = str((action.get("selected_option") or {}).get("value", "")).split(":")[-1]
        actor = await ix.actor(body)
        if choice == "custom":
            incident = await _open_incident(ix, incident_id)
            await ix.open_view(body, body["trigger_id"], views.snooze_modal(incident))
            return
        if not choice.isdigit():
            raise Refused("That snooze choice is not a number of minutes.")
        until = clock.now() + timedelta(minutes=int(choice))
        await ix.change(
            lambda s: transitions.snooze(s, incident_id, actor, now=clock.now(), until=until),
            incident_id=incident_id,
        )

    @on_click(app, ix, render.VIEW)
    async def view(body: dict, action: dict) -> None:
        """A URL button: Slack opens the link; the click only needs an answer."""


async def _load_incident(ix: Interactions, incident_id: int) -> Incident:
    def load() -> Incident:
        with ix.runtime.db.read() as session:
            return incidents.get_incident(session, incident_id)

    try:
        return await run_in_threadpool(load)
    except NotFoundError as exc:
        raise Refused("That incident no longer exists in Watchkeep.") from exc


async def _open_incident(ix: Interactions, incident_id: int) -> Incident:
    """An incident a form can still act on."""
    incident = await _load_incident(ix, incident_id)
    if incident.status is IncidentStatus.RESOLVED:
        raise Refused(
            f"Incident #{incident.number} is already resolved by {incident.resolved_by_name}."
        )
    return incident
