"""Connectors: a team admin connects the team's own Slack bot token; only that team's
runbooks may use it (refused at save and at run); a run through it goes out with the
connector's token, into its allowed channels, paced in its own lanes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from runbook_story import runs, save, trigger

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.slack.models import SlackPacing

from support import Api, Delivery


@pytest.fixture
def payments(admin_api: Api, make_token: Callable[..., str]) -> dict:
    """Team Payments with Pat as its team admin and Mo as a plain member."""
    pat_token, mo_token = make_token(Role.RESPONDER, "Pat"), make_token(Role.RESPONDER, "Mo")
    users = {u["name"]: u["id"] for u in admin_api.get("/api/v1/users").json()["items"]}
    team = admin_api.post(
        "/api/v1/teams",
        {
            "name": "payments",
            "members": [
                {"user_id": users["Pat"], "role": "admin"},
                {"user_id": users["Mo"], "role": "member"},
            ],
        },
    ).json()
    other = admin_api.post("/api/v1/teams", {"name": "search"}).json()
    pat, mo = admin_api.as_(pat_token), admin_api.as_(mo_token)
    return {"team": team, "other": other, "pat": pat, "mo": mo}


def connector_body(team_id: int, token: str, **extra: object) -> dict:
    return {
        "type": "slack",
        "name": "payments-bot",
        "team_id": team_id,
        "bot_token": token,
        "allowed_channels": ["#payments"],
        "channel_prefix": "pay-",
        **extra,
    }


ROOM = [
    {"operation": "create_channel", "name": "pay-[incident.id]"},
    {"operation": "send_message", "message": "Payments on it: [incident.title]"},
    {"operation": "send_message", "channel": "#payments", "message": "FYI [incident.id]"},
]


def test_a_team_admin_connects_a_bot_and_only_its_team_may_use_it(
    admin_api: Api,
    payments: dict,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    team, other, pat, mo = payments["team"], payments["other"], payments["pat"], payments["mo"]
    token = slack.issue_token(connected)

    refused = mo.post("/api/v1/connectors", connector_body(team["id"], token))
    assert refused.status_code == 403
    elsewhere = pat.post("/api/v1/connectors", connector_body(other["id"], token))
    assert elsewhere.status_code == 403
    bad = pat.post("/api/v1/connectors", connector_body(team["id"], "xoxb-not-a-real-one"))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "bot_token"]
    assert "Slack refused this token: invalid_auth" in bad.json()["detail"][0]["msg"]

    made = pat.post("/api/v1/connectors", connector_body(team["id"], token))
    assert made.status_code == 201, made.text
    connector = made.json()
    assert connector["bot_token"] == "••••" + token[-4:]
    assert token not in made.text
    assert connector["slack_team_id"] == connected.team_id
    assert connector["allowed_channels"] == ["payments"]
    tested = pat.post(f"/api/v1/connectors/{connector['id']}/test").json()
    assert tested == {
        "ok": True,
        "team": connected.name,
        "team_id": connected.team_id,
        "bot_user_id": connected.bot_user_id,
        "url": tested["url"],
    }
    assert slack.last_call("auth.test").token == token

    # A runbook of another team (or of none) may not use it: refused when saved.
    foreign = {
        "name": "search room",
        "owner_team_id": other["id"],
        "connection": "payments-bot",
        "trigger": {"events": ["incident.triggered"]},
        "steps": ROOM,
    }
    saved = admin_api.post("/api/v1/runbooks", foreign)
    assert saved.status_code == 422
    assert saved.json()["detail"][0]["loc"] == ["body", "connection"]
    assert "only that team's runbooks may use it" in saved.json()["detail"][0]["msg"]
    unknown = admin_api.post("/api/v1/runbooks", {**foreign, "connection": "nope"})
    assert unknown.json()["detail"][0]["msg"] == "no connector named 'nope' (or 'org')"

    # The team admin writes its team's runbook through the connector; a member may not.
    mine = {**foreign, "name": "payments room", "owner_team_id": team["id"]}
    assert mo.post("/api/v1/runbooks", mine).status_code == 403
    runbook = save(pat, mine)
    assert runbook["connection"] == "payments-bot"

    slack.clear_calls()
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED", run
    room = slack.channel("#pay-1")
    [said] = slack.messages_in("#pay-1")
    assert said.text == "Payments on it: Checkout 502s"
    assert [m.text for m in slack.messages_in("#payments")] == ["FYI 1"]
    by_method = {call.method: call.token for call in slack.calls() if call.method != "auth.test"}
    assert by_method["conversations.create"] == token
    assert [
        c.token
        for c in slack.calls("chat.postMessage")
        if c.params.get("channel")
        in (
            room.id,
            "#payments",
        )
    ] == [token, token]
    # The organisation's own announcement still goes out with the organisation's token.
    [announce] = [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == "#ops"]
    assert announce.token == connected.token
    shown = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["channel"]
    assert (shown["id"], shown["workspace_id"]) == (room.id, None)
    # Its own pacing lanes, apart from the workspace's.
    with_lanes = _lanes(admin_api)
    assert f"connector-{connector['id']}:chat.postMessage" in with_lanes

    health = pat.get(f"/api/v1/connectors/{connector['id']}").json()
    assert health["used_by"] == ["payments room"]
    assert health["health"]["last_delivery_at"] is not None
    assert health["health"]["waiting_steps"] == 0

    # Used: not deleted (409), not renamed.
    assert pat.delete(f"/api/v1/connectors/{connector['id']}").status_code == 409
    assert pat.patch(f"/api/v1/connectors/{connector['id']}", {"name": "x"}).status_code == 409


def test_a_run_is_refused_when_the_connector_is_no_longer_its_teams(
    admin_api: Api,
    payments: dict,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    team, pat = payments["team"], payments["pat"]
    token = slack.issue_token(connected)
    connector = pat.post("/api/v1/connectors", connector_body(team["id"], token)).json()
    runbook = save(
        pat,
        {
            "name": "payments room",
            "owner_team_id": team["id"],
            "connection": str(connector["id"]),
            "trigger": {"events": ["incident.triggered"]},
            "steps": ROOM,
        },
    )
    assert runbook["connection"] == "payments-bot"
    # The runbook's owner changes under it (written straight to the row, as a stale
    # version would run): the step is refused at run time with the reason.
    with pat.client.app.state.runtime.db.write() as session:
        from watchkeep.runbooks.models import Runbook, RunbookVersion

        row = session.get(Runbook, runbook["id"])
        doc = {**row.document, "owner_team_id": payments["other"]["id"]}
        row.document = doc
        version = session.query(RunbookVersion).filter_by(runbook_id=row.id).one()
        version.document = doc
    slack.clear_calls()
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "FAILED"
    assert run["steps"][0]["error"].startswith("connection_not_allowed: connector 'payments-bot'")
    assert [c for c in slack.calls() if c.token == token] == []


def test_a_connector_posts_only_where_it_is_allowed_and_may_be_deleted_when_unused(
    admin_api: Api,
    payments: dict,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    team, pat = payments["team"], payments["pat"]
    token = slack.issue_token(connected)
    connector = pat.post(
        "/api/v1/connectors", connector_body(team["id"], token, channel_prefix=None)
    ).json()
    save(
        pat,
        {
            "name": "where not",
            "owner_team_id": team["id"],
            "connection": "payments-bot",
            "trigger": {"events": ["incident.triggered"]},
            "steps": [
                {"operation": "send_message", "channel": "#ops", "message": "hi"},
            ],
        },
    )
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert (
        run["steps"][0]["error"]
        == "channel_not_allowed: connector 'payments-bot' may not post to #ops"
    )
    assert [c for c in slack.calls("chat.postMessage") if c.token == token] == []
    shown = pat.get(f"/api/v1/connectors/{connector['id']}").json()
    assert shown["health"]["last_error"].startswith("runbook step failed: channel_not_allowed")

    [runbook] = admin_api.get("/api/v1/runbooks").json()["items"]
    assert admin_api.delete(f"/api/v1/runbooks/{runbook['id']}").status_code == 204
    assert payments["mo"].delete(f"/api/v1/connectors/{connector['id']}").status_code == 403
    assert pat.delete(f"/api/v1/connectors/{connector['id']}").status_code == 204
    assert admin_api.get("/api/v1/connectors").json()["items"] == []


def _lanes(api: Api) -> set[str]:
    with api.client.app.state.runtime.db.read() as session:
        return {row.key for row in session.query(SlackPacing)}
