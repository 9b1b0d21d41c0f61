"""Sentry's webhooks: issue alerts, metric alerts, and issues resolved.

    POST /ingest/sentry/{key}   (an internal integration's webhook URL, or the
                                 legacy WebHooks plugin's callback URL)

Read by shape, since Sentry names its resource in a header a proxy may drop:

- an issue alert (`data.event`, resource `event_alert`): triggers, keyed by the
  issue (`issue_id`), so every event of one issue counts on one incident;
- an issue change (`data.issue`, resource `issue`): `resolved` resolves,
  `ignored` (archived) acknowledges, `created` and `unresolved` trigger, others
  (`assigned`) change nothing;
- a metric alert (`data.metric_alert`): `critical` and `warning` trigger,
  `resolved` resolves, keyed by the alert's id;
- the legacy WebHooks plugin (`project`, `level`, `url`, `event` at the top):
  triggers, keyed by the issue id.

The event's level sets the severity (fatal: critical; error, warning, info;
debug: info); its tags become labels; its page is a button.
"""

from __future__ import annotations

from typing import Any

import pydantic_core

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError

LEVELS = {
    "fatal": Severity.CRITICAL,
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "debug": Severity.INFO,
}
_ISSUE_ACTIONS = {
    "created": AlertAction.TRIGGER,
    "unresolved": AlertAction.TRIGGER,
    "resolved": AlertAction.RESOLVE,
    "ignored": AlertAction.ACKNOWLEDGE,
    "archived": AlertAction.ACKNOWLEDGE,
}
_METRIC_ACTIONS = {
    "critical": AlertAction.TRIGGER,
    "warning": AlertAction.TRIGGER,
    "resolved": AlertAction.RESOLVE,
}


def parse(body: bytes) -> list[AlertEvent]:
    document = _load(body)
    data = document.get("data")
    if isinstance(data, dict) and isinstance(data.get("event"), dict):
        return [_event_alert(data["event"], data.get("triggered_rule"), "data.event")]
    if isinstance(data, dict) and isinstance(data.get("issue"), dict):
        return _issue(document.get("action"), data["issue"])
    if isinstance(data, dict) and isinstance(data.get("metric_alert"), dict):
        return _metric_alert(document.get("action"), data)
    if "project" in document and ("id" in document or "event" in document):
        return [_legacy(document)]
    raise BadEventError([("data", "not a Sentry issue alert, issue or metric alert")])


def _event_alert(event: dict[str, Any], rule: Any, where: str) -> AlertEvent:
    issue_id = _text(event.get("issue_id") or event.get("group_id"), f"{where}.issue_id")
    title = _text(event.get("title") or event.get("message"), f"{where}.title")
    links = [{"href": url, "text": "View in Sentry"} for url in [event.get("web_url")] if url]
    details = {
        "labels": _tags(event.get("tags")),
        "level": event.get("level"),
        "culprit": event.get("culprit"),
        "environment": event.get("environment"),
        "platform": event.get("platform"),
        "event_id": event.get("event_id"),
        "triggered_rule": rule,
        "links": links,
    }
    return AlertEvent(
        action=AlertAction.TRIGGER,
        dedup_key=issue_id,
        summary=title,
        severity=LEVELS.get(str(event.get("level", "")).lower(), Severity.ERROR),
        description=str(event.get("culprit") or ""),
        details=_kept(details),
    )


def _issue(action: Any, issue: dict[str, Any]) -> list[AlertEvent]:
    verb = _ISSUE_ACTIONS.get(str(action))
    if verb is None:
        return []
    issue_id = _text(issue.get("id"), "data.issue.id")
    if verb is not AlertAction.TRIGGER:
        return [AlertEvent(action=verb, dedup_key=issue_id)]
    links = [{"href": url, "text": "View in Sentry"} for url in [issue.get("permalink")] if url]
    return [
        AlertEvent(
            action=verb,
            dedup_key=issue_id,
            summary=_text(issue.get("title"), "data.issue.title"),
            severity=LEVELS.get(str(issue.get("level", "")).lower(), Severity.ERROR),
            description=str(issue.get("culprit") or ""),
            details=_kept({"level": issue.get("level"), "links": links}),
        )
    ]


def _metric_alert(action: Any, data: dict[str, Any]) -> list[AlertEvent]:
    verb = _METRIC_ACTIONS.get(str(action))
    if verb is None:
        raise BadEventError([("action", "must be critical, warning or resolved")])
    alert = data["metric_alert"]
    alert_id = _text(alert.get("id"), "data.metric_alert.id")
    if verb is AlertAction.RESOLVE:
        return [AlertEvent(action=verb, dedup_key=alert_id)]
    title = _text(data.get("description_title") or alert.get("title"), "data.description_title")
    links = [{"href": url, "text": "View in Sentry"} for url in [data.get("web_url")] if url]
    return [
        AlertEvent(
            action=verb,
            dedup_key=alert_id,
            summary=title,
            severity=Severity.CRITICAL if action == "critical" else Severity.WARNING,
            description=str(data.get("description_text") or ""),
            details=_kept({"links": links}),
        )
    ]


def _legacy(document: dict[str, Any]) -> AlertEvent:
    event = document.get("event") if isinstance(document.get("event"), dict) else {}
    issue_id = _text(document.get("id"), "id")
    links = [{"href": url, "text": "View in Sentry"} for url in [document.get("url")] if url]
    details = {
        "labels": _tags(event.get("tags")),
        "project": document.get("project"),
        "level": document.get("level"),
        "culprit": document.get("culprit"),
        "triggering_rules": document.get("triggering_rules"),
        "links": links,
    }
    return AlertEvent(
        action=AlertAction.TRIGGER,
        dedup_key=issue_id,
        summary=_text(document.get("message") or event.get("title"), "message"),
        severity=LEVELS.get(str(document.get("level", "")).lower(), Severity.ERROR),
        description=str(document.get("culprit") or ""),
        details=_kept(details),
    )


def _load(body: bytes) -> dict[str, Any]:
    try:
        document = pydantic_core.from_json(body)
    except ValueError as exc:
        raise BadEventError([("body", f"not valid JSON: {exc}")]) from None
    if not isinstance(document, dict):
        raise BadEventError([("body", "must be a JSON object")])
    return document


def _text(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEventError([(field, "must be a string or a number")])
    text = str(value).strip()
    if not text:
        raise BadEventError([(field, "missing or blank")])
    if len(text) > 255 and field.endswith(("id", "issue_id")):
        raise BadEventError([(field, "must be at most 255 characters")])
    return text


def _tags(tags: Any) -> dict[str, str]:
    """Sentry's tags, `[[key, value], …]` or `[{key, value}, …]`, as labels."""
    labels = {}
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, list | tuple) and len(tag) == 2:
            labels[str(tag[0])] = str(tag[1])
        elif isinstance(tag, dict) and "key" in tag:
            labels[str(tag["key"])] = str(tag.get("value", ""))
    return labels


def _kept(details: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if value not in (None, "", [], {})}
