"""Authentication, request parsing (JSON, form, GET) and workspace isolation."""

from __future__ import annotations

import asyncio
import json

import httpx
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code, failure


def test_auth_test_answers_the_bots_identity(web: WebClient, ws: Workspace) -> None:
    answer = web.auth_test()
    assert answer.status_code == 200
    assert answer.data == {
        "ok": True,
        "url": "https://acmecorp.slack.com/",
        "team": "Acme Corp",
        "user": "watchkeep",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def test_an_unknown_token_is_invalid_auth_with_http_200(
    slack: FakeSlackServer, ws: Workspace
) -> None:
    err = failure(slack.client("xoxb-not-a-real-token").auth_test)
    assert err.response.status_code == 200
    assert err.response.data == {"ok": False, "error": "invalid_auth"}


def test_no_token_is_not_authed(slack: FakeSlackServer) -> None:
    assert error_code(slack.client().auth_test) == "not_authed"


def test_a_revoked_token_is_token_revoked(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.revoke_token(ws.token)
    assert error_code(slack.client(ws.token).auth_test) == "token_revoked"


def test_a_deactivated_workspace_is_account_inactive(slack: FakeSlackServer, ws: Workspace) -> None:
    ws.active = False
    assert error_code(slack.client(ws.token).auth_test) == "account_inactive"


def test_a_per_call_token_overrides_the_clients(slack: FakeSlackServer, ws: Workspace) -> None:
    assert slack.client().auth_test(token=ws.token)["team_id"] == ws.team_id


def test_a_missing_scope_names_what_was_needed(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    token = state.issue_token(ws, scopes=["channels:read"])
    err = failure(slack.client(token).chat_postMessage, channel="#general", text="hi")
    assert err.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "chat:write",
        "provided": "channels:read",
    }


def test_an_unknown_method_is_named_back(web: WebClient) -> None:
    err = failure(web.api_call, "foo.bar")
    assert err.response.status_code == 200
    assert err.response.data == {"ok": False, "error": "unknown_method", "req_method": "foo.bar"}


def test_api_test_needs_no_token(slack: FakeSlackServer) -> None:
    assert slack.client().api_test(foo="bar").data == {"ok": True, "args": {"foo": "bar"}}


def test_form_bodies_decode_json_valued_arguments(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    blocks = [{"type": "divider"}]
    answer = httpx.post(
        slack.url + "chat.postMessage",
        data={"token": ws.token, "channel": "incidents", "text": "t", "blocks": json.dumps(blocks)},
    ).json()
    assert answer["ok"] is True
    assert state.messages_in("#incidents")[0].blocks == blocks
    assert state.last_call().params == {"channel": "incidents", "text": "t", "blocks": blocks}
    assert state.last_call().token == ws.token


def test_form_blocks_that_are_not_json_are_invalid_blocks_format(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    answer = httpx.post(
        slack.url + "chat.postMessage",
        headers={"Authorization": f"Bearer {ws.token}"},
        data={"channel": "incidents", "blocks": "[{not json"},
    ).json()
    assert answer == {"ok": False, "error": "invalid_blocks_format"}


def test_sync_client_posts_json_for_chat_and_form_with_comma_lists_for_invite(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    ch = state.add_channel(ws, "incidents")
    a, b = state.add_user(ws, "ann"), state.add_user(ws, "ben")
    web.chat_postMessage(channel=ch.id, text="hi")
    web.conversations_invite(channel=ch.id, users=[a.id, b.id])
    assert state.last_call("conversations.invite").params == {
        "channel": ch.id,
        "users": f"{a.id},{b.id}",
    }
    assert ch.members[-2:] == [a.id, b.id]


def test_get_query_strings_are_parsed(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    user = state.add_user(ws, "ann", email="ann@example.com")
    answer = httpx.get(
        slack.url + "users.lookupByEmail",
        params={"email": "ann@example.com"},
        headers={"Authorization": f"Bearer {ws.token}"},
    ).json()
    assert answer["user"]["id"] == user.id
    assert state.last_call().http_method == "GET"


def test_the_async_client_gets_read_methods(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    ch = state.add_channel(ws, "incidents")
    user = state.add_user(ws, "ann", email="ann@example.com")

    async def scenario() -> None:
        client = slack.async_client(ws.token)
        assert (await client.conversations_info(channel=ch.id))["channel"]["name"] == "incidents"
        assert (await client.users_info(user=user.id))["user"]["name"] == "ann"
        assert (await client.users_lookupByEmail(email="ann@example.com"))["user"]["id"] == user.id
        assert (await client.chat_postMessage(channel=ch.id, text="hi"))["ok"]

    asyncio.run(scenario())
    assert [(c.method, c.http_method) for c in state.calls()] == [
        ("conversations.info", "GET"),
        ("users.info", "GET"),
        ("users.lookupByEmail", "GET"),
        ("chat.postMessage", "POST"),
    ]


def test_a_token_inside_a_json_body_is_ignored_as_slack_does(
    slack: FakeSlackServer, ws: Workspace
) -> None:
    answer = httpx.post(slack.url + "auth.test", json={"token": ws.token}).json()
    assert answer == {"ok": False, "error": "not_authed"}


def test_malformed_json_bodies_are_refused(slack: FakeSlackServer, ws: Workspace) -> None:
    headers = {"Authorization": f"Bearer {ws.token}", "Content-Type": "application/json"}
    assert httpx.post(slack.url + "auth.test", headers=headers, content=b"{nope").json() == {
        "ok": False,
        "error": "invalid_json",
    }
    not_an_object = httpx.post(slack.url + "auth.test", headers=headers, content=b"[1]")
    assert not_an_object.json() == {"ok": False, "error": "json_not_object"}


def test_workspaces_are_isolated(slack: FakeSlackServer, state: SlackState, ws: Workspace) -> None:
    other = state.create_workspace("Globex")
    mine = state.add_channel(ws, "incidents")
    theirs = state.add_channel(other, "incidents")
    state.add_user(other, "gus", email="gus@globex.example")
    client = slack.client(ws.token)

    assert client.auth_test()["team_id"] == ws.team_id
    assert slack.client(other.token).auth_test()["team_id"] == other.team_id
    assert client.chat_postMessage(channel="#incidents", text="ours")["channel"] == mine.id
    assert error_code(client.chat_postMessage, channel=theirs.id, text="x") == "channel_not_found"
    assert error_code(client.users_lookupByEmail, email="gus@globex.example") == "users_not_found"
    assert [c["id"] for c in client.conversations_list()["channels"]] == [mine.id]
    assert state.messages_in(theirs) == []
    assert [c.team_id for c in state.calls("chat.postMessage")] == [ws.team_id, ws.team_id]
    assert len(state.calls(team=other)) == 1
