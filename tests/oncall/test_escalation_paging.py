"""Escalation stories: what each step pages and says, and what changes to the people,
schedules and policies behind it do.

The worker is driven by hand with a frozen clock: `drain()` after `advance()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from watchkeep.core import tokens
from watchkeep.core.events import DomainEvent
from watchkeep.core.models import User
from watchkeep.runtime import Runtime

from oncall_support import build_world, drain, make_user
from support import Api as Client
from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


def test_each_step_says_whom_it_paged_for_the_slack_thread(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    seen: list[DomainEvent] = []
    runtime.bus.subscribe(lambda session, event, now: seen.append(event))
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)
    entry = world.timeline(incident, "escalated")[-1]
    assert entry["message"] == "Escalation step 2 of 3 ('Checkout'): paged Bob"
    assert entry["actor"] == {"user_id": None, "name": "Watchkeep"}
    assert entry["source"] == "system"
    assert entry["data"] == {
        "policy": {"id": world.policy_id, "name": "Checkout"},
        "step": 2,
        "steps": 3,
        "repeat": 0,
        "paged": [{"user_id": world.users["Bob"], "name": "Bob", "email": "bob@example.com"}],
        "targets": [
            {
                "type": "schedule",
                "id": world.schedule_id,
                "name": "Primary",
                "user_ids": [world.users["Bob"]],
            }
        ],
        "nobody_paged": False,
        "next_step_at": clock.now().replace(minute=25).isoformat(),
    }
    announced = [e for e in seen if e.type == "incident.escalated"]
    assert [e.timeline_event_id for e in announced][-1] == entry["id"]


def test_an_empty_schedule_pages_nobody_says_so_and_escalation_goes_on(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    # Bob and Erin's rotation starts tomorrow: nobody is on call today.
    tomorrow = clock.now().replace(day=clock.now().day + 1).isoformat()
    layers = [{"user_ids": [world.users["Bob"]], "rotation_length_hours": 24, "start": tomorrow}]
    admin_api.patch(f"/api/v1/schedules/{world.schedule_id}", {"layers": layers})
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)
    entry = world.timeline(incident, "escalated")[-1]
    assert entry["message"] == (
        "Escalation step 2 of 3 ('Checkout'): nobody was paged;"
        " nobody was on call for schedule 'Primary'"
    )
    assert (entry["data"]["paged"], entry["data"]["nobody_paged"]) == ([], True)
    clock.advance(minutes=15)
    drain(runtime)
    assert world.pages(incident)[-1] == (3, ["Carol", "Dave"])


def test_disabled_people_are_not_paged_and_one_person_is_paged_once(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    u = world.users
    targets = [
        {"type": "user", "id": u["Carol"]},
        {"type": "team", "id": world.team_id},
        {"type": "user", "id": u["Alice"]},
    ]
    admin_api.patch(
        f"/api/v1/escalation-policies/{world.policy_id}",
        {"steps": [{"delay_minutes": 5, "targets": targets}]},
    )
    admin_api.patch(f"/api/v1/users/{u['Alice']}", {"status": "DISABLED"})
    incident = world.trigger()
    drain(runtime)
    [entry] = world.timeline(incident, "escalated")
    assert entry["message"] == (
        "Escalation step 1 of 1 ('Checkout'): paged Carol, Dave; Alice is disabled"
    )


def test_a_service_without_a_policy_does_not_escalate(
    runtime: Runtime, clock: FrozenClock, admin_api: Api, service_id: int
) -> None:
    incident = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id})
    drain(runtime)
    clock.advance(hours=1)
    drain(runtime)
    detail = admin_api.get(f"/api/v1/incidents/{incident.json()['id']}").json()
    assert detail["escalation"] is None
    assert [e["type"] for e in detail["timeline"]] == ["triggered"]


def test_a_policy_in_use_and_a_schedule_it_pages_cannot_be_deleted(
    clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    policy = f"/api/v1/escalation-policies/{world.policy_id}"
    refused = admin_api.delete(policy)
    assert refused.status_code == 409
    assert "checkout" in refused.json()["detail"]
    assert admin_api.delete(f"/api/v1/schedules/{world.schedule_id}").status_code == 409
    admin_api.patch(f"/api/v1/services/{world.service_id}", {"escalation_policy_id": None})
    assert admin_api.delete(policy).status_code == 204
    assert admin_api.delete(f"/api/v1/schedules/{world.schedule_id}").status_code == 204
    assert admin_api.get(policy).status_code == 404


def test_a_user_who_goes_away_leaves_the_policy_and_the_rotation(
    clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    extra = make_user(admin_api, "Frank")
    admin_api.patch(
        f"/api/v1/escalation-policies/{world.policy_id}",
        {"steps": [{"delay_minutes": 5, "targets": [{"type": "user", "id": extra}]}]},
    )
    assert admin_api.delete(f"/api/v1/users/{world.users['Bob']}").status_code == 204
    assert admin_api.delete(f"/api/v1/users/{extra}").status_code == 204
    policy = admin_api.get(f"/api/v1/escalation-policies/{world.policy_id}").json()
    assert policy["steps"] == [{"delay_minutes": 5, "targets": []}]
    schedule = admin_api.get(f"/api/v1/schedules/{world.schedule_id}").json()
    assert [u["name"] for u in schedule["layers"][0]["users"]] == ["Erin"]


def test_a_policy_deleted_mid_way_stops_its_escalations(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    admin_api.patch(f"/api/v1/services/{world.service_id}", {"escalation_policy_id": None})
    assert admin_api.delete(f"/api/v1/escalation-policies/{world.policy_id}").status_code == 204
    clock.advance(hours=1)
    drain(runtime)
    assert world.pages(incident) == [(1, ["Alice"])]
    assert world.incident(incident)["escalation"]["status"] == "STOPPED"


def test_a_policy_that_loses_steps_mid_way_repeats_from_step_one_or_ends(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, repeat=1)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)  # step 2 paged; step 3 is next
    one_step = [{"delay_minutes": 30, "targets": [{"type": "user", "id": world.users["Dave"]}]}]
    policy = f"/api/v1/escalation-policies/{world.policy_id}"
    admin_api.patch(policy, {"steps": one_step})
    clock.advance(minutes=15)
    drain(runtime)  # there is no step 3 any more: the repeat starts at step 1
    assert world.pages(incident) == [(1, ["Alice"]), (2, ["Bob"]), (1, ["Dave"])]
    clock.advance(minutes=30)
    drain(runtime)
    assert world.incident(incident)["escalation"]["status"] == "EXHAUSTED"
    assert len(world.pages(incident)) == 3


def test_someone_paged_outside_the_owning_team_sees_the_incident_and_may_answer_it(
    runtime: Runtime, clock: FrozenClock, admin_api: Api, client: TestClient
) -> None:
    """Access follows teams, but a page must be answerable: Alice is in no team that owns
    checkout, yet step 1 pages her, so from then on she sees it and acknowledges it."""
    world = build_world(admin_api, clock)
    owners = admin_api.post("/api/v1/teams", {"name": "Payments"}).json()["id"]
    admin_api.patch(f"/api/v1/services/{world.service_id}", {"team_id": owners})
    with runtime.db.write() as session:
        alice = session.get(User, world.users["Alice"])
        token = tokens.create_token(session, alice, name="alice", now=clock.now())[1]
    alice_api = Client(client, token)
    incident = world.trigger()
    assert alice_api.get(f"/api/v1/incidents/{incident}").status_code == 404, "not paged yet"
    drain(runtime)
    assert world.pages(incident)[0] == (1, ["Alice"])
    seen = alice_api.get("/api/v1/incidents", params={"status": "TRIGGERED"}).json()
    assert [item["id"] for item in seen["items"]] == [incident]
    answered = alice_api.post(f"/api/v1/incidents/{incident}/acknowledge")
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "ACKNOWLEDGED"
    # Bob, on the schedule of step 2, was never paged: it is still hidden from him.
    with runtime.db.write() as session:
        bob = session.get(User, world.users["Bob"])
        bob_token = tokens.create_token(session, bob, name="bob", now=clock.now())[1]
    assert Client(client, bob_token).get(f"/api/v1/incidents/{incident}").status_code == 404
