"""Modals from trigger ids (with expiry on the fake clock) and oauth.v2.access."""

from __future__ import annotations

import base64

import httpx
from slack_sdk import WebClient

from watchkeep.fakeslack import FakeClock, FakeSlackServer, SlackState, Workspace

from slack_asserts import error_code, failure


def modal(title: str = "Declare incident", **extra: object) -> dict[str, object]:
    return {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        **extra,
    }


def test_views_open_answers_the_view(web: WebClient, state: SlackState, ws: Workspace) -> None:
    trigger = state.issue_trigger_id(ws, state.add_user(ws, "ann"))
    view = web.views_open(trigger_id=trigger, view=modal(private_metadata="incident=42"))["view"]
    assert view["id"].startswith("V")
    assert view["root_view_id"] == view["id"]
    assert view["callback_id"] == "declare"
    assert view["private_metadata"] == "incident=42"
    assert view["team_id"] == ws.team_id
    assert view["hash"]
    assert state.views[view["id"]].view["title"]["text"] == "Declare incident"


def test_trigger_ids_expire_after_three_seconds(
    web: WebClient, state: SlackState, ws: Workspace, fake_clock: FakeClock
) -> None:
    fresh, stale = state.issue_trigger_id(ws), state.issue_trigger_id(ws)
    fake_clock.advance(3.0)
    assert web.views_open(trigger_id=fresh, view=modal())["ok"]
    fake_clock.advance(0.001)
    assert error_code(web.views_open, trigger_id=stale, view=modal()) == "expired_trigger_id"


def test_trigger_ids_are_one_time_and_per_workspace(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    trigger = state.issue_trigger_id(ws)
    web.views_open(trigger_id=trigger, view=modal())
    assert error_code(web.views_open, trigger_id=trigger, view=modal()) == "exchanged_trigger_id"
    unknown = error_code(web.views_open, trigger_id="123.456.abc", view=modal())
    assert unknown == "invalid_trigger_id"
    other = state.issue_trigger_id(state.create_workspace("Globex"))
    assert error_code(web.views_open, trigger_id=other, view=modal()) == "invalid_trigger_id"


def test_modal_limits_answer_invalid_arguments(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    err = failure(web.views_open, trigger_id=state.issue_trigger_id(ws), view=modal("t" * 25))
    assert err.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {
            "messages": ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]
        },
    }
    for bad in (modal(blocks=[{"type": "divider"}] * 101), modal(private_metadata="m" * 3001)):
        trigger = state.issue_trigger_id(ws)
        assert error_code(web.views_open, trigger_id=trigger, view=bad) == "invalid_arguments"


def test_views_update_and_hash_conflicts(web: WebClient, state: SlackState, ws: Workspace) -> None:
    trigger = state.issue_trigger_id(ws)
    opened = web.views_open(trigger_id=trigger, view=modal(external_id="inc-42"))["view"]
    view_id, stale_hash = opened["id"], opened["hash"]
    updated = web.views_update(view_id=view_id, hash=stale_hash, view=modal("Declared"))["view"]
    assert updated["title"]["text"] == "Declared"
    assert updated["hash"] != stale_hash
    update = web.views_update
    assert error_code(update, view_id=view_id, hash=stale_hash, view=modal()) == "hash_conflict"
    assert web.views_update(external_id="inc-42", view=modal("Again"))["view"]["id"] == opened["id"]
    assert error_code(web.views_update, view_id="VNOPE", view=modal()) == "not_found"


def test_views_push_stacks_up_to_three(web: WebClient, state: SlackState, ws: Workspace) -> None:
    def from_inside(view: dict[str, str]) -> str:
        return state.issue_trigger_id(ws, view_id=view["id"])

    root = web.views_open(trigger_id=state.issue_trigger_id(ws), view=modal())["view"]
    second = web.views_push(trigger_id=from_inside(root), view=modal("Two"))["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    web.views_push(trigger_id=from_inside(second), view=modal("Three"))
    too_deep = error_code(web.views_push, trigger_id=from_inside(second), view=modal())
    assert too_deep == "push_limit_reached"


def test_oauth_exchange_with_basic_auth(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    ann = state.add_user(ws, "ann")
    redirect_uri = "https://wk.example.com/slack/oauth"
    code = state.create_oauth_code(ws, authed_user=ann, redirect_uri=redirect_uri)
    answer = slack.client().oauth_v2_access(
        client_id=state.client_id,
        client_secret=state.client_secret,
        code=code,
        redirect_uri=redirect_uri,
    )
    assert answer.data.keys() >= {
        "access_token",
        "token_type",
        "scope",
        "bot_user_id",
        "app_id",
        "team",
        "enterprise",
        "authed_user",
    }
    assert "bot_id" not in answer.data
    assert answer["token_type"] == "bot"
    assert answer["team"] == {"id": ws.team_id, "name": "Acme Corp"}
    assert answer["authed_user"] == {"id": ann.id}
    assert answer["bot_user_id"] == ws.bot_user_id
    assert answer["enterprise"] is None
    assert slack.client(answer["access_token"]).auth_test()["bot_id"] == ws.bot_id
    assert state.last_call("oauth.v2.access").params["code"] == code


def test_oauth_errors(slack: FakeSlackServer, state: SlackState, ws: Workspace) -> None:
    client = slack.client()
    code = state.create_oauth_code(ws)

    def exchange(**kwargs: str) -> str:
        args = {"client_id": state.client_id, "client_secret": state.client_secret, "code": code}
        return error_code(client.oauth_v2_access, **(args | kwargs))

    assert exchange(client_id="999.999") == "invalid_client_id"
    assert exchange(client_secret="wrong") == "bad_client_secret"
    assert exchange(code="nope") == "invalid_code"
    client.oauth_v2_access(client_id=state.client_id, client_secret=state.client_secret, code=code)
    assert exchange() == "invalid_code"  # codes are one-time
    pinned = state.create_oauth_code(ws, redirect_uri="https://wk.example.com/slack/oauth")
    wrong = exchange(code=pinned, redirect_uri="https://evil.example.com/")
    assert wrong == "bad_redirect_uri"


def test_oauth_also_accepts_credentials_in_the_form(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    code = state.create_oauth_code(ws)
    form = {"client_id": state.client_id, "client_secret": state.client_secret, "code": code}
    assert httpx.post(slack.url + "oauth.v2.access", data=form).json()["ok"] is True
    basic = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
    again = httpx.post(
        slack.url + "oauth.v2.access",
        data={"code": code},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert again.json() == {"ok": False, "error": "invalid_code"}
