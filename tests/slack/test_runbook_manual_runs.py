"""Manual runs from Slack: `/watchkeep run <runbook> [#n]` and the "Run runbook" message
shortcut start a run, answered privately; a viewer is refused; help lists the command."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from runbook_story import runs, save

from watchkeep.core.models import Role
from watchkeep.fakeslack import Message, SlackState, SlackUserAgent, User, Workspace

from slack_story import texts
from support import Api, Delivery

STATUS_NOTE = {
    "name": "Status note",
    "trigger": {"events": ["manual"]},
    "steps": [
        {"operation": "send_message", "channel": "#ops", "message": "Update on [incident.id]"}
    ],
}


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


@pytest.fixture
def vic(
    slack: SlackState, connected: Workspace, admin_api: Api, make_token: Callable[..., str]
) -> User:
    admin_api.post("/api/v1/users", {"email": "vic@example.com", "name": "Vic", "role": "viewer"})
    return slack.add_user(connected, "vic", email="vic@example.com")


def said(agent: SlackUserAgent, user: User, text: str, channel: str = "#ops") -> str:
    reply = agent.command(user, f"/watchkeep {text}", channel=channel)
    assert reply.status == 200, reply.text
    assert reply.json()["response_type"] == "ephemeral"
    return reply.json()["text"]


def test_run_by_name_and_number_or_in_the_incidents_channel(
    agent: SlackUserAgent,
    ada: User,
    admin_api: Api,
    incident: dict,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    runbook = save(admin_api, STATUS_NOTE)
    assert said(agent, ada, "run status note #1", channel="#incidents") == (
        "Started runbook *Status note* for incident #1 (run 1): its steps appear in the run log."
    )
    # In #ops the incident's message is the only open one: the number may be left out.
    assert said(agent, ada, "run Status note").startswith("Started runbook *Status note* for")
    deliver()
    assert [m.text for m in slack.messages_in("#ops")][1:] == ["Update on 1", "Update on 1"]
    found = runs(admin_api, incident["id"])
    assert [(r["runbook_id"], r["trigger"], r["status"]) for r in found] == [
        (runbook["id"], "manual", "SUCCEEDED")
    ] * 2
    timeline = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    assert "Runbook 'Status note' started by Ada Admin" in [e["message"] for e in timeline]

    assert said(agent, ada, "run nope #1") == "There is no runbook named 'nope'."
    assert said(agent, ada, "run").startswith(
        "Say which runbook: `/watchkeep run <runbook> [#number]`. Manual runbooks: `Status note`."
    )
    assert said(agent, ada, "run status note #99") == "There is no incident #99."
    save(admin_api, {**STATUS_NOTE, "name": "On trigger", "trigger": {"events": ["triggered"]}})
    assert said(agent, ada, "run on trigger #1") == ("runbook 'On trigger' is not a manual runbook")
    assert len(runs(admin_api, incident["id"])) == 2


def test_a_viewer_is_refused(
    agent: SlackUserAgent, vic: User, admin_api: Api, incident: dict, message: Message
) -> None:
    save(admin_api, STATUS_NOTE)
    assert said(agent, vic, "run Status note #1") == (
        "You can't do that in Watchkeep: the viewer role may not respond."
    )
    assert agent.message_shortcut(message, "run_runbook", vic).status == 200
    assert runs(admin_api, incident["id"]) == []


def test_the_message_shortcut_opens_a_modal_and_starts_the_chosen_runbook(
    agent: SlackUserAgent,
    ada: User,
    vic: User,
    admin_api: Api,
    incident: dict,
    message: Message,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    save(admin_api, STATUS_NOTE)
    assert agent.message_shortcut(message, "run_runbook", vic).status == 200
    assert slack.open_views() == []
    assert agent.message_shortcut(message, "run_runbook", ada).status == 200
    [modal] = slack.open_views()
    assert modal.view["callback_id"] == "run_runbook"
    assert texts(modal.view)[0] == "*#1* Disk full"
    answer = agent.submit(modal, ada, {"runbook": "Status note"})
    assert (answer.status, modal.closed) == (200, True)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert (run["trigger"], run["status"]) == ("manual", "SUCCEEDED")
    told = [post["text"] for post in slack.response_urls.posts()]
    assert told == [
        "You can't do that in Watchkeep: the viewer role may not respond.",
        "Started runbook *Status note* for incident #1 (run 1).",
    ]


def test_help_lists_run(agent: SlackUserAgent, ada: User) -> None:
    reply = agent.command(ada, "/watchkeep help", channel="#ops").json()
    assert (
        "`/watchkeep run <runbook> [#number]` — run a manual runbook (in an incident's "
        "channel, or by number)"
    ) in texts(reply)[0]


def test_the_api_runs_only_what_the_caller_may_use(
    admin_api: Api,
    make_token: Callable[..., str],
    incident: dict,
    connected: Workspace,
    slack: SlackState,
) -> None:
    viewer = admin_api.as_(make_token(Role.VIEWER))
    outsider = admin_api.as_(make_token(Role.RESPONDER, "Oli Outsider"))
    member = admin_api.as_(make_token(Role.RESPONDER, "Mo Member"))
    users = {u["name"]: u["id"] for u in admin_api.get("/api/v1/users").json()["items"]}
    team = admin_api.post(
        "/api/v1/teams", {"name": "payments", "member_ids": [users["Mo Member"]]}
    ).json()
    admin_api.post(
        "/api/v1/connectors",
        {"name": "payments-bot", "team_id": team["id"], "bot_token": slack.issue_token(connected)},
    )
    runbook = save(
        admin_api, {**STATUS_NOTE, "owner_team_id": team["id"], "connection": "payments-bot"}
    )
    path, body = f"/api/v1/runbooks/{runbook['id']}/run", {"incident_id": incident["id"]}
    assert viewer.post(path, body).status_code == 403
    refused = outsider.post(path, body)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "runbook 'Status note' uses connector 'payments-bot', which only its team may use"
    )
    assert runs(admin_api, incident["id"]) == []
    started = member.post(path, body)
    assert started.status_code == 201, started.text
    assert (started.json()["trigger"], started.json()["status"]) == ("manual", "RUNNING")
