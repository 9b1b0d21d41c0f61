"""pins.add, reactions.add and views.publish as Slack answers them, and the Events API
deliveries the user agent makes of people's pins, reactions and Home tab visits."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient

from watchkeep.fakeslack import (
    DEFAULT_SCOPES,
    FakeSlackServer,
    ImpossibleInteraction,
    Reply,
    SignedRequest,
    SlackState,
    Workspace,
)
from watchkeep.fakeslack.methods.pins import pinned

from slack_asserts import error_code


@pytest.fixture
def marker(slack: FakeSlackServer, state: SlackState, ws: Workspace) -> WebClient:
    """A bot token that may pin and react (Watchkeep itself only reads both)."""
    return slack.client(state.issue_token(ws, DEFAULT_SCOPES | {"pins:write", "reactions:write"}))


HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


def test_pins_add_pins_once(
    web: WebClient, marker: WebClient, state: SlackState, ws: Workspace
) -> None:
    channel = state.add_channel(ws, "ops")
    posted = web.chat_postMessage(channel="#ops", text="root cause")
    assert error_code(lambda: web.pins_add(channel=channel.id, timestamp=posted["ts"])) == (
        "missing_scope"
    )
    assert marker.pins_add(channel=channel.id, timestamp=posted["ts"])["ok"]
    assert [m.ts for m in pinned(state, channel.id)] == [posted["ts"]]
    assert error_code(lambda: marker.pins_add(channel=channel.id, timestamp=posted["ts"])) == (
        "already_pinned"
    )
    assert error_code(lambda: marker.pins_add(channel=channel.id, timestamp="1.000001")) == (
        "message_not_found"
    )
    assert error_code(lambda: marker.pins_add(channel=channel.id)) == "no_item_specified"


def test_reactions_add_names_without_colons(
    web: WebClient, marker: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "ops")
    posted = web.chat_postMessage(channel="#ops", text="root cause")
    marker.reactions_add(channel=posted["channel"], timestamp=posted["ts"], name=":pushpin:")
    assert error_code(
        lambda: marker.reactions_add(
            channel=posted["channel"], timestamp=posted["ts"], name="pushpin"
        )
    ) == ("already_reacted")
    assert error_code(
        lambda: marker.reactions_add(channel=posted["channel"], timestamp=posted["ts"], name="a b")
    ) == ("invalid_name")
    [shown] = web.conversations_history(channel=posted["channel"])["messages"]
    assert shown["reactions"] == [{"name": "pushpin", "users": [ws.bot_user_id], "count": 1}]


def test_views_publish_keeps_one_home_per_user(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    ann = state.add_user(ws, "ann")
    first = web.views_publish(user_id=ann.id, view=HOME)["view"]
    assert first["type"] == "home"
    again = web.views_publish(user_id=ann.id, view={**HOME, "blocks": []}, hash=first["hash"])
    assert again["view"]["id"] == first["id"]
    assert state.home_view(ann).view["blocks"] == []
    stale = lambda: web.views_publish(user_id=ann.id, view=HOME, hash=first["hash"])  # noqa: E731
    assert error_code(stale) == "hash_conflict"
    assert error_code(lambda: web.views_publish(user_id="U404", view=HOME)) == "invalid_arguments"
    modal = {**HOME, "type": "modal"}
    assert error_code(lambda: web.views_publish(user_id=ann.id, view=modal)) == "invalid_arguments"
    ws.home_tab = False
    assert error_code(lambda: web.views_publish(user_id=ann.id, view=HOME)) == "not_enabled"


def test_an_event_is_signed_json_and_retried_until_a_2xx(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    seen: list[SignedRequest] = []

    def send(request: SignedRequest) -> Reply:
        seen.append(request)
        return Reply(200 if len(seen) == 3 else 503)

    agent = slack.user_agent(send)
    ann = state.add_user(ws, "ann")
    state.add_channel(ws, "ops")
    posted = state.post_as_user("#ops", ann, "root cause")
    delivery = agent.react(posted, "pushpin", ann)
    assert [r.status for r in delivery.replies] == [503, 503, 200]
    assert [r.headers.get("X-Slack-Retry-Num") for r in seen] == [None, "1", "2"]
    assert seen[1].headers["X-Slack-Retry-Reason"] == "http_error"
    assert seen[0].headers["Content-Type"] == "application/json"
    assert seen[0].path == "/api/slack/events"
    envelope = json.loads(seen[2].body)
    assert envelope == json.loads(seen[0].body), "a retry is the same event"
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == ws.team_id
    assert envelope["event"]["item"] == {
        "type": "message",
        "channel": posted.channel,
        "ts": posted.ts,
    }
    assert envelope["authorizations"][0]["user_id"] == ws.bot_user_id


def test_people_only_pin_where_they_can_see(
    slack: FakeSlackServer, state: SlackState, ws: Workspace
) -> None:
    agent = slack.user_agent(lambda request: Reply(200))
    ann, bea = state.add_user(ws, "ann"), state.add_user(ws, "bea")
    secret = state.add_channel(ws, "secret", private=True, members=[ann])
    posted = state.post_as_user(secret, ann, "hush")
    with pytest.raises(ImpossibleInteraction):
        agent.pin(posted, bea)
    agent.pin(posted, ann)
    pin = agent.deliveries[-1].envelope["event"]
    assert pin["type"] == "pin_added"
    assert pin["item"]["message"]["text"] == "hush"
    assert pin["item"]["message"]["permalink"].endswith(f"/p{posted.ts.replace('.', '')}")
