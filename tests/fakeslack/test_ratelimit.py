"""Rate limits on the injected clock: per-channel posting and per-method tiers."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchkeep.fakeslack import FakeClock, FakeSlackServer, SlackState, Workspace

from slack_asserts import failure


def test_off_by_default(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.add_channel(ws, "incidents")
    for i in range(30):
        web.chat_postMessage(channel="#incidents", text=str(i))
    assert len(state.messages_in("#incidents")) == 30


def test_posting_allows_a_burst_of_three_then_one_per_second(
    web: WebClient, state: SlackState, ws: Workspace, fake_clock: FakeClock
) -> None:
    state.rate_limits.configure(enabled=True)
    state.add_channel(ws, "incidents")
    for i in range(3):
        web.chat_postMessage(channel="#incidents", text=str(i))
    err = failure(web.chat_postMessage, channel="#incidents", text="too fast")
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "1"
    assert err.response.data == {"ok": False, "error": "ratelimited"}
    assert len(state.messages_in("#incidents")) == 3
    assert len(state.calls("chat.postMessage")) == 4  # slack_sdk does not retry 429 by default
    assert state.last_call().status == 429

    fake_clock.advance(1.0)
    web.chat_postMessage(channel="#incidents", text="after a second")
    failure(web.chat_postMessage, channel="#incidents", text="the bucket is empty again")
    fake_clock.advance(10)  # the bucket refills only up to the burst
    for i in range(3):
        web.chat_postMessage(channel="#incidents", text=f"burst {i}")
    failure(web.chat_postMessage, channel="#incidents", text="x")
    assert [c.status for c in state.calls()][-5:] == [429, 200, 200, 200, 429]


def test_each_channel_has_its_own_bucket(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.rate_limits.configure(enabled=True, post_burst=1)
    state.add_channel(ws, "a")
    state.add_channel(ws, "b")
    web.chat_postMessage(channel="#a", text="x")
    web.chat_postMessage(channel="#b", text="x")
    failure(web.chat_postMessage, channel="#a", text="x")


def test_a_slower_configured_rate_gives_a_longer_retry_after(
    web: WebClient, state: SlackState, ws: Workspace, fake_clock: FakeClock
) -> None:
    state.rate_limits.configure(enabled=True, post_burst=1, post_per_second=0.2)
    state.add_channel(ws, "a")
    web.chat_postMessage(channel="#a", text="x")
    fake_clock.advance(0.5)
    err = failure(web.chat_postMessage, channel="#a", text="x")
    assert err.response.headers["Retry-After"] == "5"


def test_tier_two_allows_twenty_a_minute_per_workspace(
    slack: FakeSlackServer, web: WebClient, state: SlackState, fake_clock: FakeClock
) -> None:
    state.rate_limits.configure(enabled=True)
    for _ in range(20):
        web.conversations_list()
        fake_clock.advance(1)
    err = failure(web.conversations_list)
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "40"  # the oldest call leaves the window then
    other = state.create_workspace("Globex")
    assert slack.client(other.token).conversations_list()["ok"]
    fake_clock.advance(40)
    assert web.conversations_list()["ok"]


def test_per_method_overrides(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.rate_limits.configure(enabled=True, per_minute={"auth.test": 2})
    web.auth_test()
    web.auth_test()
    assert failure(web.auth_test).response.status_code == 429


def test_the_async_client_sees_the_429_too(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.rate_limits.configure(enabled=True, per_minute={"users.info": 1})

    async def scenario() -> SlackApiError:
        client = slack.async_client(ws.token)
        await client.users_info(user=ws.bot_user_id)
        with pytest.raises(SlackApiError) as caught:
            await client.users_info(user=ws.bot_user_id)
        return caught.value

    err = asyncio.run(scenario())
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "60"
    assert err.response["error"] == "ratelimited"


def test_disabling_again_and_reset(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.rate_limits.configure(enabled=True, post_burst=1)
    state.add_channel(ws, "a")
    web.chat_postMessage(channel="#a", text="x")
    state.rate_limits.configure(enabled=False)
    web.chat_postMessage(channel="#a", text="y")
    state.rate_limits.configure(enabled=True)
    state.rate_limits.reset()
    web.chat_postMessage(channel="#a", text="z")
