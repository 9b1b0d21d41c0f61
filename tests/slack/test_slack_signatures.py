"""Only Slack may act: signatures, payload shapes, response_urls, workspaces."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace
from watchkeep.outbox import JobKind, queries
from watchkeep.runtime import Runtime
from watchkeep.slack import render, workspaces
from watchkeep.slack.interactive.respond import trusted_response_url
from watchkeep.slack.workspaces import CheckedToken

from slack_payloads import SIGNING_SECRET, SlackSender, signed_headers
from support import Api, Delivery


@pytest.fixture
def incident(admin_api: Api, service_id: int, connected: Workspace) -> dict:
    return admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()


def acknowledge_body(
    team: Workspace,
    incident: dict,
    user_id: str = "U1",
    response_url: str = "https://hooks.slack.com/actions/T1/1/x",
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": team.team_id},
        "user": {"id": user_id, "name": "mallory"},
        "actions": [
            {"type": "button", "action_id": render.ACKNOWLEDGE, "value": str(incident["id"])}
        ],
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)})


def unchanged(api: Api, incident: dict) -> bool:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "TRIGGERED"


def test_missing_forged_or_stale_signatures_are_401_and_change_nothing(
    client: TestClient, connected: Workspace, incident: dict, admin_api: Api
) -> None:
    body = acknowledge_body(connected, incident)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = {
        "missing": form,
        "forged": signed_headers(body, secret="not-the-secret"),
        "stale": signed_headers(body, at=time.time() - 301),
        "future": signed_headers(body, at=time.time() + 301),
        "bad timestamp": {**signed_headers(body), "X-Slack-Request-Timestamp": "yesterday"},
        "tampered": signed_headers(body.replace("mallory", "alice")),
    }
    for name, headers in cases.items():
        answer = client.post("/api/slack/actions", content=body, headers=headers)
        assert answer.status_code == 401, name
    assert unchanged(admin_api, incident)


def test_without_a_signing_secret_every_request_is_refused(
    client: TestClient, admin_api: Api, connected: Workspace, incident: dict
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"signing_secret": ""})
    assert admin_api.get("/api/v1/integrations/slack").json()["signing_secret"] is None
    body = acknowledge_body(connected, incident)
    for secret in (SIGNING_SECRET, ""):
        headers = signed_headers(body, secret=secret) if secret else {}
        assert client.post("/api/slack/actions", content=body, headers=headers).status_code == 401
    assert unchanged(admin_api, incident)


def test_signed_but_malformed_payloads_are_400_and_garbage_never_500(
    client: TestClient, connected: Workspace
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
        answer = client.post("/api/slack/actions", content=body, headers=signed_headers(body))
        assert answer.status_code == 400, body
    for junk in (b"\xff\xfe\x00payload", bytes(range(256)), b"%" * 1000):
        answer = client.post(
            "/api/slack/actions",
            content=junk,
            headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
        )
        assert answer.status_code == 401


def test_a_signed_click_for_an_unknown_incident_gets_a_private_answer(
    sender: SlackSender, slack: SlackState, deliver: Delivery, connected: Workspace
) -> None:
    user = slack.add_user(connected, "eve", email="eve@example.com")
    assert sender.click(user, render.ACKNOWLEDGE, "999999").status_code == 200
    assert sender.click(user, render.ACKNOWLEDGE, "not-a-number").status_code == 200
    deliver()
    told = [post["text"] for post in slack.response_urls.posts()]
    assert told == [
        "That incident no longer exists in Watchkeep.",
        "That button does not name an incident.",
    ]


def test_a_response_url_off_slack_is_never_called(
    client: TestClient, connected: Workspace, incident: dict, admin_api: Api, runtime: Runtime
) -> None:
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    body = acknowledge_body(
        connected, incident, response_url="http://169.254.169.254/latest/meta-data"
    )
    answer = client.post("/api/slack/actions", content=body, headers=signed_headers(body))
    assert answer.status_code == 200
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
    client: TestClient, admin_api: Api, connected: Workspace, incident: dict
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"signing_secret": "n3w-s3cret-0000000000000000"})
    body = acknowledge_body(connected, incident)
    for secret in ("n3w-s3cret-0000000000000000", SIGNING_SECRET):
        headers = signed_headers(body, secret=secret)
        assert client.post("/api/slack/actions", content=body, headers=headers).status_code == 200
    forged = signed_headers(body, secret="never-was-the-secret")
    assert client.post("/api/slack/actions", content=body, headers=forged).status_code == 401


def test_each_workspace_acts_with_its_own_token(
    client: TestClient,
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    connected: Workspace,
    incident: dict,
    runtime: Runtime,
    deliver: Delivery,
) -> None:
    other = slack.create_workspace("Globex")
    with runtime.db.write() as session:
        workspaces.store_token(
            session, runtime.secrets, CheckedToken(other.token), now=runtime.clock.now()
        )
    deliver()
    user = slack.add_user(other, "hank", email="hank@globex.example", real_name="Hank")
    SlackSender(client, slack_server, other).click(user, render.ACKNOWLEDGE, str(incident["id"]))
    [lookup] = slack.calls("users.info")
    assert lookup.team_id == other.team_id
    acknowledged_by = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["acknowledged_by"]
    assert acknowledged_by["name"] == "Hank via Slack"
