"""Responders act from the Slack message: they press the buttons of the message
Watchkeep posted, fill in the modals it opened, run the shortcut; who acted."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from watchkeep.core.models import Role
from watchkeep.fakeslack import (
    ImpossibleInteraction,
    Message,
    SlackState,
    SlackUserAgent,
    User,
    Workspace,
)

from slack_story import controls
from support import Api, Delivery

CONTROLS = ["Acknowledge", "Resolve", "Snooze", "View in Watchkeep"]


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    """Ada Admin's Slack account: same email as her Watchkeep user (admin1@example.com)."""
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


@pytest.fixture
def stranger(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "bob", email="bob@elsewhere.example", real_name="Bob B.")


def status(api: Api, incident: dict) -> dict:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()


def ephemerals(slack: SlackState) -> list[str]:
    return [post["text"] for post in slack.response_urls.posts()]


def test_acknowledge_from_slack_updates_the_message_and_thread(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    assert controls(message) == CONTROLS
    answer = agent.click(message, "Acknowledge", ada)
    assert answer.status == 200
    now = status(admin_api, incident)
    assert now["status"] == "ACKNOWLEDGED", "committed before Slack got its answer"
    assert now["acknowledged_by"]["name"] == "Ada Admin"
    assert now["timeline"][-1]["source"] == "slack"
    deliver()
    assert controls(message) == ["Acknowledged ✓", "Resolve", "Snooze", "View in Watchkeep"]
    assert slack.thread("#ops", message.ts)[1].text == "👀 Acknowledged by *Ada Admin*"


def test_a_button_not_on_the_message_cannot_be_pressed(
    agent: SlackUserAgent, ada: User, message: Message, deliver: Delivery
) -> None:
    agent.click(message, "Acknowledge", ada)
    deliver()
    with pytest.raises(ImpossibleInteraction):
        agent.click(message, "Acknowledge", ada)
    with pytest.raises(ImpossibleInteraction):
        agent.click(message, "Snooze", ada, option="2 days")


def test_a_second_click_is_told_who_acknowledged_never_an_error(
    agent: SlackUserAgent,
    ada: User,
    stranger: User,
    incident: dict,
    message: Message,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    agent.click(message, "Acknowledge", ada)
    # Bob's Slack still shows the message as it was before Ada's click.
    again = agent.click(message, "Acknowledge", stranger)
    deliver()
    done = agent.click(message, "Acknowledged ✓", stranger)
    assert (again.status, done.status) == (200, 200)
    deliver()
    assert ephemerals(slack) == [
        f"Incident #{incident['number']} is already acknowledged by Ada Admin.",
        f"Incident #{incident['number']} is already acknowledged by Ada Admin.",
    ]


def test_two_users_clicking_at_once_make_one_acknowledgement(
    agent: SlackUserAgent,
    ada: User,
    stranger: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    start = threading.Barrier(2)
    answers = []

    def click(user: User) -> None:
        start.wait()
        answers.append(agent.click(message, "Acknowledge", user).status)

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
    agent: SlackUserAgent, stranger: User, incident: dict, message: Message, admin_api: Api
) -> None:
    agent.click(message, "Acknowledge", stranger)
    now = status(admin_api, incident)
    assert now["acknowledged_by"] == {"user_id": None, "name": "Bob B. via Slack"}


def test_a_workspace_can_require_mapped_users(
    agent: SlackUserAgent,
    stranger: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"require_mapped_user": True})
    agent.click(message, "Acknowledge", stranger)
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    deliver()
    assert ephemerals(slack) == [
        "Your Slack account is not linked to an active Watchkeep user, and this workspace "
        "requires one. Ask an admin to add a Watchkeep user with your Slack email."
    ]


def test_a_disabled_user_is_not_mapped(
    agent: SlackUserAgent,
    slack: SlackState,
    connected: Workspace,
    incident: dict,
    message: Message,
    admin_api: Api,
    make_token: Callable[..., str],
) -> None:
    make_token(Role.RESPONDER, "Rhea")  # responder1@example.com
    rhea = slack.add_user(connected, "rhea", email="responder1@example.com", real_name="Rhea R.")
    users = admin_api.get("/api/v1/users").json()["items"]
    rhea_id = next(u["id"] for u in users if u["email"] == "responder1@example.com")
    admin_api.patch(f"/api/v1/users/{rhea_id}", {"status": "DISABLED"})
    agent.click(message, "Acknowledge", rhea)
    assert status(admin_api, incident)["acknowledged_by"]["name"] == "Rhea R. via Slack"


def test_a_viewer_cannot_act_from_slack(
    agent: SlackUserAgent,
    slack: SlackState,
    connected: Workspace,
    incident: dict,
    message: Message,
    admin_api: Api,
    make_token: Callable[..., str],
    deliver: Delivery,
) -> None:
    make_token(Role.VIEWER, "Vic")  # viewer1@example.com
    vic = slack.add_user(connected, "vic", email="viewer1@example.com")
    agent.click(message, "Acknowledge", vic)
    agent.click(message, "Resolve", vic)
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    assert slack.open_views() == [], "no modal for someone who may not resolve"
    deliver()
    refusal = "You can't do that in Watchkeep: the viewer role may not respond."
    assert ephemerals(slack) == [refusal, refusal]


def test_resolve_opens_a_modal_and_the_submission_resolves_with_the_note(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    assert agent.click(message, "Resolve", ada).status == 200
    [modal] = slack.open_views()
    assert modal.view["callback_id"] == "resolve_incident"
    answer = agent.submit(modal, ada, {"note": "rolled back the deploy"})
    assert (answer.status, answer.body, modal.closed) == (200, b"", True)
    now = status(admin_api, incident)
    assert (now["status"], now["resolution_note"]) == ("RESOLVED", "rolled back the deploy")
    deliver()
    replies = slack.thread("#ops", message.ts)[1:]
    assert [r.text for r in replies] == [
        "✅ Resolved by *Ada Admin*\n>rolled back the deploy\n"
        "Lasted 0 s · never acknowledged · no alerts · no escalation step paged"
    ]
    assert controls(message) == ["View in Watchkeep"]


def test_two_resolve_forms_open_at_once_the_second_is_told_on_the_form(
    agent: SlackUserAgent,
    ada: User,
    stranger: User,
    incident: dict,
    message: Message,
    slack: SlackState,
) -> None:
    agent.click(message, "Resolve", ada)
    agent.click(message, "Resolve", stranger)
    adas, bobs = slack.open_views()
    agent.submit(adas, ada, {"note": "rolled back"})
    agent.submit(bobs, stranger, {"note": "twice"})
    assert not bobs.closed
    assert bobs.errors == {
        "note": f"Incident #{incident['number']} is already resolved by Ada Admin."
    }


def test_snooze_from_the_menu(
    agent: SlackUserAgent, ada: User, incident: dict, message: Message, admin_api: Api
) -> None:
    agent.click(message, "Snooze", ada, option="30 min")
    now = status(admin_api, incident)
    assert now["status"] == "SNOOZED"
    assert now["snoozed_until"] == "2026-03-02T09:30:00Z"


def test_a_custom_snooze_asks_for_minutes_and_checks_them(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
) -> None:
    agent.click(message, "Snooze", ada, option="Custom…")
    [modal] = slack.open_views()
    assert modal.view["callback_id"] == "snooze_incident"
    for bad in ("soon", "0", "999999"):
        agent.submit(modal, ada, {"minutes": bad})
        assert modal.errors == {"minutes": "Enter whole minutes from 1 to 43200."}
    assert status(admin_api, incident)["status"] == "TRIGGERED"
    agent.submit(modal, ada, {"minutes": "90"})
    assert (modal.closed, modal.errors) == (True, {})
    assert status(admin_api, incident)["snoozed_until"] == "2026-03-02T10:30:00Z"


def test_the_view_button_is_acknowledged_and_changes_nothing(
    agent: SlackUserAgent, ada: User, incident: dict, message: Message, admin_api: Api
) -> None:
    assert agent.click(message, "View in Watchkeep", ada).status == 200
    assert len(status(admin_api, incident)["timeline"]) == 1


def test_the_create_incident_shortcut(
    agent: SlackUserAgent,
    ada: User,
    service_id: int,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    doomed = admin_api.post("/api/v1/services", {"name": "doomed"}).json()["id"]
    assert agent.shortcut("create_incident", ada).status == 200
    [modal] = slack.open_views()
    assert modal.view["callback_id"] == "create_incident"
    with pytest.raises(ImpossibleInteraction):  # Slack itself refuses an empty required field
        agent.submit(modal, ada, {"description": "x"})
    agent.submit(modal, ada, {"title": "   ", "service": "checkout"})
    assert modal.errors == {"title": "Give the incident a title."}
    admin_api.delete(f"/api/v1/services/{doomed}")  # while the form is open
    agent.submit(modal, ada, {"title": "Queue stuck", "service": "doomed"})
    assert modal.errors == {"service": f"no service with id {doomed}"}
    answer = agent.submit(
        modal,
        ada,
        {
            "title": "Queue stuck",
            "service": "checkout",
            "urgency": "Low",
            "description": "consumers at 0",
        },
    )
    assert (answer.status, modal.closed) == (200, True)
    [created] = admin_api.get("/api/v1/incidents").json()["items"]
    assert (created["title"], created["urgency"], created["source"]) == (
        "Queue stuck",
        "LOW",
        "slack",
    )
    assert created["created_by"]["name"] == "Ada Admin"
    deliver()
    assert [m.text for m in slack.messages_in("#ops")] == ["[LOW] #1 Queue stuck (triggered)"]
