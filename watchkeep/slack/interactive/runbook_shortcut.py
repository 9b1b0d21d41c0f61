"""The "Run runbook" message shortcut: on an incident's message, a modal to pick one of
the manual runbooks the person may run; submitting starts it.

Viewers, and people whose runbooks' connections are not theirs, are told
privately why not. The modal carries the incident and the shortcut's
`response_url` in its private metadata, so the result is answered privately
in the channel like a slash command's.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.blocks import InputBlock, Option, SectionBlock, StaticSelectElement
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from watchkeep.core import access, incidents
from watchkeep.core.errors import NotFoundError
from watchkeep.core.ids import parse_id
from watchkeep.runbooks import catalog, manual
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack.interactive import views
from watchkeep.slack.interactive.interactions import Interactions, Refused, clicked_scope
from watchkeep.slack.interactive.listeners import on_submit
from watchkeep.slack.models import SlackMessageRef
from watchkeep.slack.render import escape, truncate

RUN_RUNBOOK = "run_runbook"


def register(app: AsyncApp, ix: Interactions) -> None:
    clock = ix.runtime.clock

    ix.listeners.append(f"shortcut:{RUN_RUNBOOK}")

    @app.shortcut(RUN_RUNBOOK)
    async def run_shortcut(ack: AsyncAck, body: dict) -> None:
        await ack()
        try:
            await _open(ix, body)
        except Refused as refused:
            await ix.tell(body, refused.message)

    @on_submit(app, ix, RUN_RUNBOOK, block="runbook")
    async def run_submitted(body: dict, view: dict) -> dict | None:
        runbook_id = parse_id(views.submitted(view, "runbook") or "")
        if runbook_id is None:
            return {"runbook": "Choose a runbook."}
        meta = _metadata(view)
        actor = await ix.actor(body)
        now = clock.now()

        def start(session: Session) -> str:
            runbook = catalog.get_runbook(session, runbook_id)
            incident = incidents.get_incident(session, meta["incident_id"])
            run = manual.start(session, runbook, incident, actor, now)
            return (
                f"Started runbook *{runbook.name}* for incident #{incident.number} (run {run.id})."
            )

        told = await ix.change_visible(clicked_scope(actor), meta["incident_id"], start)
        await ix.tell({"response_url": meta.get("response_url")}, told)
        return None


async def _open(ix: Interactions, body: dict) -> None:
    workspace = ix.workspace(body)
    actor = await ix.actor(body)
    channel = (body.get("channel") or {}).get("id", "")
    ts = body.get("message_ts") or (body.get("message") or {}).get("ts", "")

    def read() -> tuple[int, str, list[tuple[int, str]]]:
        with ix.runtime.db.read() as session:
            incident_id = _incident_of_message(session, workspace.id, channel, ts)
            # The message was the way in: what the person may act on from it.
            incident = access.visible_incident(session, clicked_scope(actor), incident_id)
            about = f"*#{incident.number}* {escape(incident.title)}"
            choices = manual.runnable(session, actor.role, actor.user_id)
            return incident_id, about, [(rb.id, rb.name) for rb in choices]

    try:
        incident_id, about, choices = await run_in_threadpool(read)
    except NotFoundError:
        raise Refused("That incident no longer exists in Watchkeep.") from None
    if not choices:
        raise Refused("There is no manual runbook you may run.")
    metadata = {"incident_id": incident_id, "response_url": body.get("response_url")}
    await ix.open_view(body, body["trigger_id"], run_modal(about, choices, metadata))


def _incident_of_message(session: Session, workspace_id: int, channel: str, ts: str) -> int:
    """The incident a message belongs to: its own card, or any message in its channel."""
    found = session.scalar(
        select(SlackMessageRef.incident_id).where(
            SlackMessageRef.workspace_id == workspace_id,
            SlackMessageRef.channel_id == channel,
            SlackMessageRef.ts == ts,
        )
    )
    if found is None:
        found = session.scalar(
            select(IncidentChannel.incident_id).where(IncidentChannel.channel_id == channel)
        )
    if found is None:
        raise Refused("Use Run runbook on an incident's message (or in its channel).")
    return found


def run_modal(about: str, choices: list[tuple[int, str]], metadata: dict[str, Any]) -> dict:
    return View(
        type="modal",
        callback_id=RUN_RUNBOOK,
        title="Run runbook",
        submit="Run",
        close="Cancel",
        private_metadata=json.dumps(metadata)[:3000],
        blocks=[
            SectionBlock(text=truncate(about, 3000)),
            InputBlock(
                block_id="runbook",
                label="Runbook",
                element=StaticSelectElement(
                    action_id="value",
                    placeholder="Choose a runbook",
                    options=[
                        Option(text=truncate(name, 75), value=str(runbook_id))
                        for runbook_id, name in choices[: views.MAX_OPTIONS]
                    ],
                ),
            ),
        ],
    ).to_dict()


def _metadata(view: dict) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    incident_id = parse_id(str(meta.get("incident_id", "")))
    if incident_id is None:
        raise Refused("This form lost track of its incident; please start again.")
    return {"incident_id": incident_id, "response_url": meta.get("response_url")}
