"""conversations.* methods, with pagination, and users.* lookups."""

from __future__ import annotations

import asyncio

from slack_sdk import WebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code, failure


def test_list_paginates_with_cursors(web: WebClient, state: SlackState, ws: Workspace) -> None:
    made = state.add_channels(ws, 450)
    # slack_sdk's iterator reuses one response object, so read each page as it comes.
    pages = [
        (p["channels"], p["response_metadata"]["next_cursor"])
        for p in web.conversations_list(limit=200)
    ]
    assert [len(channels) for channels, _ in pages] == [200, 200, 50]
    assert [c["id"] for channels, _ in pages for c in channels] == [c.id for c in made]
    assert pages[0][1] != ""
    assert pages[-1][1] == ""


def test_list_defaults_to_100_and_caps_at_1000(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channels(ws, 150)
    assert len(web.conversations_list()["channels"]) == 100
    assert len(web.conversations_list(limit=1000)["channels"]) == 150
    assert error_code(web.conversations_list, limit=1001) == "invalid_limit"
    assert error_code(web.conversations_list, cursor="garbage!") == "invalid_cursor"


def test_the_async_client_paginates_with_get(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.add_channels(ws, 5)

    async def names() -> list[str]:
        client, found, cursor = slack.async_client(ws.token), [], None
        while True:
            page = await client.conversations_list(limit=2, cursor=cursor)
            found += [c["name"] for c in page["channels"]]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                return found

    assert asyncio.run(names()) == [f"channel-00{i}" for i in range(1, 6)]
    assert {c.http_method for c in state.calls("conversations.list")} == {"GET"}
    assert len(state.calls("conversations.list")) == 3


def test_list_types_privacy_and_archived(web: WebClient, state: SlackState, ws: Workspace) -> None:
    public = state.add_channel(ws, "public")
    joined = state.add_channel(ws, "joined-private", private=True, bot_member=True)
    state.add_channel(ws, "hidden-private", private=True)
    old = state.add_channel(ws, "old", archived=True)

    def ids(**kwargs: object) -> list[str]:
        return [c["id"] for c in web.conversations_list(**kwargs)["channels"]]

    assert ids() == [public.id, old.id]
    assert ids(types="public_channel,private_channel") == [public.id, joined.id, old.id]
    assert ids(types="private_channel") == [joined.id]
    assert ids(types="public_channel,private_channel", exclude_archived=True) == [
        public.id,
        joined.id,
    ]


def test_info(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "incidents", topic="SEV1", members=[state.add_user(ws, "ann")])
    info = web.conversations_info(channel=ch.id, include_num_members=True)["channel"]
    assert {
        k: info[k] for k in ("id", "name", "is_private", "is_archived", "is_member", "num_members")
    } == {
        "id": ch.id,
        "name": "incidents",
        "is_private": False,
        "is_archived": False,
        "is_member": True,
        "num_members": 2,
    }
    assert info["topic"]["value"] == "SEV1"
    assert error_code(web.conversations_info, channel="CNOPE") == "channel_not_found"


def test_create_and_its_name_rules(web: WebClient, state: SlackState) -> None:
    created = web.conversations_create(name="inc-2024-001_checkout")["channel"]
    assert created["is_member"] is True
    assert state.channel(created["id"]).name == "inc-2024-001_checkout"
    private = web.conversations_create(name="inc-secret", is_private=True)["channel"]
    assert private["is_private"] is True
    for name, expected in [
        ("inc-2024-001_checkout", "name_taken"),
        ("Has Spaces", "invalid_name_specials"),
        ("UPPER", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("---", "invalid_name_punctuation"),
        ("", "invalid_name_required"),
    ]:
        assert error_code(web.conversations_create, name=name) == expected, name
    assert web.conversations_create(name="x" * 80)["ok"]


def test_invite(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "incidents")
    ann, ben = state.add_user(ws, "ann"), state.add_user(ws, "ben")
    answer = web.conversations_invite(channel=ch.id, users=f"{ann.id},{ben.id}")
    assert answer["channel"]["id"] == ch.id
    assert ch.members == [ws.bot_user_id, ann.id, ben.id]
    err = failure(web.conversations_invite, channel=ch.id, users=[ann.id])
    assert err.response["error"] == "already_in_channel"
    assert err.response["errors"] == [{"user": ann.id, "ok": False, "error": "already_in_channel"}]
    assert error_code(web.conversations_invite, channel=ch.id, users="UNOPE") == "user_not_found"
    quiet = state.add_channel(ws, "quiet", bot_member=False)
    outside = error_code(web.conversations_invite, channel=quiet.id, users=[ann.id])
    assert outside == "not_in_channel"


def test_archive(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "inc-1")
    assert web.conversations_archive(channel=ch.id).data == {"ok": True}
    assert ch.is_archived
    assert error_code(web.conversations_archive, channel=ch.id) == "already_archived"
    assert error_code(web.chat_postMessage, channel=ch.id, text="x") == "is_archived"


def test_set_topic(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "inc-1")
    answer = web.conversations_setTopic(channel=ch.id, topic="SEV2: payments")
    assert answer["channel"]["topic"]["value"] == "SEV2: payments"
    assert state.channel("#inc-1").topic == "SEV2: payments"
    assert error_code(web.conversations_setTopic, channel=ch.id, topic="t" * 251) == "too_long"


def test_join(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ch = state.add_channel(ws, "quiet", bot_member=False)
    assert web.conversations_join(channel=ch.id)["channel"]["is_member"] is True
    again = web.conversations_join(channel=ch.id)
    assert again["warning"] == "already_in_channel"
    assert web.chat_postMessage(channel=ch.id, text="hello")["ok"]


def test_users_info_and_lookup_by_email(web: WebClient, state: SlackState, ws: Workspace) -> None:
    ann = state.add_user(
        ws, "ann", email="Ann@Example.com", real_name="Ann Lee", display_name="annie"
    )
    gone = state.add_user(ws, "gone", email="gone@example.com", deleted=True)
    found = web.users_lookupByEmail(email="ann@example.com")["user"]
    assert {k: found[k] for k in ("id", "name", "real_name", "deleted")} == {
        "id": ann.id,
        "name": "ann",
        "real_name": "Ann Lee",
        "deleted": False,
    }
    profile = {"email": "Ann@Example.com", "display_name": "annie", "real_name": "Ann Lee"}
    assert found["profile"].items() >= profile.items()
    assert web.users_info(user=ann.id)["user"] == found
    assert web.users_info(user=gone.id)["user"]["deleted"] is True
    assert error_code(web.users_lookupByEmail, email="gone@example.com") == "users_not_found"
    assert error_code(web.users_lookupByEmail, email="nobody@example.com") == "users_not_found"
    assert error_code(web.users_info, user="UNOPE") == "user_not_found"


def test_email_needs_users_read_email(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    ann = state.add_user(ws, "ann", email="ann@example.com")
    token = state.issue_token(ws, scopes=["users:read"])
    assert "email" not in slack.client(token).users_info(user=ann.id)["user"]["profile"]
