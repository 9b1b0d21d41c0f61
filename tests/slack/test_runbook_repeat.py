"""Status reminders: a runbook with `repeat_every_minutes` runs again while the incident
is open, and stops when it is resolved. With no runbook channel, `[incident.channel]`
is where the incident was announced (#ops)."""

from __future__ import annotations

from datetime import datetime

from runbook_story import EXAMPLES, runs, save_yaml, trigger

from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.outbox import store
from watchkeep.runtime import Runtime

from support import Api, FrozenClock


def run_until(runtime: Runtime, clock: FrozenClock, until: datetime) -> None:
    """The worker, with time moving to each due row up to `until` (never past it)."""
    worker = runtime.worker()
    while True:
        worker.drain()
        with runtime.db.read() as session:
            due = store.next_due_at(session)
        if due is None or due > until:
            clock.advance(seconds=max(0.0, (until - clock.now()).total_seconds()))
            worker.drain()
            return
        if due > clock.now():
            clock.advance(seconds=(due - clock.now()).total_seconds())


def test_a_reminder_every_30_minutes_while_open(
    runtime: Runtime,
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    service_id: int,
    clock: FrozenClock,
) -> None:
    save_yaml(admin_api, (EXAMPLES / "status-reminder.yaml").read_text())
    start = clock.now()
    incident = trigger(admin_api, service_id)
    reminder = "⏰ Incident #1 is still TRIGGERED: please post an update."
    run_until(runtime, clock, start.replace(minute=59))

    room = [m.text for m in slack.messages_in("#ops")]
    assert room.count(reminder) == 2  # at 9:00 and 9:30
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    run_until(runtime, clock, start.replace(hour=10, minute=31))
    acknowledged = "⏰ Incident #1 is still ACKNOWLEDGED: please post an update."
    assert [m.text for m in slack.messages_in("#ops")].count(acknowledged) == 2

    admin_api.post(f"/api/v1/incidents/{incident['id']}/resolve")
    run_until(runtime, clock, start.replace(hour=12))
    assert len([m for m in slack.messages_in("#ops") if m.text.startswith("⏰")]) == 4
    by_trigger = sorted(run["trigger"] for run in runs(admin_api, incident["id"]))
    assert by_trigger == ["incident.triggered", "repeat", "repeat", "repeat"]
