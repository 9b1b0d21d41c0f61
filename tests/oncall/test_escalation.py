"""Escalation stories: step timing, repeats, and what stops, pauses and restarts it.

The worker is driven by hand with a frozen clock: `drain()` after `advance()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from watchkeep.config import Settings
from watchkeep.outbox import JobKind, queries, store
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime, build_runtime

from oncall_support import build_world, drain
from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


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
        assert queries.pending_count(session, kind=JobKind.ESCALATION_STEP) == 0


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


def test_a_duplicated_timer_row_pages_once(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    with runtime.db.write() as session:
        [row] = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == JobKind.ESCALATION_STEP)
        ).all()
        for _ in range(3):  # as a replayed or doubly enqueued timer would be
            store.enqueue(session, row.kind, dict(row.payload), now=clock.now(), due_at=row.due_at)
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
