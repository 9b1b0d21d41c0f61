"""The fake's Socket Mode, driven by slack_sdk's own Socket Mode client (aiohttp)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace
from watchkeep.fakeslack.sockets import NotConnected, envelope_of, socket_sender

from slack_asserts import error_code


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    running = LoopThread()
    yield running
    running.stop()


def connect(slack: FakeSlackServer, loop: LoopThread, token: str, seen: list) -> SocketModeClient:
    async def make() -> SocketModeClient:
        client = SocketModeClient(token, web_client=AsyncWebClient(base_url=slack.url))

        async def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
            seen.append((request.type, request.payload))
            answer = {"text": "got it"} if request.type == "slash_commands" else None
            await client.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id, payload=answer)
            )

        client.socket_mode_request_listeners.append(listener)
        await client.connect()
        return client

    return loop.run(make())  # type: ignore[return-value]


def test_envelopes_reach_the_app_and_its_acks_come_back(
    slack: FakeSlackServer, state: SlackState, ws: Workspace, loop: LoopThread
) -> None:
    seen: list = []
    client = connect(slack, loop, state.issue_app_token(), seen)
    state.wait_for(lambda: len(state.sockets.open_connections()) == 1)
    clicked = state.sockets.deliver("interactive", {"type": "block_actions", "team": {"id": "T1"}})
    typed = state.sockets.deliver("slash_commands", {"command": "/watchkeep", "text": "help"})
    assert (clicked.acked, clicked.ack.get("payload")) == (True, None)
    assert typed.ack["payload"] == {"text": "got it"}
    assert seen == [
        ("interactive", {"type": "block_actions", "team": {"id": "T1"}}),
        ("slash_commands", {"command": "/watchkeep", "text": "help"}),
    ]
    loop.run(client.close())


def test_the_app_reconnects_on_warning_refresh_and_a_dropped_socket(
    slack: FakeSlackServer, state: SlackState, ws: Workspace, loop: LoopThread
) -> None:
    seen: list = []
    client = connect(slack, loop, state.issue_app_token(), seen)
    state.wait_for(lambda: len(state.sockets.open_connections()) == 1)
    first = state.sockets.open_connections()[0].id
    state.sockets.disconnect("warning")
    state.wait_for(lambda: [c.id for c in state.sockets.open_connections()] not in ([], [first]))
    second = state.sockets.open_connections()[0].id
    state.sockets.disconnect("refresh_requested")
    state.wait_for(lambda: [c.id for c in state.sockets.open_connections()] not in ([], [second]))
    state.sockets.drop()
    state.wait_for(lambda: len(state.sockets.open_connections()) == 1, timeout=15)
    assert len(state.calls("apps.connections.open")) == 4
    assert state.sockets.deliver("interactive", {"type": "shortcut"}).acked
    loop.run(client.close())


def test_app_tokens_and_tickets_are_checked(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    web = slack.client()
    assert error_code(web.apps_connections_open, app_token=ws.token) == "not_allowed_token_type"
    assert error_code(web.apps_connections_open, app_token="xapp-1-nope") == "invalid_auth"
    weak = state.issue_app_token(scopes=["authorizations:read"])
    assert error_code(web.apps_connections_open, app_token=weak) == "missing_scope"
    url = web.apps_connections_open(app_token=state.issue_app_token())["url"]
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/link/?ticket=")
    with pytest.raises(NotConnected):
        state.sockets.deliver("interactive", {})


def test_the_user_agent_sends_the_same_payloads_in_envelopes(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    channel = state.add_channel(ws, "ops")
    alice = state.add_user(ws, "alice")
    requests = slack.user_agent(send=socket_sender(state.sockets)).requests
    kind, payload = envelope_of(requests.command(alice, "/watchkeep ack 3", channel=channel))
    assert kind == "slash_commands"
    assert (payload["command"], payload["text"], payload["user_id"]) == (
        "/watchkeep",
        "ack 3",
        alice.id,
    )
    kind, payload = envelope_of(requests.shortcut("create_incident", alice))
    assert (kind, payload["type"], payload["callback_id"]) == (
        "interactive",
        "shortcut",
        "create_incident",
    )
