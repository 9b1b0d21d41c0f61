"""chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeClock, FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code

NO_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"


@pytest.mark.parametrize("ref", ["#incidents", "incidents", "ID"])
def test_post_by_name_or_id_answers_the_channel_id(
    web: WebClient, state: SlackState, ws: Workspace, ref: str
) -> None:
    ch = state.add_channel(ws, "incidents")
    answer = web.chat_postMessage(channel=ch.id if ref == "ID" else ref, text="SEV1 declared")
    assert answer["channel"] == ch.id
    assert answer["ts"] == "1700000000.000000"
    assert answer["message"]["text"] == "SEV1 declared"
    assert answer["message"]["bot_id"] == ws.bot_id
    assert answer["message"]["user"] == ws.bot_user_id
    assert [m.text for m in state.messages_in("#incidents")] == ["SEV1 declared"]


def test_ts_is_strictly_increasing_per_channel(
    web: WebClient, state: SlackState, ws: Workspace, fake_clock: FakeClock
) -> None:
    state.add_channel(ws, "incidents")
    first = web.chat_postMessage(channel="#incidents", text="a")["ts"]
    second = web.chat_postMessage(channel="#incidents", text="b")["ts"]
    fake_clock.advance(1.5)
    third = web.chat_postMessage(channel="#incidents", text="c")["ts"]
    assert (first, second, third) == ("1700000000.000000", "1700000000.000001", "1700000001.500000")


def test_thread_replies_stay_out_of_the_channel_view(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    parent = web.chat_postMessage(channel="#incidents", text="SEV1")["ts"]
    reply = web.chat_postMessage(channel="#incidents", text="update 1", thread_ts=parent)
    web.chat_postMessage(
        channel="#incidents", text="resolved", thread_ts=parent, reply_broadcast=True
    )
    assert reply["message"]["thread_ts"] == parent
    assert [m.text for m in state.thread("#incidents", parent)] == ["SEV1", "update 1", "resolved"]
    assert [m.text for m in state.messages_in("#incidents")] == ["SEV1", "resolved"]
    assert state.message("#incidents", parent).reply_count == 2


def test_a_reply_to_a_reply_joins_the_root_thread(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    root = web.chat_postMessage(channel="#incidents", text="root")["ts"]
    child = web.chat_postMessage(channel="#incidents", text="r1", thread_ts=root)["ts"]
    grandchild = web.chat_postMessage(channel="#incidents", text="r2", thread_ts=child)
    assert grandchild["message"]["thread_ts"] == root


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_post_errors(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.add_channel(ws, "incidents")
    state.add_channel(ws, "quiet", bot_member=False)
    state.add_channel(ws, "old", archived=True)
    state.add_channel(ws, "secret", private=True)  # bot not a member: invisible
    post = web.chat_postMessage
    assert error_code(post, channel="#nope", text="x") == "channel_not_found"
    assert error_code(post, channel="#secret", text="x") == "channel_not_found"
    assert error_code(post, channel="#quiet", text="x") == "not_in_channel"
    assert error_code(post, channel="#old", text="x") == "is_archived"
    assert error_code(post, channel="#incidents") == "no_text"
    assert error_code(post, channel="#incidents", text="  ") == "no_text"
    assert error_code(post, channel="#incidents", text="x" * 40_001) == "msg_too_long"
    assert post(channel="#incidents", text="x" * 40_000)["ok"]


def test_membership_is_configurable_per_channel(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    ch = state.add_channel(ws, "quiet", bot_member=False)
    assert error_code(web.chat_postMessage, channel=ch.id, text="x") == "not_in_channel"
    state.set_bot_member(ch, True)
    assert web.chat_postMessage(channel=ch.id, text="x")["ok"]


def test_chat_write_public_posts_without_membership(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "quiet", bot_member=False)
    token = state.issue_token(ws, scopes=["chat:write", "chat:write.public"])
    assert slack.client(token).chat_postMessage(channel="#quiet", text="x")["ok"]


def test_posting_to_a_user_id_opens_a_dm(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ann = state.add_user(ws, "ann")
    first = web.chat_postMessage(channel=ann.id, text="You are on call")
    second = web.chat_postMessage(channel=ann.id, text="Still on call")
    assert first["channel"].startswith("D")
    assert second["channel"] == first["channel"]
    assert [m.text for m in state.messages_in(first["channel"])] == [
        "You are on call",
        "Still on call",
    ]


def test_attachments_carry_blocks_and_get_ids(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    answer = web.chat_postMessage(
        channel="#incidents",
        text="fallback",
        attachments=[{"color": "#ff0000", "blocks": [{"type": "divider"}]}],
    )
    assert answer["message"]["attachments"] == [
        {"id": 1, "color": "#ff0000", "blocks": [{"type": "divider"}]}
    ]


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_update_replaces_and_keeps_history(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    ch = state.add_channel(ws, "incidents")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV1*"}}]
    ts = web.chat_postMessage(channel=ch.id, text="SEV1 open", blocks=blocks)["ts"]
    answer = web.chat_update(channel=ch.id, ts=ts, text="SEV1 resolved")
    assert answer["channel"] == ch.id
    assert answer["ts"] == ts
    assert answer["text"] == "SEV1 resolved"
    assert answer["message"]["blocks"] == blocks  # left out, so kept
    msg = state.message(ch, ts)
    assert msg.edited is not None
    assert [v["text"] for v in msg.history] == ["SEV1 open"]
    web.chat_update(channel=ch.id, ts=ts, blocks=[])
    assert state.message(ch, ts).blocks is None


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_update_errors(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "incidents")
    human = state.post_as_user(ch, state.add_user(ws, "ann"), "hello")
    ts = web.chat_postMessage(channel=ch.id, text="x")["ts"]
    update = web.chat_update
    assert error_code(update, channel=ch.id, ts="1.000000", text="y") == "message_not_found"
    assert error_code(update, channel=ch.id, ts=human.ts, text="y") == "cant_update_message"
    assert error_code(update, channel="CNOPE", ts=ts, text="y") == "channel_not_found"
    assert error_code(update, channel=ch.id, ts=ts) == "no_text"


def test_post_ephemeral(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ann, ben = state.add_user(ws, "ann"), state.add_user(ws, "ben")
    ch = state.add_channel(ws, "incidents", members=[ann])
    answer = web.chat_postEphemeral(channel=ch.id, user=ann.id, text="only you")
    assert set(answer.data) == {"ok", "message_ts"}
    assert [(e.user, e.text) for e in state.ephemerals] == [(ann.id, "only you")]
    assert state.messages_in(ch) == []
    whisper = web.chat_postEphemeral
    assert error_code(whisper, channel=ch.id, user=ben.id, text="x") == "user_not_in_channel"
    assert error_code(whisper, channel=ch.id, user="UNOPE", text="x") == "user_not_found"


def test_get_permalink(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "incidents")
    ts = web.chat_postMessage(channel=ch.id, text="x")["ts"]
    reply = web.chat_postMessage(channel=ch.id, text="y", thread_ts=ts)["ts"]
    link = web.chat_getPermalink(channel=ch.id, message_ts=ts)
    assert link.data == {
        "ok": True,
        "channel": ch.id,
        "permalink": f"https://acmecorp.slack.com/archives/{ch.id}/p{ts.replace('.', '')}",
    }
    assert web.chat_getPermalink(channel=ch.id, message_ts=reply)["permalink"].endswith(
        f"?thread_ts={ts}&cid={ch.id}"
    )
    missing = error_code(web.chat_getPermalink, channel=ch.id, message_ts="1.000000")
    assert missing == "message_not_found"
