"""Modal submissions and the create-incident shortcut. Bad input comes back inline
(`response_action: errors`) on the block it concerns: `on_submit` puts a refusal
on the block holding the refused field."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncAck, AsyncApp
from starlette.concurrency import run_in_threadpool

from watchkeep.core import incidents, services, transitions
from watchkeep.core.ids import parse_id
from watchkeep.core.models import Urgency
from watchkeep.slack.interactive import views
from watchkeep.slack.interactive.interactions import Interactions, Refused
from watchkeep.slack.interactive.listeners import on_submit

MAX_SNOOZE_MINUTES = int(transitions.MAX_SNOOZE.total_seconds() // 60)


def register(app: AsyncApp, ix: Interactions) -> None:
    clock = ix.runtime.clock

    @on_submit(app, views.RESOLVE, block="note")
    async def resolve_submitted(body: dict, view: dict) -> None:
        incident_id = _incident_of(view)
        note = views.submitted(view, "note")
        actor = await ix.actor(body)
        await ix.change(
            lambda s: transitions.resolve(s, incident_id, actor, now=clock.now(), note=note),
            incident_id=incident_id,
        )

    @on_submit(app, views.SNOOZE, block="minutes")
    async def snooze_submitted(body: dict, view: dict) -> dict | None:
        minutes = parse_id(views.submitted(view, "minutes") or "")
        if minutes is None or minutes > MAX_SNOOZE_MINUTES:
            return {"minutes": f"Enter whole minutes from 1 to {MAX_SNOOZE_MINUTES}."}
        incident_id = _incident_of(view)
        actor = await ix.actor(body)
        until = clock.now() + timedelta(minutes=minutes)
        await ix.change(
            lambda s: transitions.snooze(s, incident_id, actor, now=clock.now(), until=until),
            incident_id=incident_id,
        )
        return None

    @app.shortcut(views.CREATE)
    async def create_shortcut(ack: AsyncAck, body: dict) -> None:
        await ack()
        await open_create_modal(ix, body, body["trigger_id"])

    @on_submit(app, views.CREATE, block="title", blocks={"service_id": "service"})
    async def create_submitted(body: dict, view: dict) -> dict | None:
        title = views.submitted(view, "title")
        service = views.submitted(view, "service")
        urgency = views.submitted(view, "urgency") or Urgency.HIGH.value
        errors = {}
        if not title:
            errors["title"] = "Give the incident a title."
        service_id = parse_id(service or "")
        if service_id is None:
            errors["service"] = "Choose a service."
        if urgency not in Urgency.__members__:
            errors["urgency"] = "Choose High, Medium or Low."
        if errors:
            return errors
        actor = await ix.actor(body)
        await ix.change(
            lambda s: incidents.create_incident(
                s,
                title=title,
                service_id=service_id,
                urgency=Urgency(urgency),
                actor=actor,
                now=clock.now(),
                description=views.submitted(view, "description") or "",
            )
        )
        return None


def _incident_of(view: dict) -> int:
    incident_id = views.incident_id_of(view)
    if incident_id is None:
        raise Refused("This form lost track of its incident; please start again.")
    return incident_id


async def open_create_modal(ix: Interactions, body: dict, trigger_id: str, title: str = "") -> bool:
    """Open the create-incident form; False when Slack would not (the trigger expired)."""

    def choices() -> list[tuple[int, str]]:
        with ix.runtime.db.read() as session:
            found, _ = services.list_services(session, limit=views.MAX_OPTIONS, offset=0)
            return [(service.id, service.name) for service in found]

    try:
        await ix.open_view(
            body, trigger_id, views.create_modal(await run_in_threadpool(choices), title)
        )
    except Refused:
        return False
    return True
