"""The modals: resolve with a note, snooze for a custom time, create an incident."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from watchkeep.core.ids import parse_id
from watchkeep.core.models import Incident, Urgency
from watchkeep.slack.render import escape, truncate

RESOLVE = "resolve_incident"
SNOOZE = "snooze_incident"
CREATE = "create_incident"
MAX_OPTIONS = 100  # Slack's limit for a static select


def _about(incident: Incident) -> SectionBlock:
    return SectionBlock(text=truncate(f"*#{incident.number}* {escape(incident.title)}", 3000))


def resolve_modal(incident: Incident) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=RESOLVE,
        title="Resolve incident",
        submit="Resolve",
        close="Cancel",
        private_metadata=json.dumps({"incident_id": incident.id}),
        blocks=[
            _about(incident),
            InputBlock(
                block_id="note",
                label="Resolution note",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=3000, placeholder="What fixed it?"
                ),
            ),
        ],
    ).to_dict()


def snooze_modal(incident: Incident) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=SNOOZE,
        title="Snooze incident",
        submit="Snooze",
        close="Cancel",
        private_metadata=json.dumps({"incident_id": incident.id}),
        blocks=[
            _about(incident),
            InputBlock(
                block_id="minutes",
                label="Snooze for how many minutes?",
                element=PlainTextInputElement(action_id="value", placeholder="e.g. 90"),
            ),
        ],
    ).to_dict()


def create_modal(services: list[tuple[int, str]], title: str = "") -> dict[str, Any]:
    if not services:
        return View(
            type="modal",
            callback_id="no_services",
            title="Create incident",
            close="Close",
            blocks=[SectionBlock(text="There are no services yet: create one in Watchkeep first.")],
        ).to_dict()
    urgencies = [Option(text=u.value.title(), value=u.value) for u in Urgency]
    return View(
        type="modal",
        callback_id=CREATE,
        title="Create incident",
        submit="Create",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id="title",
                label="Title",
                element=PlainTextInputElement(
                    action_id="value", max_length=1024, initial_value=title[:1024] or None
                ),
            ),
            InputBlock(
                block_id="service",
                label="Service",
                element=StaticSelectElement(
                    action_id="value",
                    placeholder="Choose a service",
                    options=[
                        Option(text=truncate(name, 75), value=str(service_id))
                        for service_id, name in services[:MAX_OPTIONS]
                    ],
                ),
            ),
            InputBlock(
                block_id="urgency",
                label="Urgency",
                element=StaticSelectElement(
                    action_id="value", options=urgencies, initial_option=urgencies[0]
                ),
            ),
            InputBlock(
                block_id="description",
                label="Description",
                optional=True,
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=3000),
            ),
        ],
    ).to_dict()


def submitted(view: dict[str, Any], block_id: str) -> str | None:
    """The value a modal's input block holds (text or selected option), or None."""
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element = state.get("value") or {}
    if element.get("selected_option"):
        return element["selected_option"].get("value")
    value = element.get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def incident_id_of(view: dict[str, Any]) -> int | None:
    try:
        return parse_id(json.loads(view.get("private_metadata") or "{}")["incident_id"])
    except (ValueError, KeyError, TypeError):
        return None
