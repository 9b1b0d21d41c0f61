"""Server lifecycle and the helpers tests read the fake's state with."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace, main, seed_demo


def test_a_standalone_server_on_an_ephemeral_port(slack_server: FakeSlackServer) -> None:
    with FakeSlackServer() as server:
        assert server.port not in (0, slack_server.port)
        assert server.url == f"http://127.0.0.1:{server.port}/api/"
        ws = server.state.create_workspace("Solo")
        assert server.client(ws.token).auth_test()["team"] == "Solo"
    with pytest.raises(httpx.ConnectError):
        httpx.post(server.url + "auth.test", timeout=1)


def test_stopping_cuts_injected_hangs_short() -> None:
    server = FakeSlackServer().start()
    ws = server.state.create_workspace()
    server.state.faults.delay_next("auth.test", 30)
    caller = threading.Thread(
        target=lambda: _swallow(server.client(ws.token, timeout=10).auth_test)
    )
    caller.start()
    server.state.wait_for(lambda: server.state.faults.pending() == 0, timeout=3)
    started = time.monotonic()
    server.stop()
    caller.join(5)
    assert time.monotonic() - started < 3


def _swallow(call: Callable[[], object]) -> None:
    # The server going away mid-call is the point of the test.
    with contextlib.suppress(Exception):
        call()


def test_calls_are_recorded_with_params_token_team_status(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    web.chat_postMessage(channel="#incidents", text="hi")
    call = state.last_call("chat.postMessage")
    assert (call.method, call.http_method, call.token, call.team_id, call.status) == (
        "chat.postMessage",
        "POST",
        ws.token,
        ws.team_id,
        200,
    )
    assert call.params == {"channel": "#incidents", "text": "hi"}
    assert call.ok
    assert call.response["ts"] == "1700000000.000000"
    assert call.at == 1_700_000_000.0
    state.clear_calls()
    assert state.calls() == []
    with pytest.raises(LookupError):
        state.last_call()


def test_wait_for_polls_until_background_work_lands(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    timer = threading.Timer(0.05, lambda: web.chat_postMessage(channel="#incidents", text="later"))
    timer.start()
    msgs = state.wait_for(lambda: state.messages_in("#incidents"), timeout=3)
    assert [m.text for m in msgs] == ["later"]
    with pytest.raises(TimeoutError):
        state.wait_for(lambda: state.calls("chat.update"), timeout=0.05)
    timer.join()


def test_channel_lookup_by_name_needs_a_team_when_names_clash(
    state: SlackState, ws: Workspace
) -> None:
    other = state.create_workspace("Globex")
    mine, theirs = state.add_channel(ws, "general"), state.add_channel(other, "general")
    assert state.channel("#general", team=ws) is mine
    assert state.channel("general", team="Globex") is theirs
    with pytest.raises(KeyError):
        state.channel("#general")


def test_the_demo_seed_is_usable(slack: FakeSlackServer) -> None:
    ws = seed_demo(slack.state)
    client = slack.client(ws.token)
    names = [
        c["name"]
        for c in client.conversations_list(types="public_channel,private_channel")["channels"]
    ]
    assert names == ["general", "incidents", "sre-oncall", "random"]
    assert client.users_lookupByEmail(email="alice@example.com")["user"]["real_name"] == "Alice Ng"


def test_main_has_a_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out
