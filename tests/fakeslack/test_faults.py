"""Failure injection: Slack errors, HTTP errors, 429s, hangs, and outages."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code, failure


def test_next_calls_fail_with_a_slack_error(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    state.faults.fail_next("chat.postMessage", "fatal_error", times=2)
    for _ in range(2):
        err = failure(web.chat_postMessage, channel="#incidents", text="x")
        assert (err.response.status_code, err.response.data) == (
            200,
            {"ok": False, "error": "fatal_error"},
        )
    assert web.auth_test()["ok"]  # other methods unaffected
    assert web.chat_postMessage(channel="#incidents", text="third time lucky")["ok"]
    assert [c.error for c in state.calls("chat.postMessage")] == [
        "fatal_error",
        "fatal_error",
        None,
    ]
    assert state.faults.pending() == 0


def test_http_errors(web: WebClient, state: SlackState) -> None:
    state.faults.http_error_next("auth.test", 500)
    err = failure(web.auth_test)
    assert err.response.status_code == 500
    assert err.response["error"] == "internal_error"
    state.faults.http_error_next("auth.test", 502, body="<html>Bad Gateway</html>")
    err = failure(web.auth_test)
    assert err.response.status_code == 502
    assert "non-JSON" in err.response["error"]
    assert state.last_call().response == "<html>Bad Gateway</html>"


def test_injected_429_carries_retry_after(web: WebClient, state: SlackState) -> None:
    state.faults.ratelimit_next("auth.test", retry_after=7)
    err = failure(web.auth_test)
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"


def test_a_wildcard_fault_hits_any_method(web: WebClient, state: SlackState) -> None:
    state.faults.fail_next("*", "internal_error")
    assert error_code(web.users_info, user="U1") == "internal_error"
    assert web.auth_test()["ok"]


def test_a_delay_times_the_client_out_but_the_call_still_lands(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    state.faults.delay_next("chat.postMessage", 0.4)
    impatient = slack.client(ws.token, timeout=0.1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="#incidents", text="did it post?")
    assert time.monotonic() - started < 0.4
    # Like real Slack after a client timeout: the message was posted anyway.
    [msg] = state.wait_for(lambda: state.messages_in("#incidents"), timeout=3)
    assert msg.text == "did it post?"


def test_a_delay_times_out_the_async_client(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.faults.delay_next("users.info", 0.4)

    async def scenario() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await slack.async_client(ws.token, timeout=0.1).users_info(user=ws.bot_user_id)

    asyncio.run(scenario())


def test_outage_and_recovery(web: WebClient, state: SlackState) -> None:
    state.faults.start_outage()
    err = failure(web.auth_test)
    assert err.response.status_code == 503
    assert err.response["error"] == "service_unavailable"
    assert failure(web.api_call, "no.such.method").response.status_code == 503
    state.faults.end_outage()
    assert web.auth_test()["ok"]
    assert [c.status for c in state.calls()] == [503, 503, 200]


def test_clear_drops_everything(web: WebClient, state: SlackState) -> None:
    state.faults.fail_next("auth.test", times=5)
    state.faults.start_outage()
    assert state.faults.pending("auth.test") == 5
    state.faults.clear()
    assert web.auth_test()["ok"]
