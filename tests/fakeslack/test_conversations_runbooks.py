"""The conversations.* methods runbooks use, with Slack's documented errors and tiers:
setPurpose, setTopic's 250 characters, invite's force and per-user errors, archive,
and history returning a message's metadata only when asked."""

from __future__ import annotations

from slack_sdk import WebClient

from watchkeep.fakeslack import SlackState, Workspace

from slack_asserts import error_code, failure


def test_purpose_and_topic_up_to_250_characters(web: WebClient, state: SlackState) -> None:
    room = web.conversations_create(name="inc-1")["channel"]
    assert web.conversations_setPurpose(channel=room["id"], purpose="Why we are here")[
        "purpose"
    ] == ("Why we are here")
    web.conversations_setTopic(channel=room["id"], topic="t" * 250)
    assert state.channel(room["id"]).purpose == "Why we are here"
    assert state.channel(room["id"]).topic == "t" * 250
    assert error_code(web.conversations_setTopic, channel=room["id"], topic="t" * 251) == "too_long"
    assert error_code(web.conversations_setPurpose, channel=room["id"], purpose="p" * 251) == (
        "too_long"
    )


def test_invite_errors_and_force(web: WebClient, state: SlackState, ws: Workspace) -> None:
    room = web.conversations_create(name="inc-2")["channel"]["id"]
    ann, gone = state.add_user(ws, "ann"), state.add_user(ws, "gone", deleted=True)
    assert error_code(web.conversations_invite, channel=room, users=[ws.bot_user_id]) == (
        "cant_invite_self"
    )
    assert error_code(web.conversations_invite, channel=room, users=[gone.id]) == "user_not_found"
    web.conversations_invite(channel=room, users=[ann.id])
    assert (
        error_code(web.conversations_invite, channel=room, users=[ann.id]) == "already_in_channel"
    )
    bea = state.add_user(ws, "bea")
    forced = web.conversations_invite(channel=room, users=[ann.id, bea.id], force=True)
    assert forced["errors"] == [{"user": ann.id, "ok": False, "error": "already_in_channel"}]
    assert state.channel(room).members == [ws.bot_user_id, ann.id, bea.id]


def test_not_in_channel_and_archived(web: WebClient, state: SlackState, ws: Workspace) -> None:
    outside = state.add_channel(ws, "outside", bot_member=False)
    ann = state.add_user(ws, "ann")
    assert error_code(web.conversations_invite, channel=outside.id, users=[ann.id]) == (
        "not_in_channel"
    )
    assert error_code(web.conversations_archive, channel=outside.id) == "not_in_channel"
    room = web.conversations_create(name="inc-3")["channel"]["id"]
    web.conversations_archive(channel=room)
    assert error_code(web.conversations_archive, channel=room) == "already_archived"
    assert error_code(web.conversations_invite, channel=room, users=[ann.id]) == "is_archived"
    assert error_code(web.conversations_setTopic, channel=room, topic="x") == "is_archived"


def test_history_shows_metadata_only_when_asked(web: WebClient, state: SlackState) -> None:
    room = web.conversations_create(name="inc-4")["channel"]["id"]
    metadata = {"event_type": "watchkeep_runbook_step", "event_payload": {"run_id": 1}}
    posted = web.chat_postMessage(channel=room, text="hello", metadata=metadata)
    web.chat_postMessage(channel=room, text="reply", thread_ts=posted["ts"])
    plain = web.conversations_history(channel=room)["messages"]
    assert [(m["text"], "metadata" in m) for m in plain] == [("hello", False)]
    [found] = web.conversations_history(channel=room, include_all_metadata=True)["messages"]
    assert found["metadata"] == metadata
    assert (
        error_code(web.chat_postMessage, channel=room, text="x", metadata={"event_type": "x"})
        == "invalid_metadata_schema"
    )


def test_set_purpose_is_tier_2(web: WebClient, state: SlackState) -> None:
    room = web.conversations_create(name="inc-5")["channel"]["id"]
    state.rate_limits.configure(enabled=True)
    for n in range(20):
        web.conversations_setPurpose(channel=room, purpose=f"p{n}")
    refused = failure(web.conversations_setPurpose, channel=room, purpose="one too many")
    assert refused.response.status_code == 429
