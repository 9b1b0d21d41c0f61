"""The runbooks API: JSON or YAML documents, the normalised form, versions, permissions,
refusals that name the step and key, the preview, and the shipped examples."""

from __future__ import annotations

import pytest
from runbook_story import EXAMPLES, WAR_ROOM, example, runs, save, save_yaml, trigger

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, Workspace

from support import Api, Delivery


def test_the_docs_form_is_answered_in_the_normalised_form(admin_api: Api) -> None:
    saved = save_yaml(admin_api, WAR_ROOM)
    assert saved["version"] == 1
    assert saved["connection"] == "org"
    assert saved["trigger"] == {
        "events": ["incident.triggered"],
        "conditions": {"urgency": ["HIGH"]},
        "repeat_every_minutes": None,
        "once_per_incident": True,
    }
    assert saved["steps"][0] == {
        "action_type": "slack",
        "operation": "create_channel",
        "name": "incident-[incident.id]",
        "description": "Channel for incident [incident.id]",
        "add_users": ["@oncall", "@sre-team"],
        "continue_on_error": False,
    }
    assert saved["steps"][1]["blocks"] == [
        {"type": "section", "text": "*Impact*: [incident.description]"}
    ]
    assert saved["steps"][2]["thread_updates"] is True
    # The normalised form is accepted back as it is.
    again = admin_api.put(f"/api/v1/runbooks/{saved['id']}", {**saved_document(saved)})
    assert again.status_code == 200, again.text
    assert again.json()["steps"] == saved["steps"]
    assert again.json()["version"] == 2


def saved_document(saved: dict) -> dict:
    keys = ("name", "description", "enabled", "owner_team_id", "connection", "trigger", "steps")
    return {key: saved[key] for key in keys}


@pytest.mark.parametrize(
    ("step", "loc", "msg"),
    [
        (
            {"Operation": "Send Message", "Message": "[incident.severty] down"},
            ["body", "steps", 0, "Message"],
            "step 1: unknown variable 'incident.severty'",
        ),
        (
            {"operation": "send_message", "message": "{{ user.name }}"},
            ["body", "steps", 0, "message"],
            "step 1: unknown variable 'user'",
        ),
        (
            {"Operation": "Page Everyone"},
            ["body", "steps", 0, "Operation"],
            "step 1: unknown operation 'Page Everyone' (one of Create Channel, Invite Users, "
            "Send Message, Create Thread, Set Topic, Archive Channel, Post Summary, Wait)",
        ),
        (
            {"Operation": "Set Topic", "Topic": "x", "Colour": "red"},
            ["body", "steps", 0, "Colour"],
            "step 1: unknown key 'Colour'",
        ),
        (
            {"Operation": "Wait", "Message": "x", "Minutes": 5},
            ["body", "steps", 0, "Message"],
            "step 1: Wait takes no key 'Message'",
        ),
    ],
)
def test_a_bad_step_is_refused_naming_step_and_key(
    admin_api: Api, step: dict, loc: list, msg: str
) -> None:
    document = {"name": "bad", "trigger": {"events": ["incident.triggered"]}, "steps": [step]}
    answer = admin_api.post("/api/v1/runbooks", document)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [{"loc": loc, "msg": msg, "type": "value_error"}]
    assert admin_api.get("/api/v1/runbooks").json()["total"] == 0


