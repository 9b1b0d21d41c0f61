"""What /metrics says of Slack: every call by method and outcome (ok, 429, Slack's
error code), and the calls that had to wait their turn under Slack's limits; and
how runbook steps ended."""

from __future__ import annotations

from runbook_story import save, steps
from runbook_story import trigger as runbook_trigger

from watchkeep.fakeslack import SlackState, Workspace

from support import Api, Delivery, Metrics


def trigger(api: Api, service_id: int, title: str = "Disk full") -> None:
    response = api.post("/api/v1/incidents", {"title": title, "service_id": service_id})
    assert response.status_code == 201, response.text


def test_slack_calls_are_counted_by_method_and_outcome(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    metrics = Metrics(admin_api)
    trigger(admin_api, service_id)
    deliver()
    slack.faults.ratelimit_next("chat.postMessage", retry_after=1)
    trigger(admin_api, service_id)
    deliver()
    slack.faults.fail_next("chat.postMessage", "channel_not_found")
    trigger(admin_api, service_id)
    deliver()
    calls = "watchkeep_slack_calls_total"
    assert metrics.delta(calls, method="chat.postMessage", outcome="ok") == 2
    assert metrics.delta(calls, method="chat.postMessage", outcome="429") == 1
    assert metrics.delta(calls, method="chat.postMessage", outcome="channel_not_found") == 1
    assert len(slack.calls("chat.postMessage")) == 4


def test_calls_held_back_by_slacks_limits_are_counted_as_waits(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.rate_limits.configure(enabled=True)
    metrics = Metrics(admin_api)
    for n in range(6):
        trigger(admin_api, service_id, f"storm {n}")
    deliver()
    # A channel takes two at once, then one a second: four of six posts waited.
    waits = "watchkeep_slack_rate_limit_waits_total"
    assert metrics.delta(waits, method="chat.postMessage") == 4
    seconds = "watchkeep_slack_rate_limit_wait_seconds_sum"
    assert metrics.delta(seconds, method="chat.postMessage") == 1 + 2 + 3 + 4
    assert [c for c in slack.calls() if c.status == 429] == []


def test_runbook_steps_are_counted_by_operation_and_outcome(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.add_channel(connected, "old-room", archived=True)
    message = {"operation": "send_message", "message": "x"}
    save(
        admin_api,
        steps(
            {**message, "channel": "#old-room", "continue_on_error": True},
            {**message, "channel": "#ops"},
            {**message, "channel": "#old-room"},
        ),
    )
    metrics = Metrics(admin_api)
    runbook_trigger(admin_api, service_id)
    deliver()
    counted = "watchkeep_runbook_steps_total"
    assert metrics.delta(counted, operation="send_message", outcome="skipped") == 1
    assert metrics.delta(counted, operation="send_message", outcome="ok") == 1
    assert metrics.delta(counted, operation="send_message", outcome="failed") == 1
