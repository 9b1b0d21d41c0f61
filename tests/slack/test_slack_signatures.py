"""Only Slack may act: signatures, payload shapes, response_urls, workspaces."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient

from watchkeep.fakeslack import (
    FakeSlackServer,
    Message,
    SignedRequest,
    SlackState,
    SlackUserAgent,
    User,
    Workspace,
    sign,
)
from watchkeep.outbox import JobKind, queries
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces
from watchkeep.slack.interactive.respond import trusted_response_url
from watchkeep.slack.workspaces import CheckedToken

from slack_story import send_through
from support import Api, Delivery

ACTIONS = "/api/slack/actions"


@pytest.fixture
def mallory(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "mallory", email="mallory@example.com")


@pytest.fixture
def press(agent: SlackUserAgent, message: Message, mallory: User) -> SignedRequest:
    """The request Slack sends when Mallory presses Acknowledge, not yet delivered."""
    return agent.requests.click(message, "Acknowledge", mallory)


def signed(slack: SlackState, body: str, *, secret: str | None = None, at: float | None = None):
    """Headers for `body` signed as Slack would (with another secret or time if told)."""
    when = slack.clock.now() if at is None else at
    return sign(ACTIONS, body, secret=secret or slack.signing_secret, timestamp=when).headers


def with_payload(slack: SlackState, request: SignedRequest, **changes: object) -> SignedRequest:
    """The same interaction with some payload fields changed, validly signed."""
    payload = json.loads(dict(parse_qsl(request.body))["payload"]) | changes
    body = urlencode({"payload": json.dumps(payload)})
    return replace(request, body=body, headers=signed(slack, body))


def unchanged(api: Api, incident: dict) -> bool:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "TRIGGERED"


def test_missing_forged_or_stale_signatures_are_401_and_change_nothing(
    agent: SlackUserAgent, press: SignedRequest, slack: SlackState, incident: dict, admin_api: Api
) -> None:
    now, body = slack.clock.now(), press.body
    cases = {
        "missing": {"Content-Type": press.headers["Content-Type"]},
        "forged": signed(slack, body, secret="not-the-secret"),
        "stale": signed(slack, body, at=now - 301),
        "future": signed(slack, body, at=now + 301),
        "bad timestamp": {**press.headers, "X-Slack-Request-Timestamp": "yesterday"},
        "tampered": signed(slack, body.replace("mallory", "alice")),
    }
    for name, headers in cases.items():
        assert agent.send(replace(press, headers=headers)).status == 401, name
    assert unchanged(admin_api, incident)
    assert agent.send(replace(press, headers=signed(slack, body, at=now - 300))).status == 200


def test_without_a_signing_secret_every_request_is_refused(
    agent: SlackUserAgent, press: SignedRequest, admin_api: Api, incident: dict
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"signing_secret": ""})
    assert admin_api.get("/api/v1/integrations/slack").json()["signing_secret"] is None
    assert agent.send(press).status == 401
    assert agent.send(replace(press, headers={})).status == 401
    assert unchanged(admin_api, incident)


def test_signed_but_malformed_payloads_are_400_and_garbage_never_500(
    agent: SlackUserAgent, client: TestClient, slack: SlackState, connected: Workspace
) -> None:
    malformed = [
        "",
        "payload=",
        "payload=not-json",
        "payload=" + json.dumps([1, 2]),
        urlencode({"payload": json.dumps({"type": "block_actions"})}),
        urlencode(
            {
                "payload": json.dumps(
                    {"type": "surprise", "user": {"id": "U1"}, "team": {"id": "T1"}}
                )
            }
        ),
        urlencode(
            {"payload": json.dumps({"type": "block_actions", "user": "U1", "team": {"id": "T1"}})}
        ),
        "command=/watchkeep&text=payload",
    ]
    for body in malformed:
        answer = agent.send(SignedRequest(ACTIONS, body, signed(slack, body)))
        assert answer.status == 400, body
    for junk in (b"\xff\xfe\x00payload", bytes(range(256)), b"%" * 1000):
        answer = client.post(
            ACTIONS,
            content=junk,
            headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
        )
        assert answer.status_code == 401


def test_a_click_on_a_button_naming_no_incident_gets_a_private_answer(
    agent: SlackUserAgent,
    slack: SlackState,
    slack_server: FakeSlackServer,
    deliver: Delivery,
    connected: Workspace,
    mallory: User,
) -> None:
    """Messages left from before a restore, or from an older message layout."""
    bot = slack_server.client(connected.token)
    for value in ("999999", "99999999999999999999", "not-a-number"):
        button = {
            "type": "button",
            "action_id": "incident_acknowledge",
            "text": {"type": "plain_text", "text": "Acknowledge"},
            "value": value,
        }
        posted = bot.chat_postMessage(
            channel="#ops", text="old", blocks=[{"type": "actions", "elements": [button]}]
        )
        old = slack.message("#ops", posted["ts"])
        assert agent.click(old, "Acknowledge", mallory).status == 200
    deliver()
    told = [post["text"] for post in slack.response_urls.posts()]
    assert told == [
        "That incident no longer exists in Watchkeep.",
        "That incident no longer exists in Watchkeep.",
        "That button does not name an incident.",
    ]


def test_a_response_url_off_slack_is_never_called(
    agent: SlackUserAgent,
    press: SignedRequest,
    slack: SlackState,
    incident: dict,
    admin_api: Api,
    runtime: Runtime,
) -> None:
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    forged = with_payload(slack, press, response_url="http://169.254.169.254/latest/meta-data")
    assert agent.send(forged).status == 200
    with runtime.db.read() as session:
        assert queries.pending_count(session, kind=JobKind.SLACK_RESPOND) == 0


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://hooks.slack.com/actions/T1/2/abc", True),
        ("http://hooks.slack.com/actions/T1/2/abc", False),
        ("https://hooks.slack.com:8443/actions", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/?hooks.slack.com", False),
        ("http://127.0.0.1:9999/actions/x", True),
        ("http://127.0.0.1:9998/actions/x", False),
        ("https://127.0.0.1:9999/actions/x", False),
        ("http://localhost:9999/actions/x", False),
        ("not a url", False),
        ("", False),
        (None, False),
    ],
)
def test_which_response_urls_are_trusted(url: str | None, trusted: bool) -> None:
    assert trusted_response_url(url, "http://127.0.0.1:9999/api/") is trusted


def test_a_rotated_signing_secret_still_accepts_the_old_one_for_a_while(
    agent: SlackUserAgent,
    press: SignedRequest,
    slack: SlackState,
    admin_api: Api,
    incident: dict,
) -> None:
    old = slack.signing_secret
    slack.signing_secret = "n3w-s3cret-0000000000000000"
    admin_api.put("/api/v1/integrations/slack", {"signing_secret": slack.signing_secret})
    for secret in (slack.signing_secret, old):
        assert (
            agent.send(replace(press, headers=signed(slack, press.body, secret=secret))).status
            == 200
        )
    forged = signed(slack, press.body, secret="never-was-the-secret")
    assert agent.send(replace(press, headers=forged)).status == 401


def test_each_workspace_acts_with_its_own_token(
    client: TestClient,
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    connected: Workspace,
    runtime: Runtime,
    deliver: Delivery,
    service_id: int,
) -> None:
    other = slack.create_workspace("Globex")
    slack.add_channel(other, "alerts")
    with runtime.db.write() as session:
        workspace = workspaces.store_token(
            session, runtime.secrets, CheckedToken(other.token), now=runtime.clock.now()
        )
        workspace.default_channel = "#alerts"
    deliver()
    created = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()
    deliver()
    hank = slack.add_user(other, "hank", email="hank@globex.example", real_name="Hank")
    [message] = slack.messages_in("#alerts", team=other)
    slack.clear_calls()
    slack_server.user_agent(send_through(client)).click(message, "Acknowledge", hank)
    [lookup] = slack.calls("users.info")
    assert lookup.team_id == other.team_id
    acknowledged_by = admin_api.get(f"/api/v1/incidents/{created['id']}").json()["acknowledged_by"]
    assert acknowledged_by["name"] == "Hank via Slack"
