"""conversations.history and conversations.replies, and message metadata read back."""

from __future__ import annotations

from slack_sdk import WebClient

from watchkeep.fakeslack import FakeClock, FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code

MARK = {"event_type": "watchkeep_delivery", "event_payload": {"job_id": "42"}}


def test_history_is_newest_first_with_metadata_only_when_asked(
    web: WebClient, state: SlackState, ws: Workspace, fake_clock: FakeClock
) -> None:
    state.add_channel(ws, "ops")
    first = web.chat_postMessage(channel="#ops", text="one", metadata=MARK)
    fake_clock.advance(1)
    web.chat_postMessage(channel="#ops", text="reply", thread_ts=first["ts"])
    second = web.chat_postMessage(channel="#ops", text="two")
    plain = web.conversations_history(channel=first["channel"])["messages"]
    assert [m["text"] for m in plain] == ["two", "one"], "replies stay in their thread"
    assert "metadata" not in plain[1]
    marked = web.conversations_history(channel=first["channel"], include_all_metadata=True)
    assert marked["messages"][1]["metadata"] == MARK
    window = web.conversations_history(channel=first["channel"], oldest=first["ts"])
    assert [m["ts"] for m in window["messages"]] == [second["ts"]]
    inclusive = web.conversations_history(
        channel=first["channel"], oldest=first["ts"], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["two", "one"]


def test_history_pages_and_replies_read_a_thread_oldest_first(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    channel = state.add_channel(ws, "ops")
    parent = web.chat_postMessage(channel="#ops", text="parent")
    for n in range(3):
        web.chat_postMessage(channel="#ops", text=f"r{n}", thread_ts=parent["ts"], metadata=MARK)
    for n in range(4):
        web.chat_postMessage(channel="#ops", text=f"m{n}")
    page = web.conversations_history(channel=channel.id, limit=3)
    assert (len(page["messages"]), page["has_more"]) == (3, True)
    rest = web.conversations_history(
        channel=channel.id, limit=3, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["m0", "parent"]
    assert rest["response_metadata"]["next_cursor"] == ""
    thread = web.conversations_replies(
        channel=channel.id, ts=parent["ts"], include_all_metadata=True
    )
    assert [m["text"] for m in thread["messages"]] == ["parent", "r0", "r1", "r2"]
    assert thread["messages"][1]["metadata"] == MARK
    assert error_code(web.conversations_replies, channel=channel.id, ts="1.000000") == (
        "thread_not_found"
    )


def test_reading_history_needs_the_history_scope_of_the_channel_kind(
    state: SlackState, ws: Workspace, slack: FakeSlackServer
) -> None:
    state.add_channel(ws, "ops")
    state.add_channel(ws, "secret", private=True, bot_member=True)
    token = state.issue_token(ws, scopes=["chat:write", "channels:history"])
    web = slack.client(token)
    assert web.conversations_history(channel="#ops")["ok"] is True
    assert error_code(web.conversations_history, channel="#secret") == "missing_scope"
    bad = "{not json"
    assert error_code(web.chat_postMessage, channel="#ops", text="x", metadata=bad) == (
        "invalid_metadata_format"
    )
