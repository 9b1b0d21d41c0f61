"""Delivery under Slack's weather: outages, 429s, pacing, permanent failures, storms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from watchkeep.fakeslack import Call, SlackState, Workspace
from watchkeep.outbox import JobKind, store
from watchkeep.outbox.models import OutboxRow, OutboxState
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces
from watchkeep.slack.limits import LIMITS, Window
from watchkeep.worker.handlers import JobContext

from pacing_support import within
from slack_story import controls
from support import Api, Delivery, FrozenClock


def trigger(api: Api, service_id: int, title: str = "Disk full", **fields: object) -> dict:
    response = api.post("/api/v1/incidents", {"title": title, "service_id": service_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def slack_rows(runtime: Runtime) -> list[OutboxRow]:
    with runtime.db.read() as session:
        query = select(OutboxRow).where(OutboxRow.kind.startswith("slack.")).order_by(OutboxRow.id)
        return list(session.scalars(query))


def within_window(calls: list[Call], window: Window) -> bool:
    """No `window.seconds` ever held more than `window.calls` of the calls."""
    times = sorted(c.at for c in calls)
    return all(
        sum(1 for t in times[i:] if t < start + window.seconds) <= window.calls
        for i, start in enumerate(times)
    )


def test_an_outage_delays_the_message_and_recovery_delivers_it_once(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    service_id: int,
) -> None:
    slack.faults.start_outage()
    trigger(admin_api, service_id)
    for _ in range(3):
        deliver.worker.drain()
        deliver.clock.advance(minutes=5)
    [row] = slack_rows(runtime)
    assert row.state is OutboxState.PENDING
    assert "service_unavailable" in row.last_error
    assert slack.messages_in("#ops") == []
    slack.faults.end_outage()
    deliver()
    assert len(slack.messages_in("#ops")) == 1
    assert slack_rows(runtime) == []


def test_a_429_waits_exactly_retry_after_and_tells_the_health(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    clock: FrozenClock,
    service_id: int,
) -> None:
    slack.faults.ratelimit_next("chat.postMessage", retry_after=30)
    trigger(admin_api, service_id)
    deliver.worker.drain()
    [row] = slack_rows(runtime)
    assert row.due_at == clock.now() + timedelta(seconds=30)
    health = admin_api.get("/api/v1/integrations/slack").json()["health"]
    assert health["messages_waiting"] == 1
    assert health["rate_limited_until"] is not None
    clock.advance(seconds=29)
    deliver.worker.drain()
    assert slack.messages_in("#ops") == []
    clock.advance(seconds=1)
    deliver.worker.drain()
    assert len(slack.messages_in("#ops")) == 1
    assert len(slack.calls("chat.postMessage")) == 2


def test_pacing_keeps_each_channel_under_slacks_limit_and_channels_in_parallel(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    slack.rate_limits.configure(enabled=True)
    ops = admin_api.post("/api/v1/services", {"name": "a", "slack_channel": "#ops"}).json()
    pay = admin_api.post("/api/v1/services", {"name": "b", "slack_channel": "#payments"}).json()
    for i in range(12):
        trigger(admin_api, ops["id"], f"ops {i}")
        trigger(admin_api, pay["id"], f"pay {i}")
    deliver()
    assert len(slack.messages_in("#ops")) == 12
    assert len(slack.messages_in("#payments")) == 12
    assert [c for c in slack.calls() if c.status == 429] == [], "we never met Slack's limit"
    posts = slack.calls("chat.postMessage")
    limits = LIMITS["chat.postMessage"]
    per_channel, workspace = limits.channel, limits.workspace
    assert per_channel is not None
    by_channel = [[c for c in posts if c.params["channel"] == ch] for ch in ("#ops", "#payments")]
    assert all(within(calls, per_channel) for calls in by_channel)
    assert within_window(posts, workspace)
    # Both channels at once, each at its own pace: 12 posts, 2 at once then one a second.
    for calls in by_channel:
        assert [c.at - calls[0].at for c in calls] == [0, 0, *range(1, 11)]


def test_a_storm_of_changes_coalesces_into_the_newest_update(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"events": {"incident_snoozed": False}})
    incident = trigger(admin_api, service_id)
    deliver()
    path = f"/api/v1/incidents/{incident['id']}"
    for _ in range(10):
        admin_api.post(f"{path}/snooze", {"minutes": 10})
        admin_api.post(f"{path}/unsnooze")
    admin_api.post(f"{path}/acknowledge")
    deliver()
    # However the worker batches them, Slack only ever sees the newest state.
    shown = {call.params["text"] for call in slack.calls("chat.update")}
    assert shown == {"[HIGH] #1 Disk full (acknowledged)"}
    [parent] = slack.messages_in("#ops")
    assert controls(parent) == ["Acknowledged ✓", "Resolve", "Snooze", "View in Watchkeep"]


def test_a_missing_channel_stops_and_is_shown_on_the_timeline_and_health(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    service_id: int,
) -> None:
    admin_api.patch(f"/api/v1/services/{service_id}", {"slack_channel": "#gone"})
    incident = trigger(admin_api, service_id)
    deliver()
    detail = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    [failure] = [e for e in detail["timeline"] if e["type"] == "notification_failed"]
    assert "channel_not_found" in failure["message"]
    assert "#gone" in failure["message"]
    health = admin_api.get("/api/v1/integrations/slack").json()["health"]
    assert "channel_not_found" in health["last_error"]
    assert health["messages_failed"] == 1
    [row] = slack_rows(runtime)
    assert row.state is OutboxState.FAILED
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    deliver()
    assert len(slack.calls("chat.postMessage")) == 1, "no thread to reply to: nothing more sent"


def test_a_revoked_token_is_a_permanent_failure(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    slack.revoke_token(connected.token)
    trigger(admin_api, service_id)
    deliver()
    assert (
        "token_revoked"
        in admin_api.get("/api/v1/integrations/slack").json()["health"]["last_error"]
    )


def test_a_worker_that_dies_before_slack_answers_leaves_the_message_to_another(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    clock: FrozenClock,
    service_id: int,
) -> None:
    trigger(admin_api, service_id)
    deliver.worker.run_once()  # the event fans out into a post job
    with runtime.db.write() as session:
        [claimed] = store.claim(
            session, now=clock.now(), limit=10, lease_seconds=60, worker_id="doomed"
        )
    assert claimed.kind == "slack.post"
    deliver.worker.drain()
    assert slack.messages_in("#ops") == [], "the lease is respected while it lasts"
    clock.advance(seconds=61)
    deliver()
    assert len(slack.messages_in("#ops")) == 1


class Crash(BaseException):
    """The process dies: nothing of ours runs after this (no rollback bookkeeping)."""


def test_a_reply_whose_worker_died_after_slack_took_it_is_found_not_sent_twice(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    runtime: Runtime,
    clock: FrozenClock,
    service_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident = trigger(admin_api, service_id)
    deliver()
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    deliver.worker.run_once()  # the event fans out into a reply and a refresh
    with runtime.db.write() as session:
        claimed = store.claim(
            session, now=clock.now(), limit=10, lease_seconds=60, worker_id="doomed"
        )
    [reply] = [job for job in claimed if job.kind == JobKind.SLACK_REPLY]

    def die(*_: object) -> None:
        raise Crash

    # Slack posts the reply; the worker dies before it records that it did.
    monkeypatch.setattr(workspaces, "mark_delivered", die)
    clock.advance(seconds=1)  # past the post's pacing slot
    with pytest.raises(Crash):
        runtime.slack.delivery.reply(JobContext(reply, runtime.db, clock))
    monkeypatch.undo()
    [parent] = slack.messages_in("#ops")
    assert len(slack.thread("#ops", parent.ts)) == 2, "the reply is in Slack"

    clock.advance(seconds=61)
    deliver()
    thread = slack.thread("#ops", parent.ts)
    assert [m.text for m in thread[1:]] == ["👀 Acknowledged by *Ada Admin*"]
    [lookup] = slack.calls("conversations.replies")
    assert lookup.params["include_all_metadata"] == "1"


def test_after_a_429_every_channel_waits_retry_after_and_the_retry_books_a_new_slot(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    slack.rate_limits.configure(enabled=True)
    ops = admin_api.post("/api/v1/services", {"name": "a", "slack_channel": "#ops"}).json()
    pay = admin_api.post("/api/v1/services", {"name": "b", "slack_channel": "#payments"}).json()
    slack.faults.ratelimit_next("chat.postMessage", retry_after=5)
    for i in range(4):
        trigger(admin_api, ops["id"], f"ops {i}")
        trigger(admin_api, pay["id"], f"pay {i}")
    deliver()
    posts = slack.calls("chat.postMessage")
    [refused] = [call for call in posts if call.status == 429]
    after = [call for call in posts if call.at > refused.at]
    assert after, "delivery went on after the 429"
    assert min(call.at for call in after) >= refused.at + 5
    assert all(call.status == 200 for call in after), "no second 429"
    assert len(slack.messages_in("#ops")) == len(slack.messages_in("#payments")) == 4
