"""Responders act from the Slack message: signed clicks, modals, the shortcut, who acted."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, User, Workspace
from watchkeep.slack import render

from slack_payloads import SlackSender
from support import Api, Delivery


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    """Ada Admin's Slack account: same email as her Watchkeep user (admin1@example.com)."""
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


@pytest.fixture
def stranger(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "bob", email="bob@elsewhere.example", real_name="Bob B.")


@pytest.fixture
def incident(admin_api: Api, service_id: int, deliver: Delivery) -> dict:
    created = admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    return created.json()


def status(api: Api, incident: dict) -> dict:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()


def ephemerals(slack: SlackState) -> list[str]:
    return [post["text"] for post in slack.response_urls.posts()]


def test_acknowledge_from_slack_updates_the_message_and_thread(
    sender: SlackSender,
    ada: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    answer = sender.click(ada, render.ACKNOWLEDGE, str(incident["id"]))
    assert answer.status_code == 200
    now = status(admin_api, incident)
    assert now["status"] == "ACKNOWLEDGED", "committed before Slack got its answer"
    assert now["acknowledged_by"]["name"] == "Ada Admin"
    assert now["timeline"][-1]["source"] == "slack"
    deliver()
    [parent] = slack.messages_in("#ops")
    assert "Acknowledged ✓" in repr(slack.message("#ops", parent.ts).attachments)
    assert slack.thread("#ops", parent.ts)[1].text == "👀 Acknowledged by *Ada Admin*"


def test_a_second_click_is_told_who_acknowledged_never_an_error(
    sender: SlackSender,
    ada: User,
    stranger: User,
    incident: dict,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    sender.click(ada, render.ACKNOWLEDGE, str(incident["id"]))
    again = sender.click(stranger, render.ACKNOWLEDGE, str(incident["id"]))
    done = sender.click(stranger, render.ACKNOWLEDGED, str(incident["id"]))
    assert (again.status_code, done.status_code) == (200, 200)
    deliver()
    assert ephemerals(slack) == [
        f"Incident #{incident['number']} is already acknowledged by Ada Admin.",
        f"Incident #{incident['number']} is already acknowledged by Ada Admin.",
    ]


def test_two_users_clicking_at_once_make_one_acknowledgement(
    sender: SlackSender,
    ada: User,
    stranger: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    start = threading.Barrier(2)
    answers = []

    def click(user: User) -> None:
        start.wait()
        answers.append(sender.click(user, render.ACKNOWLEDGE, str(incident["id"])).status_code)

    threads = [threading.Thread(target=click, args=(user,)) for user in (ada, stranger)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]
    timeline = status(admin_api, incident)["timeline"]
    assert [e["type"] for e in timeline].count("acknowledged") == 1
    deliver()
    assert len(ephemerals(slack)) == 1


def test_an_unmapped_user_acts_as_their_slack_name(
    sender: SlackSender, stranger: User, incident: dict, admin_api: Api
) -> None:
    sender.click(stranger, render.ACKNOWLEDGE, str(incident["id"]))
    now = status(admin_api, incident)
    assert now["acknowledged_by"] == {"user_id": None, "name": "Bob B. via Slack"}


def test_a_workspace_can_require_mapped_users(
    sender: SlackSender,
    stranger: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"require_mapped_user": True})
    sender.click(stranger, render.ACKNOWLEDGE, str(incident["id"]))
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    deliver()
    [told] = ephemerals(slack)
    assert "not linked to an active Watchkeep user" in told


def test_a_disabled_user_is_not_mapped(
    sender: SlackSender,
    slack: SlackState,
    connected: Workspace,
    incident: dict,
    admin_api: Api,
    make_token: Callable[..., str],
) -> None:
    make_token(Role.RESPONDER, "Rhea")  # responder1@example.com
    rhea = slack.add_user(connected, "rhea", email="responder1@example.com", real_name="Rhea R.")
    users = admin_api.get("/api/v1/users").json()["items"]
    rhea_id = next(u["id"] for u in users if u["email"] == "responder1@example.com")
    admin_api.patch(f"/api/v1/users/{rhea_id}", {"status": "DISABLED"})
    sender.click(rhea, render.ACKNOWLEDGE, str(incident["id"]))
    assert status(admin_api, incident)["acknowledged_by"]["name"] == "Rhea R. via Slack"


def test_a_viewer_cannot_act_from_slack(
    sender: SlackSender,
    slack: SlackState,
    connected: Workspace,
    incident: dict,
    admin_api: Api,
    make_token: Callable[..., str],
    deliver: Delivery,
) -> None:
    make_token(Role.VIEWER, "Vic")  # viewer1@example.com
    vic = slack.add_user(connected, "vic", email="viewer1@example.com")
    sender.click(vic, render.ACKNOWLEDGE, str(incident["id"]))
    sender.click(vic, render.RESOLVE, str(incident["id"]))
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    assert slack.views == {}, "no modal for someone who may not resolve"
    deliver()
    assert all("viewer" in text for text in ephemerals(slack))
    assert len(ephemerals(slack)) == 2


def test_resolve_opens_a_modal_and_the_submission_resolves_with_the_note(
    sender: SlackSender,
    ada: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
    connected: Workspace,
) -> None:
    assert sender.click(ada, render.RESOLVE, str(incident["id"])).status_code == 200
    [view] = slack.views.values()
    modal = view.to_api("A0WATCHKEEP", connected.bot_id)
    assert modal["callback_id"] == "resolve_incident"
    answer = sender.submit(ada, modal, {"note": "rolled back the deploy"})
    assert answer.status_code == 200
    assert answer.content in (b"", b"{}") or answer.json().get("response_action") is None
    now = status(admin_api, incident)
    assert (now["status"], now["resolution_note"]) == ("RESOLVED", "rolled back the deploy")
    deliver()
    [parent] = slack.messages_in("#ops")
    assert "rolled back the deploy" in slack.thread("#ops", parent.ts)[-1].text
    again = sender.submit(ada, modal, {"note": "twice"})
    assert again.json()["response_action"] == "errors"
    assert "already resolved" in again.json()["errors"]["note"]


@pytest.mark.parametrize("kind", ["static_select", "overflow"])
def test_snooze_from_the_menu(
    sender: SlackSender, ada: User, incident: dict, admin_api: Api, kind: str
) -> None:
    sender.click(ada, render.SNOOZE, f"{incident['id']}:30", kind=kind)
    now = status(admin_api, incident)
    assert now["status"] == "SNOOZED"
    assert now["snoozed_until"].startswith("2026-03-02T09:30")


def test_a_custom_snooze_asks_for_minutes_and_checks_them(
    sender: SlackSender,
    ada: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    connected: Workspace,
) -> None:
    sender.click(ada, render.SNOOZE, f"{incident['id']}:custom", kind="static_select")
    [view] = slack.views.values()
    modal = view.to_api("A0WATCHKEEP", connected.bot_id)
    for bad in ("soon", "0", "999999"):
        refused = sender.submit(ada, modal, {"minutes": bad}).json()
        assert refused["response_action"] == "errors"
        assert "minutes" in refused["errors"]
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    assert sender.submit(ada, modal, {"minutes": "90"}).status_code == 200
    assert status(admin_api, incident)["snoozed_until"].startswith("2026-03-02T10:30")


def test_the_view_button_is_acknowledged_and_changes_nothing(
    sender: SlackSender, ada: User, incident: dict, admin_api: Api
) -> None:
    assert sender.click(ada, render.VIEW, str(incident["id"])).status_code == 200
    assert len(status(admin_api, incident)["timeline"]) == 1


def test_the_create_incident_shortcut(
    sender: SlackSender,
    ada: User,
    service_id: int,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
    connected: Workspace,
) -> None:
    assert sender.shortcut(ada, "create_incident").status_code == 200
    [view] = slack.views.values()
    modal = view.to_api("A0WATCHKEEP", connected.bot_id)
    assert modal["callback_id"] == "create_incident"
    missing = sender.submit(ada, modal, {"title": "", "description": "x"}).json()
    assert missing["response_action"] == "errors"
    assert set(missing["errors"]) == {"title", "service"}
    gone = sender.submit(ada, modal, {"title": "Queue stuck", "service": {"value": "999"}}).json()
    assert "service" in gone["errors"]
    made = sender.submit(
        ada,
        modal,
        {
            "title": "Queue stuck",
            "service": {"value": str(service_id)},
            "urgency": {"value": "LOW"},
            "description": "consumers at 0",
        },
    )
    assert made.status_code == 200
    [created] = admin_api.get("/api/v1/incidents").json()["items"]
    assert (created["title"], created["urgency"], created["source"]) == (
        "Queue stuck",
        "LOW",
        "slack",
    )
    assert created["created_by"]["name"] == "Ada Admin"
    deliver()
    assert "Queue stuck" in slack.messages_in("#ops")[0].text
