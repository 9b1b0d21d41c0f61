"""Helpers for the on-call tests: a small organisation set up through the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watchkeep.runtime import Runtime

from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


@dataclass
class World:
    """Alice; Bob and Erin rotating daily on the "Primary" schedule (Bob first);
    Carol and Dave in the SRE team; a policy paging them in that order; a service."""

    api: Api
    users: dict[str, int] = field(default_factory=dict)
    schedule_id: int = 0
    team_id: int = 0
    policy_id: int = 0
    service_id: int = 0

    def trigger(self, title: str = "Checkout 502s") -> int:
        response = self.api.post(
            "/api/v1/incidents", {"title": title, "service_id": self.service_id}
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def incident(self, incident_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/incidents/{incident_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def act(self, incident_id: int, action: str, body: object = None) -> dict[str, Any]:
        response = self.api.post(f"/api/v1/incidents/{incident_id}/{action}", body)
        assert response.status_code == 200, response.text
        return response.json()

    def timeline(self, incident_id: int, kind: str) -> list[dict[str, Any]]:
        """The incident's timeline entries of one type ("escalated", "sla_breached")."""
        return [e for e in self.incident(incident_id)["timeline"] if e["type"] == kind]

    def pages(self, incident_id: int) -> list[tuple[int, list[str]]]:
        """Each escalation so far, as (step, names of the people paged)."""
        return [
            (entry["data"]["step"], [p["name"] for p in entry["data"]["paged"]])
            for entry in self.timeline(incident_id, "escalated")
        ]


def drain(runtime: Runtime) -> None:
    """Let a worker run everything due now (the tests move the clock themselves)."""
    runtime.worker().drain()


def make_user(api: Api, name: str) -> int:
    body = {"email": f"{name.lower()}@example.com", "name": name}
    response = api.post("/api/v1/users", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def build_world(
    api: Api,
    clock: FrozenClock,
    *,
    delays: tuple[int, int, int] = (10, 15, 5),
    repeat: int = 0,
    ack_sla_minutes: int | None = None,
    resolve_sla_minutes: int | None = None,
) -> World:
    world = World(api)
    for name in ("Alice", "Bob", "Carol", "Dave", "Erin"):
        world.users[name] = make_user(api, name)
    u = world.users
    schedule = api.post(
        "/api/v1/schedules",
        {
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "user_ids": [u["Bob"], u["Erin"]],
                    "rotation_length_hours": 24,
                    "start": (clock.now().replace(hour=0)).isoformat(),
                }
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    world.schedule_id = schedule.json()["id"]
    team = api.post("/api/v1/teams", {"name": "SRE", "member_ids": [u["Carol"], u["Dave"]]})
    world.team_id = team.json()["id"]
    policy = api.post(
        "/api/v1/escalation-policies",
        {
            "name": "Checkout",
            "repeat": repeat,
            "steps": [
                {"delay_minutes": delays[0], "targets": [{"type": "user", "id": u["Alice"]}]},
                {
                    "delay_minutes": delays[1],
                    "targets": [{"type": "schedule", "id": world.schedule_id}],
                },
                {"delay_minutes": delays[2], "targets": [{"type": "team", "id": world.team_id}]},
            ],
        },
    )
    assert policy.status_code == 201, policy.text
    world.policy_id = policy.json()["id"]
    service = api.post(
        "/api/v1/services",
        {
            "name": "checkout",
            "escalation_policy_id": world.policy_id,
            "ack_sla_minutes": ack_sla_minutes,
            "resolve_sla_minutes": resolve_sla_minutes,
        },
    )
    assert service.status_code == 201, service.text
    world.service_id = service.json()["id"]
    return world
