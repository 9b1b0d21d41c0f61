"""What the hostile-input tests share: the values, a seeded world with one row of every
kind an id names, and a digest of the database to prove that nothing was written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from watchkeep.app import create_app
from watchkeep.core import accounts, incidents, services, teams, tokens
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Source, Urgency
from watchkeep.ingest import integrations
from watchkeep.ingest.models import IntegrationType
from watchkeep.ingest.webhook import WebhookConfig
from watchkeep.oncall import policies, schedules
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.runbooks import catalog, connectors, engine
from watchkeep.runtime import Runtime
from watchkeep.schema import Base
from watchkeep.slack import workspaces

HOSTILE = {
    "NUL": '"a\\u0000b"',
    "lone surrogate": '"a\\ud800b"',
    "huge integer": "99999999999999999999",
    "huge negative integer": "-99999999999999999999",
    "100k characters": '"' + "x" * 100_000 + '"',
    "nested 500 deep": "[" * 500 + "]" * 500,
}
MARK = "\x01hostile\x01"
# Slack calls (a GET that lists channels, say) go to a closed loopback port.
OFFLINE_SLACK: dict[str, object] = {
    "slack_api_url": "http://127.0.0.1:9/api/",
    "slack_timeout_seconds": 1,
}


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    ids: dict[str, int]
    keys: dict[IntegrationType, str]
    headers: dict[str, str]


def open_world(runtime: Runtime) -> Iterator[World]:
    """Seed one of every row an id can name, and serve the app over it."""
    now = runtime.clock.now()
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
            service_id=services.create_service(db, name="checkout", team_id=team.id, now=now).id,
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
        runbook = catalog.create_runbook(
            db,
            {
                "name": "room",
                "trigger": {"events": ["incident.triggered"]},
                "steps": [{"Action Type": "Slack", "Operation": "Wait", "Minutes": 1}],
            },
            user_id=admin.id,
            now=now,
        )
        run = engine.start_run(db, runbook, incident, "manual", now)
        connector = connectors.create_connector(
            db,
            runtime.secrets,
            name="payments-bot",
            team_id=team.id,
            secrets=connectors.Secrets(bot_token="xoxb-2-fuzz"),
            now=now,
        )
        ids = {
            "connector_id": connector.id,
            "incident_id": incident.id,
            "runbook_id": runbook.id,
            "run_id": run.id,
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


def snapshot(runtime: Runtime) -> dict[str, str]:
    """A digest of every table's rows: any write shows."""
    digest = "md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))"
    parts = " UNION ALL ".join(
        f"SELECT '{t.name}', {digest} FROM \"{t.name}\" r"  # noqa: S608 - our own table names
        for t in Base.metadata.sorted_tables
    )
    with runtime.db.read() as db:
        return dict(db.execute(text(parts)).all())  # type: ignore[arg-type]


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
