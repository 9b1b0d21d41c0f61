"""Modal submissions and the create-incident shortcut. Bad input comes back inline
(`response_action: errors`) on the block it concerns."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.concurrency import run_in_threadpool

from watchkeep.core import incidents, services, transitions
from watchkeep.core.models import Urgency
from watchkeep.slack.interactive import views
from watchkeep.slack.interactive.interactions import Interactions, Refused

log = logging.getLogger(__name__)
MAX_SNOOZE_MINUTES = int(transitions.MAX_SNOOZE.total_seconds() // 60)


def register(app: AsyncApp, ix: Interactions) -> None:
    clock = ix.runtime.clock

    @app.view(views.RESOLVE)
    async def resolve_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient
    ) -> None:
        incident_id = views.incident_id_of(view)
        note = views.submitted(view, "note")
        try:
            if incident_id is None:
                raise Refused("This form lost track of its incident; please start again.")
            actor = await ix.actor(body, client)
            await ix.change(
                lambda s: transitions.resolve(s, incident_id, actor, now=clock.now(), note=note)
            )
        except Refused as refused:
            await ack(response_action="errors", errors={"note": refused.message})
            return
        await ack()

    @app.view(views.SNOOZE)
    async def snooze_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient
    ) -> None:
        incident_id = views.incident_id_of(view)
        minutes = views.submitted(view, "minutes") or ""
        if not minutes.isdigit() or not 1 <= int(minutes) <= MAX_SNOOZE_MINUTES:
            await ack(
                response_action="errors",
                errors={"minutes": f"Enter whole minutes from 1 to {MAX_SNOOZE_MINUTES}."},
            )
            return
        try:
            if incident_id is None:
                raise Refused("This form lost track of its incident; please start again.")
            actor = await ix.actor(body, client)
            until = clock.now() + timedelta(minutes=int(minutes))
            await ix.change(
                lambda s: transitions.snooze(s, incident_id, actor, now=clock.now(), until=until)
            )
        except Refused as refused:
            await ack(response_action="errors", errors={"minutes": refused.message})
            return
        await ack()

    @app.shortcut(views.CREATE)
    async def create_shortcut(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        await ack()
        await open_create_modal(ix, client, body["trigger_id"])

    @app.view(views.CREATE)
    async def create_submitted(
        ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient
    ) -> None:
        title = views.submitted(view, "title")
        service = views.submitted(view, "service")
        urgency = views.submitted(view, "urgency") or Urgency.HIGH.value
        errors = {}
        if not title:
            errors["title"] = "Give the incident a title."
        if not (service or "").isdigit():
            errors["service"] = "Choose a service."
        if urgency not in Urgency.__members__:
            errors["urgency"] = "Choose High, Medium or Low."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        try:
            actor = await ix.actor(body, client)
            await ix.change(
                lambda s: incidents.create_incident(
                    s,
                    title=title,
                    service_id=int(service),
                    urgency=Urgency(urgency),
                    actor=actor,
                    now=clock.now(),
                    description=views.submitted(view, "description") or "",
                )
            )
        except Refused as refused:
            block = "service" if "service" in refused.message else "title"
            await ack(response_action="errors", errors={block: refused.message})
            return
        await ack()


async def open_create_modal(
    ix: Interactions, client: AsyncWebClient, trigger_id: str, title: str = ""
) -> None:
    def choices() -> list[tuple[int, str]]:
        with ix.runtime.db.read() as session:
            found, _ = services.list_services(session, limit=views.MAX_OPTIONS, offset=0)
            return [(service.id, service.name) for service in found]

    try:
        await client.views_open(
            trigger_id=trigger_id, view=views.create_modal(await run_in_threadpool(choices), title)
        )
    except SlackApiError as exc:
        log.warning("views.open for create_incident failed: %s", exc.response.get("error"))
        return False
    return True
