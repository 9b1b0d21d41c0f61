"""Hostile values sent to every JSON API route and every ingest receiver, on PostgreSQL.

The routes are enumerated from the app, so a new one is covered at once (and fails
here until its path ids or sample body are known). For each route a valid sample
body is built from its OpenAPI schema (`SAMPLES` where a schema cannot say what is
valid) and checked against the route's own body model; then each field of it, each
query parameter and each path id in turn gets a hostile value: a NUL, a lone
surrogate, a number beyond any integer column, 100,000 characters, a list nested 500
deep. Each such request must be refused, 422 naming that very field (404 for a path
id), and the database must not have changed. A body nested 100,000 deep is a 400.

Ingest receivers answer as PagerDuty does: the same hostile values are a 400 naming
the field or the body, with nothing written; except a NUL in alert text, which an
alert must survive: 202, stored as U+FFFD, exactly as if U+FFFD had been sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, text
from starlette.routing import Route

from watchkeep.app import create_app
from watchkeep.core import accounts, incidents, teams, tokens
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, Role, Source, Urgency
from watchkeep.ingest import integrations
from watchkeep.ingest.models import IntegrationType
from watchkeep.ingest.webhook import WebhookConfig
from watchkeep.oncall import policies, schedules
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.runtime import Runtime
from watchkeep.schema import Base
from watchkeep.slack import workspaces

from support import FrozenClock

pytestmark = pytest.mark.postgres

HOSTILE = {
    "NUL": '"a\\u0000b"',
    "lone surrogate": '"a\\ud800b"',
    "huge integer": "99999999999999999999",
    "huge negative integer": "-99999999999999999999",
    "100k characters": '"' + "x" * 100_000 + '"',
    "nested 500 deep": "[" * 500 + "]" * 500,
}
# A lone surrogate cannot travel in a URL: its UTF-8 bytes decode to U+FFFD.
QUERY_HOSTILE = {
    "NUL": "a\x00b",
    "huge integer": "99999999999999999999",
    "60k characters (near the longest URL)": "x" * 60_000,
}
BOTTOMLESS = "[" * 100_000 + "]" * 100_000
MARK = "\x01hostile\x01"

# Bodies a schema cannot make valid on its own (one of two fields, a real zone).
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/incidents/{incident_id}/snooze"): {"minutes": 30},
    ("POST", "/api/v1/schedules"): {
        "name": "night",
        "time_zone": "Europe/Berlin",
        "layers": [
            {"user_ids": ["{user}"], "rotation_length_hours": 24, "start": "2026-03-02T09:00:00"}
        ],
    },
    ("PATCH", "/api/v1/schedules/{schedule_id}"): {"name": "renamed", "time_zone": "UTC"},
    ("POST", "/api/v1/schedules/{schedule_id}/overrides"): {
        "user_id": "{user}",
        "start": "2026-03-03T09:00:00",
        "end": "2026-03-03T17:00:00",
    },
    ("POST", "/api/v1/escalation-policies"): {
        "name": "new policy",
        "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "id": "{user}"}]}],
    },
    ("PATCH", "/api/v1/escalation-policies/{policy_id}"): {
        "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "id": "{user}"}]}],
    },
    ("POST", "/api/v1/services/{service_id}/integrations"): {
        "type": "webhook",
        "name": "hooks",
        "config": {"summary_path": "title", "severity_map": {"p1": "critical"}},
    },
    ("PUT", "/api/v1/services/{service_id}/alert-settings"): {
        "severity_urgency": {"critical": "HIGH"}
    },
    ("PUT", "/api/v1/integrations/slack"): {
        "default_channel": "#ops",
        "events": {"note_added": True},
    },
    ("PUT", "/api/v1/integrations/slack/workspaces/{workspace_id}"): {
        "default_channel": "#ops",
        "urgency_channels": {"HIGH": "#pages"},
    },
    ("POST", "/api/v1/integrations/slack/test"): {"channel": "#ops"},
    ("POST", "/api/v1/tokens"): {"name": "ci", "expires_at": "2027-01-01T00:00:00Z"},
    ("POST", "/api/v1/users"): {
        "email": "new@example.com",
        "name": "New",
        "password": "long enough",
    },
    ("PATCH", "/api/v1/users/{user_id}"): {"name": "Renamed", "password": "long enough"},
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Slack calls (the channel list read to warm caches) go to a closed loopback port."""
    return {"slack_api_url": "http://127.0.0.1:9/api/", "slack_timeout_seconds": 1}


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    ids: dict[str, int]
    keys: dict[IntegrationType, str]
    headers: dict[str, str]


