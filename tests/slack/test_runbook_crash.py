"""A worker killed mid-run: Slack acted, but the worker died before it wrote that down.

The kill is a BaseException raised right after Slack's answer arrives: it
escapes the worker (no handler runs, no row is released), the row keeps its
lease, and after the lease runs out another worker takes the step over. It
must find what Slack already made instead of making it again.
"""

from __future__ import annotations

from typing import Any

import pytest
from runbook_story import WAR_ROOM, runs, save_yaml, trigger

from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runtime import Runtime

from support import Api, Delivery, FrozenClock


class WorkerKilled(BaseException):
    """The process died: nothing after this point ran."""


def kill_after(runtime: Runtime, method: str) -> None:
    """The first runbook call of `method` is done by Slack, then the worker dies (a
    runbook's post carries metadata; the incident's own announcement does not)."""
    gateway = runtime.slack.gateway
    real = gateway.call
    state = {"killed": False}

    def call(token: str, called: str, /, **params: Any) -> dict[str, Any]:
        answer = real(token, called, **params)
        mine = called != "chat.postMessage" or "metadata" in params
        if called == method and mine and not state["killed"]:
            state["killed"] = True
            raise WorkerKilled(called)
        return answer

    gateway.call = call  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("method", "lookup"),
    [("conversations.create", "conversations.list"), ("chat.postMessage", "conversations.history")],
)
def test_a_worker_killed_after_slack_acted_makes_nothing_twice(
    method: str,
    lookup: str,
    runtime: Runtime,
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
    clock: FrozenClock,
) -> None:
    save_yaml(admin_api, WAR_ROOM)
    incident = trigger(admin_api, service_id, description="db down")
    kill_after(runtime, method)
    with pytest.raises(WorkerKilled):
        deliver()
    # The dead worker's lease runs out; another worker picks the step up.
    clock.advance(seconds=runtime.settings.worker_lease_seconds + 1)
    Delivery(runtime, clock)()

    # The retry did not know Slack's outcome: it looked before acting again.
    assert len(slack.calls(lookup)) == 1
    [killed] = [c for c in slack.calls(method) if c.at < slack.calls(lookup)[0].at][-1:]
    assert killed.ok
    rooms = [c for c in slack.channels.values() if c.name.startswith("incident-")]
    assert [room.name for room in rooms] == ["incident-1"]
    assert [m.text for m in slack.messages_in("#incident-1")] == [
        "🚨 HIGH incident detected in checkout",
        "Updates for incident 1",
    ]
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED"
    assert [step["status"] for step in run["steps"]] == ["SUCCEEDED"] * 3
    assert run["steps"][0]["result"]["channel_id"] == rooms[0].id
