"""The runbook document: what users write (YAML or JSON), checked and normalised.

Steps are accepted exactly as the docs show them (`Action Type: Slack`,
`Operation: Create Channel`, `AddUsers`, `ThreadUpdates`, …) or in the
normalised snake_case form (`operation: create_channel`, `add_users`, …)
that the API answers with. Any other operation or key is refused naming the
step and the key, as is a template with an unknown variable.
"""

from __future__ import annotations

import re
from typing import Any

from watchkeep.core.errors import InvalidInputError
from watchkeep.runbooks import templates

EVENTS = (
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.reopened",
    "incident.escalated",
    "incident.sla_breached",
    "incident.note_added",
)
MANUAL = "manual"
URGENCIES = ("HIGH", "MEDIUM", "LOW")
MAX_STEPS = 50
MAX_WAIT_MINUTES = 7 * 24 * 60
INCIDENT_CHANNEL = "#[incident.channel]"

OPERATIONS = {
    "Create Channel": "create_channel",
    "Invite Users": "invite_users",
    "Send Message": "send_message",
    "Create Thread": "create_thread",
    "Set Topic": "set_topic",
    "Archive Channel": "archive_channel",
    "Post Summary": "post_summary",
    "Wait": "wait",
}
# The docs' keys and their normalised names; the normalised names are accepted too.
KEYS = {
    "Action Type": "action_type",
    "Operation": "operation",
    "Name": "name",
    "Description": "description",
    "Topic": "topic",
    "IsPrivate": "is_private",
    "AddUsers": "add_users",
    "Channel": "channel",
    "Message": "message",
    "Blocks": "blocks",
    "ThreadUpdates": "thread_updates",
    "Minutes": "minutes",
    "ContinueOnError": "continue_on_error",
}
COMMON = {"action_type", "operation", "continue_on_error"}
# Per operation: its keys, and which of them must be given.
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "create_channel": ({"name", "description", "topic", "is_private", "add_users"}, {"name"}),
    "invite_users": ({"channel", "add_users"}, {"add_users"}),
    "send_message": ({"channel", "message", "blocks"}, set()),
    "create_thread": ({"channel", "message", "thread_updates"}, {"message"}),
    "set_topic": ({"channel", "topic"}, {"topic"}),
    "archive_channel": ({"channel"}, set()),
    "post_summary": ({"channel"}, set()),
    "wait": ({"minutes"}, {"minutes"}),
}
TEXT_KEYS = ("name", "description", "topic", "channel", "message")
TOP_LEVEL = {"name", "description", "enabled", "owner_team_id", "connection", "trigger", "steps"}
TRIGGER_KEYS = {"events", "conditions", "repeat_every_minutes", "once_per_incident"}
CONDITION_KEYS = {"urgency", "service", "team", "title_matches", "labels"}
SHORT_BLOCK_TYPES = ("section", "header", "context", "divider")


class DocumentError(InvalidInputError):
    """A bad document; `field` is the path (`steps.2.Foo`), the message names the step."""


