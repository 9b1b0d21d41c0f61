"""usergroups.* and conversations.open on the fake, through the real slack_sdk client."""

from __future__ import annotations

from slack_sdk import WebClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code


def test_a_group_is_created_filled_and_listed(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    alice = state.add_user(ws, "alice")
    bob = state.add_user(ws, "bob")
    made = web.usergroups_create(name="Payments on call", handle="payments-oncall")["usergroup"]
    assert (made["handle"], made["users"], made["date_delete"]) == ("payments-oncall", [], 0)
    web.usergroups_users_update(usergroup=made["id"], users=[alice.id])
    web.usergroups_users_update(usergroup=made["id"], users=[bob.id])
    [listed] = web.usergroups_list(include_users=True)["usergroups"]
    assert listed["users"] == [bob.id]
    assert state.usergroups[made["id"]].history == [[alice.id], [bob.id]]


def test_group_errors_are_slacks(web: WebClient, state: SlackState, ws: Workspace) -> None:
    group = web.usergroups_create(name="Ops", handle="ops")["usergroup"]
    assert error_code(web.usergroups_create, name="Ops", handle="ops2") == "name_already_exists"
    assert error_code(web.usergroups_create, name="Ops 2", handle="ops") == "handle_already_exists"
    assert error_code(web.usergroups_create, name="Bad", handle="Bad Handle") == "invalid_handle"
    assert error_code(web.usergroups_users_update, usergroup=group["id"], users=[]) == (
        "no_users_provided"
    )
    assert error_code(web.usergroups_users_update, usergroup=group["id"], users=["U0NOBODY"]) == (
        "invalid_users"
    )
    assert error_code(web.usergroups_users_update, usergroup="S0MISSING", users=["U1"]) == (
        "no_such_subteam"
    )
    web.usergroups_disable(usergroup=group["id"])
    assert web.usergroups_list()["usergroups"] == []
    assert len(web.usergroups_list(include_disabled=True)["usergroups"]) == 1
    web.usergroups_enable(usergroup=group["id"])
    assert len(web.usergroups_list()["usergroups"]) == 1


def test_groups_need_a_paid_plan_and_the_scopes(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    ws.plan = "free"
    assert error_code(slack.client(ws.token).usergroups_list) == "paid_teams_only"
    ws.plan = "pro"
    reader = slack.client(state.issue_token(ws, ["usergroups:read"]))
    assert reader.usergroups_list()["usergroups"] == []
    assert error_code(reader.usergroups_create, name="X", handle="x") == "missing_scope"


def test_conversations_open_gives_the_dm_that_posts_land_in(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    alice = state.add_user(ws, "alice")
    dm = web.conversations_open(users=alice.id)["channel"]["id"]
    assert web.conversations_open(users=[alice.id])["channel"]["id"] == dm
    posted = web.chat_postMessage(channel=alice.id, text="paged")
    assert posted["channel"] == dm
    web.chat_update(channel=dm, ts=posted["ts"], text="acknowledged")
    history = web.conversations_history(channel=dm)["messages"]
    assert [m["text"] for m in history] == ["acknowledged"]
    assert error_code(web.conversations_open, users="U0NOBODY") == "user_not_found"
    assert error_code(web.api_call, "conversations.open") == "users_list_not_supplied"
