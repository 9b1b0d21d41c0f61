"""The Home tab: opening it shows whether you are on call, your incidents and your
teams' incidents, and Acknowledge there works like the message's button."""

from __future__ import annotations

import pytest

from watchkeep.fakeslack import SlackState, SlackUserAgent, User, View, Workspace

from slack_story import controls, texts
from support import Api, Delivery


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


def home(slack: SlackState, user: User) -> View:
    view = slack.home_view(user)
    assert view is not None, "no Home tab published"
    return view


def ada_on_call_owning_checkout(admin_api: Api, service_id: int) -> None:
    [me] = [u for u in admin_api.get("/api/v1/users").json()["items"] if u["name"] == "Ada Admin"]
    team = admin_api.post("/api/v1/teams", {"name": "payments", "member_ids": [me["id"]]}).json()
    admin_api.patch(f"/api/v1/services/{service_id}", {"team_id": team["id"]})
    zed = admin_api.post("/api/v1/users", {"email": "zed@example.com", "name": "Zed"}).json()
    users = [me["id"], zed["id"]]
    layer = {"user_ids": users, "rotation_length_hours": 24, "start": "2026-03-02T00:00:00Z"}
    created = admin_api.post(
        "/api/v1/schedules", {"name": "Primary", "time_zone": "UTC", "layers": [layer]}
    )
    assert created.status_code == 201, created.text


def test_the_home_tab_shows_on_call_and_open_incidents_with_acknowledge(
    agent: SlackUserAgent,
    ada: User,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    ada_on_call_owning_checkout(admin_api, service_id)
    incident = admin_api.post(
        "/api/v1/incidents", {"title": "Disk <full>", "service_id": service_id}
    ).json()
    assert agent.open_app_home(ada).reply.status == 200
    deliver()
    view = home(slack, ada)
    url = f"https://watchkeep.example.com/incidents/{incident['id']}"
    line = (
        f"🔴 <{url}|#1 Disk &lt;full&gt;>\n🚨 Triggered · checkout · "
        "<!date^1772442000^{ago}|2026-03-02 09:00 UTC>"
    )
    assert texts(view.view) == [
        "Watchkeep",
        "📟 You are on call now: *Primary* until "
        "<!date^1772496000^{date_short_pretty} {time}|2026-03-03 00:00 UTC>",
        "Your open incidents",
        "You have none.",
        "Your teams' open incidents",
        line,
    ]
    assert controls(view.view) == ["Open Watchkeep"]

    stale = View(view.id, view.team_id, view.user_id, dict(view.view), view.hash, view.id)
    assert agent.click(view, "Acknowledge", ada).status == 200
    shown = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert shown["status"] == "ACKNOWLEDGED"
    assert shown["acknowledged_by"]["name"] == "Ada Admin"
    deliver()
    again = texts(home(slack, ada).view)
    acked = line.replace("🚨 Triggered", "👀 Acknowledged")
    assert again[2:6] == ["Your open incidents", acked, "Your teams' open incidents", acked]
    # A second click on a Home tab shown before the first one was published again.
    slack.views[stale.id] = stale
    assert agent.click(stale, "Acknowledge", ada).status == 200
    deliver()
    assert texts(home(slack, ada).view)[2:6] == again[2:6], "published again, as it is"
    assert len(slack.calls("views.publish")) == 3


def test_someone_not_in_watchkeep_is_told_how_to_get_linked(
    agent: SlackUserAgent, slack: SlackState, connected: Workspace, deliver: Delivery
) -> None:
    bob = slack.add_user(connected, "bob", email="bob@elsewhere.example")
    agent.open_app_home(bob)
    deliver()
    assert texts(home(slack, bob).view)[1] == (
        "Your Slack account is not linked to a Watchkeep user: ask an admin to add one with "
        "your Slack email."
    )
