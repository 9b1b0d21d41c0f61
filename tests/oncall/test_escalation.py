"""Escalation stories: step timing, stopping, pausing, restarting, and what each step says.

The worker is driven by hand with a frozen clock: `drain()` after `advance()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from watchkeep.config import Settings
from watchkeep.core.events import DomainEvent
from watchkeep.oncall import escalation
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.worker import outbox
from watchkeep.worker.outbox import OutboxRow

from oncall_support import build_world, make_user
from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


def drain(runtime: Runtime) -> None:
    runtime.worker().drain()


def test_steps_page_in_order_after_their_delays_then_repeat_then_stop(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, delays=(10, 15, 5), repeat=1)
    incident = world.trigger()
    drain(runtime)
    assert world.pages(incident) == [(1, ["Alice"])], "step 1 pages at trigger"
    clock.advance(minutes=9, seconds=59)
    drain(runtime)
    assert len(world.pages(incident)) == 1
    clock.advance(seconds=1)
    drain(runtime)
    assert world.pages(incident)[-1] == (2, ["Bob"]), "the schedule pages whoever is on call"
    clock.advance(minutes=15)
    drain(runtime)
    assert world.pages(incident)[-1] == (3, ["Carol", "Dave"]), "a team pages its members"
    for minutes in (5, 10, 15):  # repeat 1: the last step's delay leads back to step 1
        clock.advance(minutes=minutes)
        drain(runtime)
    assert world.pages(incident) == [
        (1, ["Alice"]),
        (2, ["Bob"]),
        (3, ["Carol", "Dave"]),
        (1, ["Alice"]),
        (2, ["Bob"]),
        (3, ["Carol", "Dave"]),
    ]
    clock.advance(days=1)
    drain(runtime)
    detail = world.incident(incident)
    assert len(world.pages(incident)) == 6, "after the repeats, escalation is over"
    assert detail["escalation"]["status"] == "EXHAUSTED"
    assert detail["escalation"]["steps_paged"] == 6
    repeated = world.timeline(incident, "escalated")[3]
    assert repeated["message"] == "Escalation step 1 of 3 ('Checkout'), repeat 1 of 1: paged Alice"
    assert repeated["data"]["repeat"] == 1


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


def test_acknowledge_stops_escalation_and_leaves_no_live_timer(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=5)
    world.act(incident, "acknowledge")
    clock.advance(hours=2)
    drain(runtime)
    assert world.pages(incident) == [(1, ["Alice"])]
    assert world.incident(incident)["escalation"]["status"] == "STOPPED"
    with runtime.db.read() as session:
        assert outbox.pending_count(session, "timer.escalation") == 0


def test_acknowledged_before_the_worker_ran_pages_nobody(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    world.act(incident, "acknowledge")
    drain(runtime)
    clock.advance(hours=1)
    drain(runtime)
    assert world.pages(incident) == []


def test_a_step_due_while_the_acknowledgement_is_still_queued_does_not_page(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    """The worker was busy: step 2's timer and the acknowledgement's event are both
    due, the timer first. The timer sees the acknowledged incident and holds off."""
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10, seconds=1)
    world.act(incident, "acknowledge")
    drain(runtime)
    assert world.pages(incident) == [(1, ["Alice"])]
    assert world.incident(incident)["escalation"]["status"] == "STOPPED"


def test_resolve_stops_and_reopen_starts_again_from_step_one(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)
    world.act(incident, "resolve")
    clock.advance(minutes=30)
    drain(runtime)
    assert [step for step, _ in world.pages(incident)] == [1, 2]
    world.act(incident, "reopen")
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)
    assert [step for step, _ in world.pages(incident)] == [1, 2, 1, 2]


def test_snooze_pauses_and_its_end_resumes_with_the_time_that_was_left(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=4)
    world.act(incident, "snooze", {"minutes": 30})
    drain(runtime)
    assert world.incident(incident)["escalation"]["status"] == "PAUSED"
    clock.advance(minutes=29)  # step 2 was due 6 minutes after the snooze
    drain(runtime)
    assert len(world.pages(incident)) == 1
    clock.advance(minutes=1)  # the snooze runs out: 6 minutes left to step 2
    drain(runtime)
    assert world.incident(incident)["status"] == "TRIGGERED"
    clock.advance(minutes=5, seconds=59)
    drain(runtime)
    assert len(world.pages(incident)) == 1
    clock.advance(seconds=1)
    drain(runtime)
    assert world.pages(incident)[-1] == (2, ["Bob"])


def test_a_step_that_fell_due_while_snoozed_pages_at_unsnooze(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    world.act(incident, "snooze", {"minutes": 60})
    drain(runtime)
    clock.advance(minutes=20)
    drain(runtime)
    assert world.pages(incident) == [], "step 1 waits for the snooze"
    world.act(incident, "unsnooze")
    drain(runtime)
    assert world.pages(incident) == [(1, ["Alice"])]


def test_an_acknowledged_incident_whose_snooze_ends_escalates_from_step_one(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=10)
    drain(runtime)
    world.act(incident, "acknowledge")
    world.act(incident, "snooze", {"minutes": 60})
    clock.advance(minutes=60)
    drain(runtime)
    assert world.incident(incident)["status"] == "TRIGGERED"
    assert [step for step, _ in world.pages(incident)] == [1, 2, 1]


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


def test_a_duplicated_timer_row_pages_once(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    with runtime.db.write() as session:
        [row] = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == escalation.ESCALATION_STEP_JOB)
        ).all()
        for _ in range(3):  # as a replayed or doubly enqueued timer would be
            outbox.enqueue(session, row.kind, dict(row.payload), now=clock.now(), due_at=row.due_at)
    clock.advance(minutes=10)
    drain(runtime)
    assert [step for step, _ in world.pages(incident)] == [1, 2]


def test_escalation_survives_a_restart(
    runtime: Runtime, clock: FrozenClock, admin_api: Api, db_url: str, tmp_path: Path
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    runtime.db.dispose()  # the process goes away; its pending timers stay in the database
    clock.advance(minutes=10)
    settings = Settings(data_dir=tmp_path / "again", database_url=db_url, secret_key="k")
    restarted = build_runtime(settings, clock=clock)
    restarted.worker().drain()
    restarted.db.dispose()
    assert [step for step, _ in world.pages(incident)] == [1, 2]


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