def normalise(raw: Any) -> dict[str, Any]:
    """The checked, normalised document; DocumentError on the first problem."""
    if not isinstance(raw, dict):
        raise DocumentError("document", "a runbook is a mapping with name, trigger and steps")
    unknown = sorted(set(map(str, raw)) - TOP_LEVEL)
    if unknown:
        raise DocumentError(unknown[0], f"unknown key {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise DocumentError("name", "a runbook needs a name of 1 to 200 characters")
    steps = _steps(raw.get("steps"))
    doc = {
        "name": name.strip(),
        "description": _text(raw.get("description", ""), "description"),
        "enabled": _flag(raw.get("enabled", True), "enabled"),
        "owner_team_id": _optional_id(raw.get("owner_team_id"), "owner_team_id"),
        "connection": _connection(raw.get("connection", "org")),
        "trigger": _trigger(raw.get("trigger"), steps),
        "steps": steps,
    }
    return doc


def _trigger(raw: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DocumentError("trigger", "a trigger is a mapping with events (or manual)")
    unknown = sorted(set(map(str, raw)) - TRIGGER_KEYS)
    if unknown:
        raise DocumentError(f"trigger.{unknown[0]}", f"unknown key {unknown[0]!r}")
    events = raw.get("events")
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not events:
        raise DocumentError("trigger.events", f"give one or more of {', '.join(EVENTS)}, or manual")
    chosen = []
    for event in events:
        full = (
            event if str(event).startswith("incident.") or event == MANUAL else f"incident.{event}"
        )
        if full not in (*EVENTS, MANUAL):
            raise DocumentError("trigger.events", f"unknown event {event!r}")
        chosen.append(full)
    repeat = raw.get("repeat_every_minutes")
    if repeat is not None and (not _is_int(repeat) or not 1 <= repeat <= MAX_WAIT_MINUTES):
        raise DocumentError(
            "trigger.repeat_every_minutes", f"minutes between 1 and {MAX_WAIT_MINUTES}"
        )
    creates = any(step["operation"] == "create_channel" for step in steps)
    return {
        "events": list(dict.fromkeys(chosen)),
        "conditions": _conditions(raw.get("conditions") or {}),
        "repeat_every_minutes": repeat,
        "once_per_incident": _flag(
            raw.get("once_per_incident", creates), "trigger.once_per_incident"
        ),
    }


def _conditions(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DocumentError("trigger.conditions", "conditions are a mapping")
    unknown = sorted(set(map(str, raw)) - CONDITION_KEYS - {"details"})
    if unknown:
        raise DocumentError(f"trigger.conditions.{unknown[0]}", f"unknown condition {unknown[0]!r}")
    found: dict[str, Any] = {}
    if "urgency" in raw:
        urgencies = [str(u).upper() for u in _list(raw["urgency"], "trigger.conditions.urgency")]
        bad = [u for u in urgencies if u not in URGENCIES]
        if bad:
            raise DocumentError("trigger.conditions.urgency", f"unknown urgency {bad[0]!r}")
        found["urgency"] = urgencies
    for key in ("service", "team"):
        if key in raw:
            found[key] = [
                item if _is_int(item) else str(item)
                for item in _list(raw[key], f"trigger.conditions.{key}")
            ]
    if "title_matches" in raw:
        pattern = raw["title_matches"]
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise DocumentError("trigger.conditions.title_matches", f"bad regex: {exc}") from None
        found["title_matches"] = str(pattern)
    labels = raw.get("labels", raw.get("details"))
    if labels is not None:
        if not isinstance(labels, dict):
            raise DocumentError("trigger.conditions.labels", "labels are key: value pairs")
        found["labels"] = {str(key): str(value) for key, value in labels.items()}
    return found


def _steps(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise DocumentError("steps", "a runbook needs one or more steps")
    if len(raw) > MAX_STEPS:
        raise DocumentError("steps", f"at most {MAX_STEPS} steps")
    return [_step(index, step) for index, step in enumerate(raw)]


def _step(index: int, raw: Any) -> dict[str, Any]:
    where = f"step {index + 1}"
    if not isinstance(raw, dict):
        raise DocumentError(f"steps.{index}", f"{where}: a step is a mapping")
    given: dict[str, tuple[str, Any]] = {}  # normalised key -> (key as written, value)
    for key, value in raw.items():
        norm = KEYS.get(str(key), str(key))
        if norm not in KEYS.values():
            raise DocumentError(f"steps.{index}.{key}", f"{where}: unknown key {key!r}")
        given[norm] = (str(key), value)
    operation_key, operation = given.get("operation", ("Operation", None))
    op = OPERATIONS.get(str(operation), str(operation))
    if op not in ALLOWED:
        raise DocumentError(
            f"steps.{index}.{operation_key}",
            f"{where}: unknown operation {operation!r} (one of {', '.join(OPERATIONS)})",
        )
    action_key, action = given.get("action_type", ("Action Type", "Slack"))
    if str(action).lower() != "slack":
        raise DocumentError(
            f"steps.{index}.{action_key}", f"{where}: unknown action type {action!r}"
        )
    allowed, required = ALLOWED[op]
    for norm, (key, _) in given.items():
        if norm not in allowed | COMMON:
            raise DocumentError(
                f"steps.{index}.{key}", f"{where}: {operation} takes no key {key!r}"
            )
    missing = sorted(required - set(given))
    if op == "send_message" and not ({"message", "blocks"} & set(given)):
        missing.append("message")
    if missing:
        written = next(k for k, v in KEYS.items() if v == missing[0])
        raise DocumentError(f"steps.{index}.{written}", f"{where}: {operation} needs {written}")
    step: dict[str, Any] = {"action_type": "slack", "operation": op}
    for norm, (key, value) in given.items():
        if norm in COMMON:
            continue
        step[norm] = _value(index, norm, key, value)
    if "channel" in allowed:
        step.setdefault("channel", INCIDENT_CHANNEL)
    step["continue_on_error"] = _flag(
        given.get("continue_on_error", ("", False))[1], f"steps.{index}.continue_on_error"
    )
    _check_templates(index, step, given)
    return step


def _value(index: int, norm: str, key: str, value: Any) -> Any:
    field, where = f"steps.{index}.{key}", f"step {index + 1}"
    if norm in TEXT_KEYS:
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            raise DocumentError(field, f"{where}: {key} must be non-empty text")
        return str(value)
    if norm in ("is_private", "thread_updates"):
        return _flag(value, field)
    if norm == "minutes":
        if not _is_int(value) or not 1 <= value <= MAX_WAIT_MINUTES:
            raise DocumentError(field, f"{where}: {key} must be 1 to {MAX_WAIT_MINUTES} minutes")
        return value
    if norm == "add_users":
        users = _list(value, field)
        if not users or not all(isinstance(user, str) and user.strip() for user in users):
            raise DocumentError(field, f"{where}: {key} is a list of @oncall, @team, emails or U…")
        return [user.strip() for user in users]
    return _blocks(index, key, value)


def _blocks(index: int, key: str, value: Any) -> list[dict[str, Any]]:
    field, where = f"steps.{index}.{key}", f"step {index + 1}"
    if not isinstance(value, list) or not value or len(value) > 50:
        raise DocumentError(field, f"{where}: {key} is a list of 1 to 50 blocks")
    blocks = []
    for position, block in enumerate(value):
        if not isinstance(block, dict):
            raise DocumentError(f"{field}.{position}", f"{where}: a block is a mapping")
        lowered = {str(k).lower(): v for k, v in block.items()}
        kind = lowered.get("type")
        if not isinstance(kind, str):
            raise DocumentError(f"{field}.{position}", f"{where}: a block needs a Type")
        if _short(lowered):
            if kind.lower() not in SHORT_BLOCK_TYPES:
                raise DocumentError(
                    f"{field}.{position}.Type", f"{where}: unknown block type {kind!r}"
                )
            short = {"type": kind.lower()}
            for part in ("text", "fields"):
                if part in lowered:
                    short[part] = lowered[part]
            blocks.append(short)
        else:
            blocks.append(block)  # full Block Kit, as Slack takes it
    return blocks


def _short(lowered: dict[str, Any]) -> bool:
    """The docs' short form: Type plus plain Text and/or Fields strings."""
    if set(lowered) - {"type", "text", "fields"}:
        return False
    fields = lowered.get("fields", [])
    return isinstance(lowered.get("text", ""), str) and (
        isinstance(fields, list) and all(isinstance(f, str) for f in fields)
    )


def _check_templates(index: int, step: dict[str, Any], given: dict[str, tuple[str, Any]]) -> None:
    for norm in (*TEXT_KEYS, "blocks", "add_users"):
        if norm not in step:
            continue
        key = given[norm][0] if norm in given else next(k for k, v in KEYS.items() if v == norm)
        for text in templates.variables_in(step[norm]):
            try:
                templates.check(text)
            except templates.TemplateProblem as exc:
                raise DocumentError(f"steps.{index}.{key}", f"step {index + 1}: {exc}") from None


def _connection(value: Any) -> str:
    """'org', or a connector's name or id (whether it exists, and whether this
    runbook's team may use it, is the catalog's check: it needs the database)."""
    if _is_int(value):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise DocumentError("connection", "connection is 'org' or a connector's name or id")
    return value.strip()


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise DocumentError(field, "must be text")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise DocumentError(field, "must be true or false")
    return value


def _optional_id(value: Any, field: str) -> int | None:
    if value is not None and not _is_int(value):
        raise DocumentError(field, "must be an id")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list):
        raise DocumentError(field, "must be a list")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
