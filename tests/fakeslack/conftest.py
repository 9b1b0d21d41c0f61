"""Fixtures for the fake Slack's own tests.

One real uvicorn server on loopback serves the whole session; each test gets
a fresh world (``state``) on a hand-driven clock, a workspace and a sync
client for its bot token.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeClock, FakeSlackServer, SlackState, Workspace


@pytest.fixture(scope="session")
def _loopback_without_proxy() -> Iterator[None]:
    # slack_sdk and aiohttp honour HTTP(S)_PROXY; loopback must bypass it.
    with pytest.MonkeyPatch.context() as mp:
        for var in ("NO_PROXY", "no_proxy"):
            current = os.environ.get(var, "")
            mp.setenv(var, ",".join(filter(None, [current, "127.0.0.1", "localhost"])))
        yield


@pytest.fixture(scope="session")
def slack_server(_loopback_without_proxy: None) -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack(slack_server: FakeSlackServer, fake_clock: FakeClock) -> FakeSlackServer:
    slack_server.reset(SlackState(clock=fake_clock))
    return slack_server


@pytest.fixture
def state(slack: FakeSlackServer) -> SlackState:
    return slack.state


@pytest.fixture
def ws(state: SlackState) -> Workspace:
    return state.create_workspace("Acme Corp")


@pytest.fixture
def web(slack: FakeSlackServer, ws: Workspace) -> WebClient:
    return slack.client(ws.token)
