"""`/watchkeep …` slash commands: signed, ephemeral, Block Kit, within Slack's deadline."""

from __future__ import annotations

import pytest

from watchkeep.fakeslack import SlackState, User, Workspace

from slack_payloads import SlackSender
from support import Api, Delivery


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


def trigger(api: Api, service_id: int, title: str, urgency: str = "HIGH") -> dict:
    return api.post(
        "/api/v1/incidents", {"title": title, "service_id": service_id, "urgency": urgency}
    ).json()


def text_of(answer: dict) -> str:
    return answer["text"] + repr(answer.get("blocks", []))


def test_incidents_lists_the_open_ones_newest_first(
    sender: SlackSender, ada: User, admin_api: Api, service_id: int
) -> None:
    old = trigger(admin_api, service_id, "old one")
    trigger(admin_api, service_id, "new <b>one</b>", "LOW")
    gone = trigger(admin_api, service_id, "done")
    admin_api.post(f"/api/v1/incidents/{gone['id']}/resolve")
    answer = sender.command(ada, "incidents").json()
    assert answer["response_type"] == "ephemeral"
    body = text_of(answer)
    assert body.index("new &lt;b&gt;one&lt;/b&gt;") < body.index("old one")
    assert "done" not in body
    assert f"https://watchkeep.example.com/incidents/{old['id']}" in body


def test_status_counts_and_names_the_oldest_unacknowledged(
    sender: SlackSender, ada: User, admin_api: Api, service_id: int
) -> None:
    first = trigger(admin_api, service_id, "first")
    trigger(admin_api, service_id, "second", "MEDIUM")
    admin_api.post(f"/api/v1/incidents/{first['id']}/acknowledge")
    body = text_of(sender.command(ada, "status").json())
    assert "Triggered: *1*" in body
    assert "Acknowledged: *1*" in body
    assert "High: *1*" in body
    assert "Medium: *1*" in body
    assert "Oldest unacknowledged" in body
    assert "second" in body


def test_ack_resolve_and_snooze_by_number(
    sender: SlackSender, ada: User, admin_api: Api, service_id: int
) -> None:
    incident = trigger(admin_api, service_id, "by number")
    number = incident["number"]
    assert "Acknowledged incident" in sender.command(ada, f"ack #{number}").json()["text"]
    snoozed = sender.command(ada, f"snooze 1h30m {number}").json()
    assert "Snoozed" in snoozed["text"]
    now = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert now["snoozed_until"].startswith("2026-03-02T10:30")
    resolved = sender.command(ada, f"resolve #{number} the payload queue drained").json()
    assert "Resolved" in resolved["text"]
    now = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert now["resolution_note"] == "the payload queue drained"
    assert now["resolved_by"]["name"] == "Ada Admin"
    again = sender.command(ada, f"ack {number}").json()
    assert "already resolved by Ada Admin" in again["text"]


def test_inside_an_incidents_channel_no_number_is_needed(
    sender: SlackSender,
    ada: User,
    admin_api: Api,
    service_id: int,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    incident = trigger(admin_api, service_id, "in channel")
    deliver()
    channel = slack.channel("#ops").id
    sender.command(ada, "ack", channel=channel)
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "ACKNOWLEDGED"
    trigger(admin_api, service_id, "second in channel")
    deliver()
    answer = sender.command(ada, "resolve", channel=channel).json()
    assert "Several incidents are open in this channel" in answer["text"]
    elsewhere = sender.command(ada, "ack", channel="C0SOMEWHERE").json()
    assert "Name the incident" in elsewhere["text"]


def test_create_opens_the_form_prefilled(
    sender: SlackSender, ada: User, service_id: int, slack: SlackState, connected: Workspace
) -> None:
    answer = sender.command(ada, "create Checkout is down").json()
    assert "Opening" in answer["text"]
    [view] = slack.views.values()
    modal = view.to_api("A0WATCHKEEP", connected.bot_id)
    assert modal["blocks"][0]["element"]["initial_value"] == "Checkout is down"


def test_create_without_a_usable_trigger_creates_directly(
    sender: SlackSender, ada: User, service_id: int, admin_api: Api
) -> None:
    answer = sender.command(ada, "create Queue stuck", trigger=False).json()
    assert "Created incident #1" in answer["text"]
    [made] = admin_api.get("/api/v1/incidents").json()["items"]
    assert (made["title"], made["source"]) == ("Queue stuck", "slack")


@pytest.mark.parametrize("text", ["", "help", "dance", "snooze", "snooze forever #1", "ack #999"])
def test_help_unknown_and_bad_arguments_get_usage_or_a_reason(
    sender: SlackSender, ada: User, text: str, service_id: int
) -> None:
    answer = sender.command(ada, text)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"]


def test_both_command_paths_answer_and_the_word_payload_is_harmless(
    sender: SlackSender, ada: User, admin_api: Api, service_id: int
) -> None:
    trigger(admin_api, service_id, "payload service down")
    for path in ("/api/slack/commands", "/api/integrations/slack/commands"):
        answer = sender.command(ada, "incidents payload", path=path)
        assert answer.status_code == 200
        assert "payload service down" in text_of(answer.json())


def test_unsigned_or_malformed_commands_are_refused(sender: SlackSender, ada: User, client) -> None:
    assert (
        client.post("/api/slack/commands", content="command=/watchkeep&text=status").status_code
        == 401
    )
    from slack_payloads import signed_headers

    body = "text=status"
    assert (
        client.post("/api/slack/commands", content=body, headers=signed_headers(body)).status_code
        == 400
    )


def test_oncall_says_who_is_on_call_and_until_when(
    sender: SlackSender, ada: User, admin_api: Api
) -> None:
    users = [
        admin_api.post("/api/v1/users", {"email": f"{n}@example.com", "name": n}).json()["id"]
        for n in ("Noor", "Omar")
    ]
    for name in ("Platform primary", "Database"):
        created = admin_api.post(
            "/api/v1/schedules",
            {
                "name": name,
                "time_zone": "Europe/Berlin",
                "layers": [
                    {
                        "user_ids": users,
                        "rotation_length_hours": 24,
                        "start": "2026-03-01T09:00:00+01:00",
                    }
                ],
            },
        )
        assert created.status_code == 201, created.text
    everything = text_of(sender.command(ada, "oncall").json())
    assert "Platform primary: *Omar*" in everything
    assert "Database: *Omar*" in everything
    assert "until <!date^" in everything
    one = text_of(sender.command(ada, "oncall platform").json())
    assert "Platform primary" in one
    assert "Database" not in one
    assert "No schedule is named" in sender.command(ada, "oncall nope").json()["text"]
