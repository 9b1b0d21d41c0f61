"""The user agent: what Slack sends an app when a person presses, submits, types."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from watchkeep.fakeslack import (
    FakeClock,
    FakeSlackServer,
    ImpossibleInteraction,
    Reply,
    SignedRequest,
    SlackState,
    SlackUserAgent,
    User,
    Workspace,
    http_sender,
)

BUTTON = {
    "type": "button",
    "action_id": "ack",
    "text": {"type": "plain_text", "text": "Acknowledge"},
    "value": "incident-7",
    "style": "primary",
}
MENU = {
    "type": "static_select",
    "action_id": "snooze",
    "placeholder": {"type": "plain_text", "text": "Snooze"},
    "options": [
        {"text": {"type": "plain_text", "text": "1 hour"}, "value": "60"},
        {"text": {"type": "plain_text", "text": "1 day"}, "value": "1440"},
    ],
}
OVERFLOW = {
    "type": "overflow",
    "action_id": "more",
    "options": [{"text": {"type": "plain_text", "text": "Mute"}, "value": "mute"}],
}


class Recorder:
    """A stand-in app: keeps what it was sent, answers `reply`."""

    def __init__(self) -> None:
        self.sent: list[SignedRequest] = []
        self.reply = Reply(200)

    def __call__(self, request: SignedRequest) -> Reply:
        self.sent.append(request)
        return self.reply

    def payload(self) -> dict[str, Any]:
        return json.loads(dict(parse_qsl(self.sent[-1].body))["payload"])


@pytest.fixture
def app() -> Recorder:
    return Recorder()


@pytest.fixture
def agent(slack: FakeSlackServer, app: Recorder) -> SlackUserAgent:
    return slack.user_agent(app)


@pytest.fixture
def ada(state: SlackState, ws: Workspace) -> User:
    return state.add_user(ws, "ada", email="ada@example.com")


def actions(*elements: dict[str, Any], block_id: str = "incident:7") -> list[dict[str, Any]]:
    return [{"type": "actions", "block_id": block_id, "elements": list(elements)}]


def test_a_click_carries_the_elements_own_fields_and_the_whole_message(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
    fake_clock: FakeClock,
) -> None:
    channel = state.add_channel(ws, "incidents", members=[ada])
    posted = web.chat_postMessage(channel="#incidents", text="x", blocks=actions(BUTTON, MENU))
    message = state.message(channel, posted["ts"])
    fake_clock.advance(2)
    agent.click(message, "Acknowledge", ada)
    payload = app.payload()
    assert payload["type"] == "block_actions"
    assert payload["actions"] == [
        {
            "type": "button",
            "block_id": "incident:7",
            "action_id": "ack",
            "text": BUTTON["text"],
            "value": "incident-7",
            "style": "primary",
            "action_ts": f"{fake_clock.now():.6f}",
        }
    ]
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": channel.id,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": channel.id, "name": "incidents"}
    assert payload["message"] == message.to_api()
    assert payload["user"] == {
        "id": ada.id,
        "username": "ada",
        "name": "ada",
        "team_id": ws.team_id,
    }
    assert payload["team"] == {"id": ws.team_id, "domain": ws.domain}
    assert payload["api_app_id"] == ws.app_id
    assert payload["response_url"].startswith(agent.requests.slack_url + "/actions/")
    assert payload["trigger_id"] in state.triggers


def test_the_signature_is_slacks_at_the_fakes_clock(
    agent: SlackUserAgent, app: Recorder, state: SlackState, ws: Workspace, ada: User
) -> None:
    agent.shortcut("create_incident", ada)
    [request] = app.sent
    assert request.path == "/api/slack/actions"
    assert request.headers["X-Slack-Request-Timestamp"] == str(int(state.clock.now()))
    verifier = SignatureVerifier(state.signing_secret, clock=state.clock)
    assert verifier.is_valid_request(request.body, request.headers)
    assert not SignatureVerifier("other", clock=state.clock).is_valid_request(
        request.body, request.headers
    )


def test_menus_report_the_chosen_option_and_refuse_one_they_do_not_offer(
    agent: SlackUserAgent, app: Recorder, state: SlackState, ws: Workspace, ada: User
) -> None:
    channel = state.add_channel(ws, "ops")
    message = state.post_as_user(channel, ada, "menus")
    message.blocks = actions(MENU, OVERFLOW)
    agent.click(message, "Snooze", ada, option="1 day")
    [chosen] = app.payload()["actions"]
    assert (chosen["type"], chosen["selected_option"]) == (
        "static_select",
        {"text": {"type": "plain_text", "text": "1 day"}, "value": "1440"},
    )
    agent.click(message, "more", ada, option="mute")
    assert app.payload()["actions"][0]["selected_option"]["value"] == "mute"
    for target, option in (("Snooze", "1 week"), ("Snooze", None), ("Resolve", None)):
        with pytest.raises(ImpossibleInteraction):
            agent.click(message, target, ada, option=option)
    assert len(app.sent) == 2


def test_blocks_in_an_attachment_name_it_in_the_container(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
) -> None:
    state.add_channel(ws, "incidents")
    posted = web.chat_postMessage(
        channel="#incidents",
        text="x",
        attachments=[{"color": "#E01E5A", "blocks": actions(BUTTON)}],
    )
    message = state.message("#incidents", posted["ts"])
    agent.click(message, "ack", ada)
    container = app.payload()["container"]
    assert (container["type"], container["attachment_id"]) == ("message_attachment", 1)


def test_thread_replies_dms_and_ephemerals_can_be_clicked_by_who_sees_them(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
) -> None:
    bob = state.add_user(ws, "bob")
    state.add_channel(ws, "incidents", members=[ada, bob])
    parent = web.chat_postMessage(channel="#incidents", text="parent")["ts"]
    web.chat_postMessage(channel="#incidents", thread_ts=parent, text="r", blocks=actions(BUTTON))
    [_, reply] = state.thread("#incidents", parent)
    agent.click(reply, "ack", bob)
    assert app.payload()["message"]["thread_ts"] == parent

    dm = web.chat_postMessage(channel=ada.id, text="dm", blocks=actions(BUTTON))
    direct = state.message(dm["channel"], dm["ts"])
    agent.click(direct, "ack", ada)
    assert app.payload()["channel"]["name"] == "directmessage"
    with pytest.raises(ImpossibleInteraction):
        agent.click(direct, "ack", bob)

    web.chat_postEphemeral(channel="#incidents", user=ada.id, text="e", blocks=actions(BUTTON))
    [ephemeral] = state.ephemerals
    agent.click(ephemeral, "ack", ada)
    payload = app.payload()
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload
    with pytest.raises(ImpossibleInteraction):
        agent.click(ephemeral, "ack", bob)


def test_blocks_without_ids_get_slacks_own(
    agent: SlackUserAgent, app: Recorder, state: SlackState, ws: Workspace, ada: User
) -> None:
    message = state.post_as_user(state.add_channel(ws, "ops"), ada, "bare")
    button = {k: v for k, v in BUTTON.items() if k != "action_id"}
    message.blocks = [{"type": "actions", "elements": [button]}]
    agent.click(message, "Acknowledge", ada)
    agent.click(message, "Acknowledge", ada)
    first, second = (json.loads(dict(parse_qsl(r.body))["payload"]) for r in app.sent)
    assert first["actions"][0]["block_id"] == second["actions"][0]["block_id"]
    assert first["message"]["blocks"][0]["block_id"] == first["actions"][0]["block_id"]
    assert len(first["actions"][0]["action_id"]) == 5


MODAL = {
    "type": "modal",
    "callback_id": "create",
    "title": {"type": "plain_text", "text": "Create"},
    "submit": {"type": "plain_text", "text": "Create"},
    "private_metadata": '{"from": "test"}',
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "urgency",
            "label": {"type": "plain_text", "text": "Urgency"},
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": MENU["options"],
                "initial_option": MENU["options"][0],
            },
        },
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
    ],
}


def opened(state: SlackState, ws: Workspace, web: WebClient, user: User):
    trigger = state.issue_trigger_id(ws, user)
    view_id = web.views_open(trigger_id=trigger, view=MODAL)["view"]["id"]
    return state.views[view_id]


def test_a_submission_carries_the_modals_inputs_filled_in(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
) -> None:
    modal = opened(state, ws, web, ada)
    agent.submit(modal, ada, {"title": "Queue stuck", "choice": "1 day"})
    payload = app.payload()
    assert payload["type"] == "view_submission"
    view = payload["view"]
    assert (view["id"], view["callback_id"], view["hash"]) == (modal.id, "create", modal.hash)
    assert view["private_metadata"] == '{"from": "test"}'
    assert view["state"]["values"] == {
        "title": {"value": {"type": "plain_text_input", "value": "Queue stuck"}},
        "urgency": {"choice": {"type": "static_select", "selected_option": MENU["options"][1]}},
        "note": {"value": {"type": "plain_text_input", "value": None}},
    }
    assert modal.closed, "an empty 200 closes the modal"
    with pytest.raises(ImpossibleInteraction):
        agent.submit(modal, ada, {"title": "again"})


def test_slacks_client_refuses_what_it_would_refuse(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
) -> None:
    modal = opened(state, ws, web, ada)
    bob = state.add_user(ws, "bob")
    for values in ({}, {"title": "x" * 21}, {"title": "x", "choice": "never"}, {"nope": "x"}):
        with pytest.raises(ImpossibleInteraction):
            agent.submit(modal, ada, values)
    with pytest.raises(ImpossibleInteraction):
        agent.submit(modal, bob, {"title": "not bob's modal"})
    assert app.sent == []


def test_the_apps_answer_shows_on_the_modal(
    agent: SlackUserAgent,
    app: Recorder,
    state: SlackState,
    ws: Workspace,
    web: WebClient,
    ada: User,
) -> None:
    modal = opened(state, ws, web, ada)
    app.reply = Reply(200, b'{"response_action": "errors", "errors": {"title": "Too vague."}}')
    agent.submit(modal, ada, {"title": "help"})
    assert (modal.closed, modal.errors) == (False, {"title": "Too vague."})
    updated = {**MODAL, "callback_id": "confirm"}
    app.reply = Reply(200, json.dumps({"response_action": "update", "view": updated}).encode())
    agent.submit(modal, ada, {"title": "Queue stuck"})
    assert (modal.view["callback_id"], modal.errors, modal.closed) == ("confirm", {}, False)
    app.reply = Reply(200, b'{"response_action": "clear"}')
    agent.submit(modal, ada, {"title": "Queue stuck"})
    assert state.open_views() == []


def test_message_shortcuts_and_slash_commands(
    agent: SlackUserAgent, app: Recorder, state: SlackState, ws: Workspace, ada: User
) -> None:
    channel = state.add_channel(ws, "ops")
    message = state.post_as_user(channel, ada, "the database is slow")
    agent.message_shortcut(message, "open_incident", ada)
    payload = app.payload()
    assert (payload["type"], payload["callback_id"]) == ("message_action", "open_incident")
    assert (payload["message_ts"], payload["message"]["text"]) == (message.ts, message.text)

    agent.command(ada, "/watchkeep ack  #3 ", channel="#ops")
    request = app.sent[-1]
    form = dict(parse_qsl(request.body))
    assert request.path == "/api/slack/commands"
    assert (form["command"], form["text"], form["channel_id"]) == (
        "/watchkeep",
        "ack  #3",
        channel.id,
    )
    assert (form["user_id"], form["team_id"], form["channel_name"]) == (ada.id, ws.team_id, "ops")
    assert form["trigger_id"] in state.triggers
    assert form["response_url"].startswith(agent.requests.slack_url + "/actions/")


def test_http_sender_posts_the_signed_request_as_is() -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    send = http_sender("http://watchkeep.test/", httpx.Client(transport=httpx.MockTransport(app)))
    reply = send(SignedRequest("/api/slack/actions", "payload=x", {"X-Slack-Signature": "v0=1"}))
    [request] = seen
    assert (str(request.url), request.content) == (
        "http://watchkeep.test/api/slack/actions",
        b"payload=x",
    )
    assert request.headers["X-Slack-Signature"] == "v0=1"
    assert (reply.status, reply.json()) == (200, {"ok": True})