def test_bad_yaml_is_a_422(admin_api: Api) -> None:
    answer = admin_api.client.post(
        "/api/v1/runbooks",
        content=b"name: [unclosed",
        headers={**admin_api.headers, "Content-Type": "application/yaml"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "document"]


def test_yaml_that_json_could_not_say_is_refused_and_dates_stay_text(admin_api: Api) -> None:
    def post(yaml_text: str) -> dict:
        headers = {**admin_api.headers, "Content-Type": "application/yaml"}
        return admin_api.client.post("/api/v1/runbooks", content=yaml_text, headers=headers)

    head = "trigger: {events: [incident.triggered]}\nsteps: [{Action Type: Slack, Operation: Wait"
    bomb = post(f"name: &a room\ndescription: *a\n{head}, Minutes: 1}}]\n")
    assert bomb.status_code == 422
    assert "aliases" in bomb.json()["detail"][0]["msg"]
    nul = post(f'name: "war\\0room"\n{head}, Minutes: 1}}]\n')
    assert nul.json()["detail"] == [
        {
            "loc": ["body", "name"],
            "msg": "must not contain NUL characters or unpaired surrogates",
            "type": "value_error",
        }
    ]
    dated = post(f"name: 2026-12-01\n{head}, Minutes: 1}}]\n")
    assert dated.status_code == 201, dated.text
    assert dated.json()["name"] == "2026-12-01"
    assert admin_api.get("/api/v1/runbooks").json()["total"] == 1


def test_admins_write_and_others_read(admin_api: Api, make_token) -> None:
    saved = save_yaml(admin_api, WAR_ROOM)
    for role in (Role.VIEWER, Role.RESPONDER):
        api = admin_api.as_(make_token(role))
        assert api.get(f"/api/v1/runbooks/{saved['id']}").status_code == 200
        assert api.get("/api/v1/runbooks").json()["total"] == 1
        assert api.post("/api/v1/runbooks", {"name": "x"}).status_code == 403
        assert api.patch(f"/api/v1/runbooks/{saved['id']}", {"enabled": False}).status_code == 403
        assert api.delete(f"/api/v1/runbooks/{saved['id']}").status_code == 403
    patched = admin_api.patch(f"/api/v1/runbooks/{saved['id']}", {"enabled": False}).json()
    assert patched["enabled"] is False
    assert patched["version"] == 2
    assert admin_api.delete(f"/api/v1/runbooks/{saved['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/runbooks/{saved['id']}").status_code == 404


def test_runs_record_the_version_they_ran(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    document = {
        "name": "hello",
        "trigger": {"events": ["incident.triggered"]},
        "steps": [{"operation": "send_message", "channel": "#ops", "message": "v1"}],
    }
    saved = save(admin_api, document)
    first = trigger(admin_api, service_id, title="one")
    deliver()
    document["steps"][0]["message"] = "v2"
    assert admin_api.put(f"/api/v1/runbooks/{saved['id']}", document).json()["version"] == 2
    second = trigger(admin_api, service_id, title="two")
    deliver()
    assert [run["version"] for run in runs(admin_api, first["id"])] == [1]
    assert [run["version"] for run in runs(admin_api, second["id"])] == [2]
    texts = [m.text for m in slack.messages_in("#ops") if m.text in ("v1", "v2")]
    assert texts == ["v1", "v2"]
    listed = admin_api.get(f"/api/v1/runbooks/{saved['id']}/runs").json()
    assert [run["incident_id"] for run in listed["items"]] == [second["id"], first["id"]]


def test_preview_renders_every_step_without_calling_slack(
    admin_api: Api, connected: Workspace, slack: SlackState, service_id: int
) -> None:
    saved = save_yaml(admin_api, WAR_ROOM)
    incident = trigger(admin_api, service_id, urgency="LOW", title="A <b>&")
    slack.clear_calls()
    answer = admin_api.post(
        f"/api/v1/runbooks/{saved['id']}/preview", {"incident_id": incident["id"]}
    )
    assert answer.status_code == 200, answer.text
    steps = answer.json()["steps"]
    assert steps[0]["name"] == "incident-1"
    assert steps[1]["message"] == "🚨 LOW incident detected in checkout"
    assert steps[1]["slack_message"]["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Impact*: "}}
    ]
    sample = admin_api.post(f"/api/v1/runbooks/{saved['id']}/preview").json()["steps"]
    assert sample[0]["name"] == "incident-42"
    assert sample[2]["message"] == "Updates for incident 42"
    assert slack.calls() == []


def test_the_shipped_examples_load(admin_api: Api) -> None:
    names = sorted(path.name for path in EXAMPLES.glob("*.yaml"))
    assert names == [
        "notify-stakeholders.yaml",
        "post-incident.yaml",
        "status-on-resolve.yaml",
        "status-reminder.yaml",
        "war-room.yaml",
    ]
    for name in names:
        saved = save_yaml(admin_api, (EXAMPLES / name).read_text())
        assert saved["name"] == example(name)["name"]
    reminder = admin_api.get("/api/v1/runbooks").json()["items"]
    assert {rb["name"]: rb["trigger"]["repeat_every_minutes"] for rb in reminder} == {
        "Major incident room": None,
        "Notify stakeholders": None,
        "Post-incident": None,
        "Status on resolution": None,
        "Status reminder": 30,
    }
