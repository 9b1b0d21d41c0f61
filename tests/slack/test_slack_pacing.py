"""Fair pacing end to end: the real app and workers against the fake Slack with its
limits on, on the frozen clock both share (times below are the fake's records)."""

from __future__ import annotations

import threading

import pytest

from watchkeep.db.engine import Database
from watchkeep.fakeslack import Call, SlackState, Workspace
from watchkeep.outbox import queries, store
from watchkeep.runtime import Runtime
from watchkeep.slack.limits import POST
from watchkeep.worker.loop import Worker, WorkerOptions

from pacing_support import within
from support import Api, Delivery, FrozenClock
from test_slack_workers import connect, open_incidents


def trigger(api: Api, service_id: int, title: str, **fields: object) -> dict:
    response = api.post("/api/v1/incidents", {"title": title, "service_id": service_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def service(api: Api, name: str, channel: str) -> int:
    response = api.post("/api/v1/services", {"name": name, "slack_channel": channel})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def parents(slack: SlackState, channel: str) -> list[Call]:
    return [
        call
        for call in slack.calls("chat.postMessage")
        if call.ok and call.params["channel"] == channel and not call.params.get("thread_ts")
    ]


def test_a_storm_in_one_channel_never_holds_up_another(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, clock: FrozenClock
) -> None:
    slack.rate_limits.configure(enabled=True)
    x, y = service(admin_api, "x", "#ops"), service(admin_api, "y", "#payments")
    started = clock.now().timestamp()
    for i in range(60):
        trigger(admin_api, x, f"x {i}")
    deliver.worker.drain()
    clock.advance(seconds=0.5)
    y_triggered = clock.now().timestamp()
    trigger(admin_api, y, "y")
    deliver()
    [y_post] = parents(slack, "#payments")
    assert y_post.at - y_triggered == 0, "Y's page waits for nothing"
    # Meanwhile X's storm drains at Slack's pace for one channel: two at once, then 1/s.
    x_posts = parents(slack, "#ops")
    assert [call.at - started for call in x_posts] == [0, 0, *range(1, 59)]
    assert [c for c in slack.calls() if c.status == 429] == []


def test_a_high_incident_goes_before_the_rest_of_a_low_storm_in_its_channel(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery
) -> None:
    slack.rate_limits.configure(enabled=True)
    x = service(admin_api, "x", "#ops")
    for i in range(10):
        trigger(admin_api, x, f"low {i}", urgency="LOW")
    deliver.worker.drain()
    trigger(admin_api, x, "page", urgency="HIGH")
    deliver()
    shown = [call.params["text"].split(" ", 2)[2] for call in parents(slack, "#ops")]
    # Two of the storm went at once (which two is the workers' race); the page is next.
    assert shown[2] == "page (triggered)"
    assert sorted(shown[:2] + shown[3:]) == [f"low {i} (triggered)" for i in range(10)]


def test_thread_replies_and_updates_keep_their_order_and_share_the_channels_pace(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery
) -> None:
    slack.rate_limits.configure(enabled=True)
    x = service(admin_api, "x", "#ops")
    incidents = [trigger(admin_api, x, f"x {i}") for i in range(8)]
    deliver.worker.drain()
    last = incidents[-1]["id"]
    for action in ("acknowledge", "resolve"):
        assert admin_api.post(f"/api/v1/incidents/{last}/{action}", {}).status_code == 200
    deliver()
    assert [c for c in slack.calls() if c.status == 429] == []
    # Posts go to #ops, replies to its id: one channel to Slack, paced as one.
    assert {c.response["channel"] for c in slack.calls("chat.postMessage")} == {
        slack.channel("#ops").id
    }
    assert POST.channel is not None
    assert within([c for c in slack.calls("chat.postMessage") if c.ok], POST.channel)
    [parent] = [c for c in parents(slack, "#ops") if "x 7 (" in c.params["text"]]
    ts = parent.response["ts"]
    its_calls = [
        c
        for c in slack.calls()
        if c.ok and ts in (c.params.get("thread_ts"), c.params.get("ts"), c.response.get("ts"))
    ]
    assert [(c.method, "thread_ts" in c.params) for c in its_calls] == [
        ("chat.postMessage", False),
        ("chat.postMessage", True),
        ("chat.update", False),
        ("chat.postMessage", True),
    ]
    assert its_calls[2].params["text"].endswith("(resolved)")


@pytest.mark.postgres
def test_two_workers_on_postgresql_share_the_pace(
    pg_runtime: Runtime, slack: SlackState, team: Workspace, clock: FrozenClock
) -> None:
    runtime = pg_runtime
    slack.rate_limits.configure(enabled=True)
    connect(runtime, team)
    open_incidents(runtime, slack, team, channels=3, per_channel=12)
    workers = [
        Worker(Database(runtime.db.url), runtime.handlers, clock, WorkerOptions(threads=4))
        for _ in range(2)
    ]
    for _ in range(200):
        threads = [threading.Thread(target=worker.drain) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with runtime.db.read() as session:
            if queries.pending_count(session) == 0:
                break
            due = store.next_due_at(session)
        if due > clock.now():
            clock.advance(seconds=(due - clock.now()).total_seconds())
    assert [c for c in slack.calls() if c.status == 429] == []
    for c in range(3):
        posts = parents(slack, f"#svc-{c}")
        assert len(posts) == 12
        assert [call.at - posts[0].at for call in posts] == [0, 0, *range(1, 11)]
