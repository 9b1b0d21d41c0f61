"""Lanes on a real database: fair turns, no slot held ahead, early wake-ups, 429 pauses."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from watchkeep.db.engine import Database
from watchkeep.outbox import JobKind, store
from watchkeep.outbox.models import OutboxRow
from watchkeep.slack import throttle
from watchkeep.slack.limits import LIMITS, POST, MethodLimits, Window
from watchkeep.slack.models import SlackPacing

from pacing_support import START, WORKSPACE_ID, PacedCall, alone, run_lane

HIGH, MEDIUM, LOW = 0, 1, 2


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def small_workspace(monkeypatch: pytest.MonkeyPatch) -> MethodLimits:
    """chat.postMessage with a workspace window of 4 calls in 10 s: the workspace binds."""
    limits = MethodLimits(workspace=Window(calls=4, seconds=10), channel=POST.channel)
    monkeypatch.setitem(LIMITS, "chat.postMessage", limits)
    return limits


def test_a_quiet_channel_goes_at_once_while_a_storm_drains_at_its_own_pace(db: Database) -> None:
    storm = [PacedCall("#x", HIGH, 0.0) for _ in range(60)]
    went = run_lane(db, [*storm, PacedCall("#y", HIGH, 0.5)])
    assert went[-1] == 0.5, "Y's message waits for nothing but its own channel"
    assert went[:-1] == [0.0, 0.0, *map(float, range(1, 59))]


def test_the_most_urgent_call_of_a_channel_goes_first(db: Database) -> None:
    calls = [PacedCall("#x", LOW, 0.0) for _ in range(10)] + [PacedCall("#x", HIGH, 0.2)]
    went = run_lane(db, calls)
    assert went[-1] == 1.0, "after the burst, before the other eight"
    assert went[:-1] == [0.0, 0.0, *map(float, range(2, 10))]


def test_when_the_workspace_binds_a_high_call_in_a_quiet_channel_goes_next(
    db: Database, small_workspace: MethodLimits
) -> None:
    storm = [PacedCall("#x", LOW, float(i)) for i in range(6)]
    went = run_lane(db, [*storm, PacedCall("#y", HIGH, 3.5)])
    # #x spends the window's four; they leave it at 10, 11, 12 and 13 s.
    assert went[:4] == [0.0, 1.0, 2.0, 3.0]
    assert went[-1] == 10.0, "the first call the window allows goes to #y"
    assert went[4:6] == [11.0, 12.0]


def test_when_the_workspace_binds_busy_channels_take_turns(
    db: Database, small_workspace: MethodLimits
) -> None:
    calls = [PacedCall(ch, MEDIUM, 0.0) for ch in ("#a", "#b") for _ in range(6)]
    went = run_lane(db, calls)
    by_channel = {
        ch: sorted(w for c, w in zip(calls, went, strict=True) if c.channel == ch)
        for ch in ("#a", "#b")
    }
    # The window lets 4 go in any 10 s; the two channels share it call for call.
    assert by_channel["#a"] == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]
    assert by_channel["#b"] == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["#a", "#b", "#c", "#d"]),
            st.sampled_from([HIGH, MEDIUM, LOW]),
            st.integers(min_value=0, max_value=20_000),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_no_channel_waits_longer_than_its_own_queue_requires(
    sqlite_template: Path, tmp_path: Path, mix: list[tuple[str, int, int]]
) -> None:
    """Random mixes of channels, urgencies and arrival times (to the millisecond):
    every call goes exactly when its own channel's queue lets it, whatever the
    other channels are doing."""
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        calls = [PacedCall(ch, urgency, ms / 1000) for ch, urgency, ms in mix]
        went = run_lane(db, calls)
    finally:
        db.dispose()
    assert POST.channel is not None
    expected = alone(calls, POST.channel)
    assert went == pytest.approx(expected, abs=1e-6)


def test_a_waiter_whose_turn_comes_sooner_is_woken_early(db: Database) -> None:
    now = START
    with db.write() as session:
        ids = [store.enqueue(session, JobKind.SLACK_POST, {}, now=now) for _ in range(4)]
    turns = []
    with db.write() as session:
        for job_id in ids:
            turns.append(
                throttle.admit(
                    session,
                    WORKSPACE_ID,
                    "chat.postMessage",
                    "#x",
                    job_id=job_id,
                    urgency=MEDIUM,
                    now=now,
                )
            )
            if not turns[-1].go:
                row = session.get(OutboxRow, job_id)
                row.due_at = turns[-1].at
    assert [t.go for t in turns] == [True, True, False, False]
    assert [t.at - now for t in turns[2:]] == [timedelta(seconds=1), timedelta(seconds=2)]
    # The third job ends without calling (its incident is gone): the fourth moves up.
    with db.write() as session:
        throttle.forget(session, ids[2], now)
    with db.read() as session:
        assert session.get(OutboxRow, ids[3]).due_at == now + timedelta(seconds=1)


def test_a_waiter_keeps_its_place_while_its_job_lives_and_loses_it_when_its_worker_dies(
    db: Database,
) -> None:
    now = START

    def admit(job_id: int, at: timedelta) -> throttle.Turn:
        with db.write() as session:
            return throttle.admit(
                session,
                WORKSPACE_ID,
                "chat.postMessage",
                "#x",
                job_id=job_id,
                urgency=MEDIUM,
                now=now + at,
            )

    with db.write() as session:
        ids = [store.enqueue(session, JobKind.SLACK_POST, {}, now=now) for _ in range(4)]
    assert [admit(i, timedelta()).go for i in ids[:3]] == [True, True, False]
    # The first two went and are done; the third's worker claims it at its turn and dies.
    with db.write() as session:
        session.execute(delete(OutboxRow).where(OutboxRow.id.in_(ids[:2])))
        session.get(OutboxRow, ids[2]).due_at = now + timedelta(seconds=1)
        session.get(OutboxRow, ids[3]).due_at = now + timedelta(seconds=1.5)
        [doomed] = store.claim(
            session, now=now + timedelta(seconds=1), limit=1, lease_seconds=10, worker_id="doomed"
        )
    assert doomed.id == ids[2]
    # While its lease holds, it may still call: the fourth queues behind it.
    assert admit(ids[3], timedelta(seconds=1.5)).at == now + timedelta(seconds=2)
    # Once the lease has run out its place is gone, and the fourth goes.
    assert admit(ids[3], timedelta(seconds=11.5)).go


def test_a_429_pauses_the_whole_lane_for_retry_after(db: Database) -> None:
    now = START
    with db.write() as session:
        throttle.back_off(session, WORKSPACE_ID, "chat.postMessage", "#x", now, 30)
    with db.write() as session:
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#y", now) == 30
        turn = throttle.admit(
            session, WORKSPACE_ID, "chat.postMessage", "#z", job_id=1, urgency=HIGH, now=now
        )
    assert turn.at == now + timedelta(seconds=30)
    with db.write() as session:
        later = now + timedelta(seconds=30)
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#y", later) == 0


def test_a_person_goes_before_the_waiting_jobs_and_is_told_how_long_otherwise(
    db: Database,
) -> None:
    now = START
    with db.write() as session:
        for job_id in (1, 2, 3):
            throttle.admit(
                session,
                WORKSPACE_ID,
                "chat.postMessage",
                "#x",
                job_id=job_id,
                urgency=HIGH,
                now=now,
            )
        # Job 3 waits for #x; an admin's test message in #y does not.
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#y", now) == 0
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#x", now) == 1.0


def test_a_channel_name_and_its_id_share_one_bucket_once_slack_named_it(db: Database) -> None:
    now = START
    with db.write() as session:
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#ops", now) == 0
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#ops", now) == 0
        throttle.learn_channel(session, WORKSPACE_ID, "chat.postMessage", "#ops", "C0OPS", now)
        # The thread replies go to the id: the same channel, whose burst is spent.
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "C0OPS", now) == 1.0
        assert throttle.take_now(session, WORKSPACE_ID, "chat.postMessage", "#ops", now) == 1.0


def test_tier_methods_allow_their_whole_minute_at_once(db: Database) -> None:
    now = START
    window = LIMITS["chat.update"].workspace
    with db.write() as session:
        taken = [
            throttle.take_now(session, WORKSPACE_ID, "chat.update", f"C{i % 7}", now)
            for i in range(window.calls + 1)
        ]
    assert taken == [0.0] * window.calls + [window.seconds]


def test_no_lane_state_is_kept_for_methods_slack_does_not_limit(db: Database) -> None:
    with db.write() as session:
        turn = throttle.admit(
            session, WORKSPACE_ID, "auth.test", None, job_id=1, urgency=MEDIUM, now=START
        )
        assert turn.go
        assert session.scalars(select(SlackPacing)).all() == []
