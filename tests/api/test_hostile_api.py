"""Hostile values sent to every JSON API route, on PostgreSQL.

The routes are enumerated from the app, so a new one is covered at once (and fails
here until its path ids or sample body are known). For each route a valid sample
body is built from its OpenAPI schema (`SAMPLES` where a schema cannot say what is
valid) and checked against the route's own body model; then each field of it, each
query parameter and each path id in turn gets a hostile value (`hostile.HOSTILE`: a
NUL, a lone surrogate, a number beyond any integer column, 100,000 characters, a list
nested 500 deep). Each such request must be refused, 422 naming that very field (404
for a path id), and the database must not have changed. A body nested 100,000 deep
is a 400.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError

from watchkeep.runtime import Runtime

from hostile import HOSTILE, OFFLINE_SLACK, World, leaves, open_world, snapshot, with_hostile

pytestmark = pytest.mark.postgres

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
    ("POST", "/api/v1/connectors"): {
        "type": "slack",
        "name": "search-bot",
        "team_id": 1,
        "bot_token": "xoxb-3-fuzz",
        "allowed_channels": ["search"],
        "channel_prefix": "search-",
    },
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
        "severity_urgency": {"critical": "HIGH"},
        "shown_labels": ["team"],
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
    return OFFLINE_SLACK


@pytest.fixture
def world(pg_runtime: Runtime) -> Iterator[World]:
    yield from open_world(pg_runtime)


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
