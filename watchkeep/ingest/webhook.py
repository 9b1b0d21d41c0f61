"""A generic JSON webhook: any tool that can POST JSON, read through field paths.

    POST /ingest/webhook/{key}

The integration's config says where each field lives, as dotted paths into the
body (`alert.title`, `items.0.id`: digits index lists). Only the summary is
required. Without a dedup key every event is a new incident; without a status,
every event triggers. Status and severity values are matched case-insensitively
against the built-in words below, extended by the config's own maps; a word in
neither is a 400 unless the config names a `default_status` / `default_severity`
to take instead (Datadog's "No Data", a tool's "normal").

With `alerts_path`, the body is a group: the list at that path holds the
alerts, each read through the same paths (relative to the item), each its own
incident by its own dedup key.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, field_validator

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError

_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
STATUS_WORDS: dict[str, AlertAction] = {
    **dict.fromkeys(["trigger", "triggered", "firing", "alerting", "problem"], AlertAction.TRIGGER),
    **dict.fromkeys(["acknowledge", "acknowledged", "ack"], AlertAction.ACKNOWLEDGE),
    **dict.fromkeys(["resolve", "resolved", "ok", "recovered", "closed"], AlertAction.RESOLVE),
}
SEVERITY_WORDS: dict[str, Severity] = {severity.value: severity for severity in Severity}


class WebhookConfig(BaseModel):
    """Where a generic webhook's fields live, and what its words mean."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary_path: str = Field(max_length=200)
    dedup_key_path: str | None = Field(default=None, max_length=200)
    severity_path: str | None = Field(default=None, max_length=200)
    status_path: str | None = Field(default=None, max_length=200)
    alerts_path: str | None = Field(default=None, max_length=200)
    # None: a missing severity is critical, and a word not in the maps is refused.
    default_severity: Severity | None = None
    # None: a missing status triggers, and a word not in the maps is refused.
    default_status: AlertAction | None = None
    severity_map: dict[str, Severity] = Field(default_factory=dict, max_length=100)
    status_map: dict[str, AlertAction] = Field(default_factory=dict, max_length=100)

    @field_validator(
        "summary_path", "dedup_key_path", "severity_path", "status_path", "alerts_path"
    )
    @classmethod
    def dotted_path(cls, path: str | None) -> str | None:
        if path is not None and not _PATH.match(path):
            raise ValueError("must be a dotted path such as alert.title or items.0.id")
        return path

    @field_validator("severity_map", "status_map")
    @classmethod
    def lower_case_words(cls, words: dict[str, Any]) -> dict[str, Any]:
        return {word.strip().lower(): meaning for word, meaning in words.items()}


def load(body: bytes) -> dict[str, Any]:
    """The body as a JSON object: the part of reading that needs no config. Parsed as
    the other receivers' bodies are (pydantic's parser: a lone surrogate, a body
    nested too deep or bytes that are not UTF-8 are not valid JSON)."""
    try:
        document = pydantic_core.from_json(body)
    except ValueError as exc:
        raise BadEventError([("body", f"not valid JSON: {exc}")]) from None
    if not isinstance(document, dict):
        raise BadEventError([("body", "must be a JSON object")])
    return document


MAX_GROUP = 10_000


def read_all(document: dict[str, Any], config: WebhookConfig) -> list[AlertEvent]:
    """The alerts in `document`: the one it is, or each item of its `alerts_path` list."""
    if config.alerts_path is None:
        return [read(document, config)]
    items = lookup(document, config.alerts_path)
    if not isinstance(items, list):
        raise BadEventError([(config.alerts_path, "must be a list of alerts")])
    if len(items) > MAX_GROUP:
        raise BadEventError([(config.alerts_path, f"at most {MAX_GROUP:,} alerts")])
    alerts, problems = [], []
    for n, item in enumerate(items):
        where = f"{config.alerts_path}.{n}"
        if not isinstance(item, dict):
            problems.append((where, "must be a JSON object"))
            continue
        try:
            alerts.append(read(item, config, prefix=f"{where}."))
        except BadEventError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BadEventError(problems)
    return alerts


def read(document: dict[str, Any], config: WebhookConfig, *, prefix: str = "") -> AlertEvent:
    """The alert in `document`, found where `config` says (`prefix`: where it sits)."""
    problems: list[tuple[str, str]] = []

    def text_at(path: str | None) -> str | None:
        value = None if path is None else lookup(document, path)
        if isinstance(value, dict | list | bool):
            problems.append((f"{prefix}{path}", "must be a string or a number"))
            return None
        return None if value is None else str(value).strip() or None

    summary = text_at(config.summary_path)
    status = text_at(config.status_path)
    severity_word = text_at(config.severity_path)
    dedup_key = text_at(config.dedup_key_path)

    statuses = STATUS_WORDS | config.status_map
    fallback_action = config.default_status or AlertAction.TRIGGER
    action = (
        fallback_action if status is None else statuses.get(status.lower(), config.default_status)
    )
    if action is None:
        problems.append((f"{prefix}{config.status_path}", _unknown(statuses)))
    severities = SEVERITY_WORDS | config.severity_map
    fallback_severity = config.default_severity or Severity.CRITICAL
    severity = (
        fallback_severity
        if severity_word is None
        else severities.get(severity_word.lower(), config.default_severity)
    )
    if severity is None:
        problems.append((f"{prefix}{config.severity_path}", _unknown(severities)))
    unreadable = {field for field, _ in problems}
    summary_field = f"{prefix}{config.summary_path}"
    if summary is None and action is AlertAction.TRIGGER and summary_field not in unreadable:
        problems.append((summary_field, "missing or blank"))
    if dedup_key is None and action in (AlertAction.ACKNOWLEDGE, AlertAction.RESOLVE):
        problems.append(
            (f"{prefix}{config.dedup_key_path or 'dedup_key_path'}", f"required to {action}")
        )
    if dedup_key is not None and len(dedup_key) > 255:
        problems.append((f"{prefix}{config.dedup_key_path}", "must be at most 255 characters"))
    if problems or action is None or severity is None:
        raise BadEventError(problems)
    if action is not AlertAction.TRIGGER:
        return AlertEvent(action=action, dedup_key=str(dedup_key))
    return AlertEvent(
        action=action,
        dedup_key=dedup_key or uuid.uuid4().hex,
        summary=str(summary),
        severity=severity,
        details=document,
    )


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted path, or None where the path leads nowhere."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _unknown(meanings: dict[str, Any]) -> str:
    return "unknown value; expected one of " + ", ".join(sorted(meanings))
