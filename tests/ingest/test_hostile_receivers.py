"""Hostile values sent to every ingest receiver, on PostgreSQL.

Receivers answer as PagerDuty does: a hostile value (`hostile.HOSTILE`) is a 400
naming the field or the body, with nothing written, unless the field legitimately
takes it (the table below says which: free-form details take any JSON value). A NUL
in alert text is never a reason to lose the alert: 202, stored as U+FFFD, exactly as
if U+FFFD had been sent. The receivers are enumerated from the app: a new one fails
here until it has a sample.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sns_support import FakeSns
from sqlalchemy import select
from starlette.routing import Route

from watchkeep.core.models import ChangeEvent, Incident
from watchkeep.ingest.models import IntegrationType
from watchkeep.runtime import Runtime

from hostile import HOSTILE, OFFLINE_SLACK, World, leaves, open_world, snapshot, with_hostile

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return OFFLINE_SLACK


@pytest.fixture
def world(pg_runtime: Runtime) -> Iterator[World]:
    yield from open_world(pg_runtime)


# What a receiver's field takes, as (a NUL, a huge number, 100,000 characters): True is
# accepted (202), False refused (400 naming the field, nothing written). A lone
# surrogate or a list nested 500 deep is refused everywhere: not JSON text to store.
WORD = (False, False, False)  # a key, an action, a severity
TEXT = (True, False, False)  # a string with a length limit
LABEL = (True, False, True)  # a string of any length (a long summary is cut)
TEXT_OR_NUMBER = (True, True, False)  # the webhook's dedup key: a string or a number
FREE = (True, True, True)  # any JSON value: details, payloads read by path
ACCEPTS = {"NUL": 0, "huge integer": 1, "huge negative integer": 1, "100k characters": 2}


@dataclass(frozen=True)
class Receiver:
    url: str
    body: dict[str, Any]
    fields: dict[tuple[str | int, ...], tuple[bool, bool, bool]]
    headers: dict[str, str] = field(default_factory=dict)
    # Applied to the body as sent (SNS: signs it as SNS would, hostile value and all).
    prepare: Callable[[bytes], bytes] = lambda body: body


def receivers(world: World) -> dict[str, Receiver]:
    keys = world.keys
    sns = FakeSns()
    world.client.app.state.sns_verifier = sns.verifier()  # type: ignore[attr-defined]
    return {
        "/ingest/cloudwatch/{key}": Receiver(
            f"/ingest/cloudwatch/{keys[IntegrationType.CLOUDWATCH]}",
            {
                "Type": "Notification",
                "MessageId": "b9c2d1e0-0001",
                "TopicArn": "arn:aws:sns:eu-west-1:123456789012:checkout-alarms",
                "Subject": 'ALARM: "checkout-5xx" in EU (Ireland)',
                "Message": json.dumps(
                    {
                        "AlarmName": "checkout-5xx",
                        "NewStateValue": "ALARM",
                        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:c",
                    }
                ),
                "Timestamp": "2026-03-02T08:56:00.123Z",
            },
            {
                ("Type",): WORD,
                ("MessageId",): TEXT,
                ("TopicArn",): TEXT,
                ("Subject",): TEXT,
                ("Message",): WORD,  # the alarm, as JSON text
                ("Timestamp",): TEXT,
            },
            prepare=lambda body: _signed(sns, body),
        ),
        "/v2/enqueue": Receiver(
            "/v2/enqueue",
            {
                "routing_key": keys[IntegrationType.EVENTS_API_V2],
                "event_action": "trigger",
                "dedup_key": "disk-full",
                "payload": {
                    "summary": "Disk full",
                    "source": "db1",
                    "severity": "critical",
                    "custom_details": {"mount": "/var"},
                },
            },
            {
                ("routing_key",): WORD,
                ("event_action",): WORD,
                ("dedup_key",): TEXT,
                ("payload", "summary"): TEXT,
                ("payload", "source"): TEXT,
                ("payload", "severity"): WORD,
                ("payload", "custom_details", "mount"): FREE,
            },
        ),
        "/v2/change/enqueue": Receiver(
            "/v2/change/enqueue",
            {
                "routing_key": keys[IntegrationType.EVENTS_API_V2],
                "payload": {
                    "summary": "Deployed checkout v2.3",
                    "source": "ci",
                    "custom_details": {"commit": "9f2c1e4"},
                },
                "links": [{"href": "https://ci.example.com/runs/1"}],
            },
            {
                ("routing_key",): WORD,
                ("payload", "summary"): TEXT,
                ("payload", "source"): TEXT,
                ("payload", "custom_details", "commit"): FREE,
                ("links", 0, "href"): TEXT,
            },
        ),
        "/ingest/alertmanager/{key}": Receiver(
            f"/ingest/alertmanager/{keys[IntegrationType.ALERTMANAGER]}",
            {
                "version": "4",
                "status": "firing",
                "alerts": [
                    {
                        "status": "firing",
                        "fingerprint": "f00d",
                        "labels": {"alertname": "DiskFull", "severity": "critical"},
                        "annotations": {"summary": "Disk full"},
                    }
                ],
            },
            {
                ("version",): WORD,
                ("status",): WORD,
                ("alerts", 0, "status"): WORD,
                ("alerts", 0, "fingerprint"): TEXT,
                ("alerts", 0, "labels", "alertname"): LABEL,
                ("alerts", 0, "labels", "severity"): LABEL,
                ("alerts", 0, "annotations", "summary"): LABEL,
            },
        ),
        "/ingest/grafana/{key}": Receiver(
            f"/ingest/grafana/{keys[IntegrationType.GRAFANA]}",
            {
                "version": "1",
                "status": "firing",
                "alerts": [
                    {
                        "status": "firing",
                        "fingerprint": "c6eadffa33fcdf37",
                        "labels": {"alertname": "High memory usage"},
                        "annotations": {"summary": "Memory above 80%"},
                        "dashboardURL": "https://grafana.example.com/d/TkMOvHK4z",
                        "values": {"B": 84.2},
                    }
                ],
            },
            {
                ("version",): WORD,
                ("status",): WORD,
                ("alerts", 0, "status"): WORD,
                ("alerts", 0, "fingerprint"): TEXT,
                ("alerts", 0, "labels", "alertname"): LABEL,
                ("alerts", 0, "annotations", "summary"): LABEL,
                ("alerts", 0, "dashboardURL"): LABEL,
                ("alerts", 0, "values", "B"): FREE,
            },
        ),
        "/ingest/datadog/{key}": Receiver(
            f"/ingest/datadog/{keys[IntegrationType.DATADOG]}",
            {
                "title": "[Triggered] Checkout p99 above 2s",
                "aggregate": "8b1c5e2f0d6a4e3b",
                "transition": "Triggered",
                "priority": "P2",
                "tags": "env:prod,service:checkout",
            },
            {
                ("title",): TEXT,
                ("aggregate",): TEXT,
                ("transition",): TEXT,
                ("priority",): TEXT,
                ("tags",): TEXT,
            },
        ),
        "/ingest/sentry/{key}": Receiver(
            f"/ingest/sentry/{keys[IntegrationType.SENTRY]}",
            {
                "action": "triggered",
                "data": {
                    "event": {
                        "issue_id": "1170820242",
                        "title": "ZeroDivisionError: division by zero",
                        "level": "error",
                        "tags": [["release", "checkout@2.3.0"]],
                    }
                },
            },
            {
                ("action",): FREE,
                ("data", "event", "issue_id"): TEXT_OR_NUMBER,
                ("data", "event", "title"): FREE,
                ("data", "event", "level"): FREE,
                ("data", "event", "tags", 0, 0): FREE,
                ("data", "event", "tags", 0, 1): FREE,
            },
        ),
        "/v2/alerts": Receiver(
            "/v2/alerts",
            {
                "message": "Payment timeouts",
                "alias": "payments",
                "description": "2% time out",
                "tags": ["checkout"],
                "details": {"region": "eu-west-1"},
                "priority": "P1",
            },
            {
                ("message",): TEXT,
                ("alias",): TEXT,
                ("description",): TEXT,
                ("tags", 0): TEXT,
                ("details", "region"): TEXT,
                ("priority",): WORD,
            },
            {"Authorization": f"GenieKey {keys[IntegrationType.OPSGENIE]}"},
        ),
        # The alert is named in the path; the body (user, source, note) is optional.
        "/v2/alerts/{identifier}/close": Receiver(
            "/v2/alerts/payments/close?identifierType=alias",
            {},
            {},
            {"Authorization": f"GenieKey {keys[IntegrationType.OPSGENIE]}"},
        ),
        "/v2/alerts/{identifier}/acknowledge": Receiver(
            "/v2/alerts/payments/acknowledge?identifierType=alias",
            {},
            {},
            {"Authorization": f"GenieKey {keys[IntegrationType.OPSGENIE]}"},
        ),
        "/ingest/webhook/{key}": Receiver(
            f"/ingest/webhook/{keys[IntegrationType.WEBHOOK]}",
            {"alert": {"title": "Disk full", "id": "disk-1", "level": "critical", "host": "db1"}},
            {
                ("alert", "title"): FREE,
                ("alert", "id"): TEXT_OR_NUMBER,
                ("alert", "level"): WORD,
                ("alert", "host"): FREE,
            },
        ),
    }


def newest_incident(runtime: Runtime) -> Incident:
    with runtime.db.read() as db:
        return db.scalars(select(Incident).order_by(Incident.id.desc()).limit(1)).one()


def test_every_receiver_refuses_hostile_values_but_keeps_an_alert_with_a_nul(
    world: World,
) -> None:
    app: FastAPI = world.client.app  # type: ignore[assignment]
    paths = sorted(
        context.path
        for context in iter_route_contexts(app.routes)
        if type(context.route) is Route
        and "POST" in (context.methods or ())
        and not context.path.startswith("/api/")
    )
    known = receivers(world)
    assert paths == sorted(known), "give every receiver a sample in `receivers`"
    failures: list[str] = []
    sent = 0
    for path, receiver in known.items():
        assert sorted(receiver.fields) == sorted(leaves(receiver.body)), path
        for leaf, accepts in receiver.fields.items():
            field = ".".join(map(str, leaf))
            for label, fragment in HOSTILE.items():
                sent += 1
                body = _fresh(receiver.body, f"alert-{sent}")
                before = snapshot(world.runtime)
                answer = world.client.post(
                    receiver.url,
                    content=receiver.prepare(with_hostile(body, leaf, fragment)),
                    headers=receiver.headers,
                )
                what = f"{path} {field} = {label}: {answer.status_code} {answer.text[:200]}"
                if label in ACCEPTS and accepts[ACCEPTS[label]]:
                    if answer.status_code != 202:
                        failures.append(what)
                    elif label == "NUL" and not _stored_as_replacement(world.runtime):
                        failures.append(f"{what}: not stored as U+FFFD")
                    continue
                errors = answer.json().get("errors", []) if answer.status_code in (400, 422) else []
                if isinstance(errors, dict):  # Opsgenie's 422: {field: problem}
                    errors = [f"{name}: {problem}" for name, problem in errors.items()]
                named = any(e.startswith((f"{field}:", f"{field}.", "body:")) for e in errors)
                if not (named or (answer.status_code == 404 and leaf == ("routing_key",))):
                    failures.append(what)
                if snapshot(world.runtime) != before:
                    failures.append(f"{what}: a refused alert wrote")
            if accepts[0]:
                for fragment in ('"a\\u0000b"', '"a\\ufffdb"'):
                    sent += 1
                    body = _fresh(receiver.body, f"alert-{sent}")
                    answer = world.client.post(
                        receiver.url,
                        content=receiver.prepare(with_hostile(body, leaf, fragment)),
                        headers=receiver.headers,
                    )
                    if answer.status_code != 202:
                        failures.append(f"{path} {field}: a NUL is not taken as U+FFFD is")
    assert failures == [], "\n".join(failures)


def _signed(sns: FakeSns, body: bytes) -> bytes:
    """`body` signed as SNS signs it: a hostile value must be refused for itself, not
    for a broken signature. Bodies Python's parser cannot read go as they are."""
    try:
        message = json.loads(body)
        return json.dumps(sns.sign(message)).encode()
    except (ValueError, RecursionError, KeyError, TypeError):
        return body