@pytest.fixture
def world(pg_runtime: Runtime, clock: FrozenClock) -> Iterator[World]:
    runtime, now = pg_runtime, clock.now()
    actor = Actor(name="seed", source=Source.API)
    with runtime.db.write() as db:
        admin = accounts.create_user(
            db, email="ada@example.com", name="Ada", role=Role.ADMIN, now=now
        )
        user = accounts.create_user(
            db, email="rita@example.com", name="Rita", role=Role.RESPONDER, now=now
        )
        _, token = tokens.create_token(db, admin, name="fuzz", now=now)
        team = teams.create_team(db, name="payments", member_ids=[user.id], now=now)
        policy = policies.create_policy(
            db, name="primary", steps=[StepSpec(5, [TargetSpec("user", user.id)])], now=now
        )
        incident, _ = incidents.create_incident(
            db,
            title="502s",
            service_id=_service(runtime, db, team.id, now),
            urgency=Urgency.HIGH,
            actor=actor,
            now=now,
        )
        layer = schedules.LayerSpec("Layer 1", [user.id], 24, now)
        schedule = schedules.create_schedule(
            db, name="primary", time_zone="UTC", layers=[layer], now=now
        )
        override = schedules.add_override(
            db, schedule, user_id=user.id, start=now, end=now.replace(hour=17), actor=actor, now=now
        )
        keys, integration_id = {}, 0
        for kind in IntegrationType:
            config = (
                WebhookConfig(
                    summary_path="alert.title",
                    dedup_key_path="alert.id",
                    severity_path="alert.level",
                )
                if kind is IntegrationType.WEBHOOK
                else None
            )
            made, keys[kind] = integrations.create_integration(
                db,
                service_id=incident.service_id,
                integration_type=kind,
                name=kind.value,
                config=config,
                now=now,
            )
            integration_id = made.id
        workspace = workspaces.store_token(
            db, runtime.secrets, workspaces.CheckedToken("xoxb-1-fuzz"), now=now
        )
        ids = {
            "incident_id": incident.id,
            "service_id": incident.service_id,
            "user_id": user.id,
            "team_id": team.id,
            "schedule_id": schedule.id,
            "override_id": override.id,
            "policy_id": policy.id,
            "integration_id": integration_id,
            "workspace_id": workspace.id,
            "token_id": 1,
        }
    # A 500 is an answer to record, not an exception to stop at.
    app = create_app(runtime, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, runtime, ids, keys, {"Authorization": f"Bearer {token}"})


def _service(runtime: Runtime, db: Any, team_id: int, now: Any) -> int:
    from watchkeep.core import services

    return services.create_service(db, name="checkout", team_id=team_id, now=now).id


def snapshot(runtime: Runtime) -> dict[str, str]:
    """A digest of every table's rows: any write shows."""
    digest = "md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))"
    parts = " UNION ALL ".join(
        f"SELECT '{t.name}', {digest} FROM \"{t.name}\" r"  # noqa: S608 - our own table names
        for t in Base.metadata.sorted_tables
    )
    with runtime.db.read() as db:
        return dict(db.execute(text(parts)).all())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # in the app, prefixes included
    route: APIRoute


def api_operations(app: FastAPI) -> list[Operation]:
    return sorted(
        (
            Operation(method, context.path, context.route)
            for context in iter_route_contexts(app.routes)
            if isinstance(context.route, APIRoute) and context.path.startswith("/api/v1/")
            for method in context.methods or ()
        ),
        key=lambda op: (op.path, op.method),
    )


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return resolve(options[0], components) if options else schema


def sample(
    schema: dict[str, Any], components: dict[str, Any], name: str, ids: dict[str, int]
) -> Any:
    """A plausible valid value for `schema`: ids name the seeded rows."""
    schema = resolve(schema, components)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {key: sample(sub, components, key, ids) for key, sub in props.items()}
    if kind == "array":
        return [sample(schema["items"], components, name.removesuffix("s"), ids)]
    if kind == "integer":
        if name.endswith("_id") or name in ("id", "member_id", "user_id"):
            return ids.get(name, ids["user_id"])
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2026-03-03T09:00:00Z"
    if schema.get("format") == "email":
        return "someone@example.com"
    return "sample"


def body_for(op: Operation, world: World, components: dict[str, Any]) -> Any:
    field = op.route.body_field
    if field is None:
        return None
    model = field.field_info.annotation
    if (op.method, op.path) in SAMPLES:
        raw = json.dumps(SAMPLES[(op.method, op.path)])
        body = json.loads(raw.replace('"{user}"', str(world.ids["user_id"])))
    else:
        schema = TypeAdapter(model).json_schema()
        body = sample(schema, {**components, **schema.get("$defs", {})}, "", world.ids)
    try:
        TypeAdapter(model).validate_python(body)
    except ValidationError as exc:
        pytest.fail(f"{op.method} {op.path}: give SAMPLES a valid body ({exc.errors()[:2]})")
    return body


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def with_hostile(body: Any, path: tuple[str | int, ...], fragment: str) -> bytes:
    """`body` as JSON, the value at `path` replaced by a raw JSON fragment."""
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = MARK
    return json.dumps(copy).replace(json.dumps(MARK), fragment).encode()