def _stored_as_replacement(runtime: Runtime) -> bool:
    stored = newest_incident(runtime)
    found = [stored.title, stored.dedup_key, stored.details]
    with runtime.db.read() as db:
        change = db.scalars(select(ChangeEvent).order_by(ChangeEvent.id.desc()).limit(1)).first()
        if change is not None:
            found += [change.summary, change.source, change.links, change.custom_details]
    text = json.dumps(found, ensure_ascii=False)
    return "a\ufffdb" in text and "\x00" not in text


def _fresh(body: dict[str, Any], tag: str) -> dict[str, Any]:
    """The body with a dedup key of its own, so that it makes a new incident."""
    copy = json.loads(json.dumps(body))
    if "dedup_key" in copy:
        copy["dedup_key"] = tag
    if copy.get("Type") == "Notification":
        alarm = json.loads(copy["Message"])
        copy["Message"] = json.dumps({**alarm, "AlarmArn": f"{alarm['AlarmArn']}-{tag}"})
    if "alias" in copy:
        copy["alias"] = tag
    if "aggregate" in copy:
        copy["aggregate"] = tag
    if "event" in copy.get("data", {}):
        copy["data"]["event"]["issue_id"] = tag
    for alert in copy.get("alerts", []):
        alert["fingerprint"] = tag
    if "alert" in copy:
        copy["alert"]["id"] = tag
    return copy