def url_for(op: Operation, world: World, **given: str) -> str:
    names = [param.name for param in op.route.dependant.path_params]
    unknown = [n for n in names if n not in world.ids]
    assert not unknown, f"{op.path}: seed a row for {unknown} in the `world` fixture"
    return op.path.format(**{n: given.get(n, world.ids[n]) for n in names})


def names_field(response: Any, loc: list[Any]) -> bool:
    """Whether an error names the field at `loc`, or the field of the body holding it
    (`urgency_channels` for `urgency_channels.HIGH`), or a part of it."""
    detail = response.json().get("detail")
    return isinstance(detail, list) and any(
        len(e["loc"]) >= 2 and e["loc"][: len(loc)] == loc[: len(e["loc"])] for e in detail
    )


def test_every_api_route_refuses_hostile_values_and_writes_nothing(world: World) -> None:
    app: FastAPI = world.client.app  # type: ignore[assignment]
    components = app.openapi().get("components", {}).get("schemas", {})
    operations = api_operations(app)
    assert len(operations) > 40, "the routes were enumerated"
    send = world.client.request
    for op in operations:
        if op.method == "GET":
            send("GET", url_for(op, world), headers=world.headers)  # warms caches, not data
    baseline = snapshot(world.runtime)
    failures: list[str] = []

    checked: list[str] = []

    def expect(ok: bool, what: str, response: Any) -> None:
        checked.append(what)
        if not ok:
            failures.append(f"{what}: {response.status_code} {response.text[:300]}")

    json_headers = {**world.headers, "content-type": "application/json"}
    for op in operations:
        name = f"{op.method} {op.path}"
        body = body_for(op, world, components)
        url = url_for(op, world)
        for leaf in leaves(body) if body is not None else ():
            for label, fragment in HOSTILE.items():
                content = with_hostile(body, leaf, fragment)
                answer = send(op.method, url, content=content, headers=json_headers)
                expect(
                    answer.status_code == 422 and names_field(answer, ["body", *leaf]),
                    f"{name} body {'.'.join(map(str, leaf))} = {label}",
                    answer,
                )
        if body is not None:
            answer = send(op.method, url, content=BOTTOMLESS.encode(), headers=json_headers)
            expect(
                answer.status_code == 400 and bool(answer.json()["detail"]),
                f"{name} body nested 100,000 deep",
                answer,
            )
        for param in op.route.dependant.query_params:
            for label, value in QUERY_HOSTILE.items():
                answer = send(op.method, url, params={param.alias: value}, headers=world.headers)
                expect(
                    answer.status_code == 422 and names_field(answer, ["query", param.alias]),
                    f"{name} ?{param.alias} = {label}",
                    answer,
                )
        content = json.dumps(body).encode() if body is not None else None
        for param in op.route.dependant.path_params:
            for value in ("99999999999999999999", "a%00b", "0"):
                answer = send(
                    op.method,
                    url_for(op, world, **{param.name: value}),
                    content=content,
                    headers=json_headers,
                )
                expect(
                    answer.status_code == 404 and isinstance(answer.json()["detail"], str),
                    f"{name} path {param.name} = {value}",
                    answer,
                )
        if snapshot(world.runtime) != baseline:
            failures.append(f"{name}: a refused request changed the database")
            baseline = snapshot(world.runtime)
    assert len(checked) > 400, "the hostile requests were sent"
    assert failures == [], "\n".join(failures)


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


def receivers(world: World) -> dict[str, Receiver]:
    keys = world.keys
    return {
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
                answer = world.client.post(receiver.url, content=with_hostile(body, leaf, fragment))
                what = f"{path} {field} = {label}: {answer.status_code} {answer.text[:200]}"
                if label in ACCEPTS and accepts[ACCEPTS[label]]:
                    if answer.status_code != 202:
                        failures.append(what)
                    elif label == "NUL" and not _stored_as_replacement(world.runtime):
                        failures.append(f"{what}: not stored as U+FFFD")
                    continue
                errors = answer.json().get("errors", []) if answer.status_code == 400 else []
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
                        receiver.url, content=with_hostile(body, leaf, fragment)
                    )
                    if answer.status_code != 202:
                        failures.append(f"{path} {field}: a NUL is not taken as U+FFFD is")
    assert failures == [], "\n".join(failures)


def _stored_as_replacement(runtime: Runtime) -> bool:
    stored = newest_incident(runtime)
    found = json.dumps([stored.title, stored.dedup_key, stored.details], ensure_ascii=False)
    return "a\ufffdb" in found and "\x00" not in found


def _fresh(body: dict[str, Any], tag: str) -> dict[str, Any]:
    """The body with a dedup key of its own, so that it makes a new incident."""
    copy = json.loads(json.dumps(body))
    if "dedup_key" in copy:
        copy["dedup_key"] = tag
    for alert in copy.get("alerts", []):
        alert["fingerprint"] = tag
    if "alert" in copy:
        copy["alert"]["id"] = tag
    return copy
