"""Add Workspace: Slack's OAuth v2 install with a server-side, one-time state;
each workspace keeps its own preferences."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces

from support import FrozenClock
from web_support import Pages, text_of

PAGE = "/settings/integrations/slack"
CALLBACK = "/api/settings/slack-oauth/callback"


@pytest.fixture
def app_saved(pages: Pages, slack: SlackState) -> Pages:
    """The admin saved the Slack app's client id and secret."""
    pages.get(PAGE)
    pages.submit(
        f"{PAGE}/app", {"client_id": slack.client_id, "client_secret": slack.client_secret}
    )
    return pages


def start_install(pages: Pages) -> str:
    """Click Add Workspace: answers the authorize URL Slack would show."""
    pages.get(PAGE)
    response = pages.submit(f"{PAGE}/install", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def approve(authorize_url: str, workspace: Workspace, decision: str = "allow") -> str:
    """The admin allows (or cancels) the install on Slack: answers the callback path."""
    consent = httpx.get(authorize_url)
    assert consent.status_code == 200
    assert f"Allow in {workspace.name}" in consent.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    back = httpx.post(
        authorize_url.split("?")[0],
        data={**query, "team": workspace.team_id, "decision": decision},
        follow_redirects=False,
    )
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    assert location.path == CALLBACK
    return f"{location.path}?{location.query}"


def test_add_workspace_installs_through_slack_and_connects_it(
    app_saved: Pages, slack: SlackState, runtime: Runtime
) -> None:
    globex = slack.create_workspace("Globex")
    url = start_install(app_saved)
    assert url.startswith(runtime.settings.slack_oauth_url + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [slack.client_id]
    assert query["redirect_uri"] == [f"https://watchkeep.example.com{CALLBACK}"]
    assert {"chat:write", "channels:read", "users:read.email"} <= set(query["scope"][0].split(","))

    done = app_saved.get(approve(url, globex))
    assert done.url.path == PAGE
    assert "Globex is connected. Choose its default channel." in text_of(done)
    with runtime.db.read() as db:
        [workspace] = workspaces.list_workspaces(db)
        token = runtime.slack.token(workspace)
    assert (workspace.team_id, workspace.team_name) == (globex.team_id, "Globex")
    assert (workspace.bot_user_id, workspace.bot_id) == (globex.bot_user_id, globex.bot_id)
    assert workspace.team_url == globex.url
    assert token.startswith("xoxb-")
    assert token != globex.token, "the install issued a token of its own"
    assert slack.last_call("oauth.v2.access").params["redirect_uri"] == (
        f"https://watchkeep.example.com{CALLBACK}"
    )


def test_the_fake_slack_offers_to_install_in_a_workspace_made_on_the_spot(
    app_saved: Pages, slack: SlackState, runtime: Runtime
) -> None:
    first = slack.create_workspace("Acme Corp")
    slack.add_user(first, "alice", email="alice@example.com", real_name="Alice Ng")
    url = start_install(app_saved)
    consent = httpx.get(url)
    assert "Watchkeep is requesting permission to access a Slack workspace" in consent.text
    assert "<li>chat:write</li>" in consent.text
    assert "Allow in Acme Corp" in consent.text
    assert "Create and allow" in consent.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    back = httpx.post(
        url.split("?")[0],
        data={**query, "team": "new", "new_name": "Initech", "decision": "allow"},
        follow_redirects=False,
    )
    location = urlsplit(back.headers["location"])
    done = app_saved.get(f"{location.path}?{location.query}")
    assert "Initech is connected. Choose its default channel." in text_of(done)
    initech = slack.workspace("Initech")
    assert [u.email for u in slack.users.values() if u.team_id == initech.team_id] == [
        None,  # the bot
        "alice@example.com",
    ]
    assert slack.channel("#incidents", team=initech).team_id == initech.team_id
    with runtime.db.read() as db:
        assert [w.team_name for w in workspaces.list_workspaces(db)] == ["Initech"]


def test_a_state_is_good_once_only_and_for_ten_minutes(
    app_saved: Pages, slack: SlackState, runtime: Runtime, clock: FrozenClock
) -> None:
    globex = slack.create_workspace("Globex")
    callback = approve(start_install(app_saved), globex)
    assert app_saved.get(callback).url.path == PAGE
    reused = app_saved.get(callback)
    assert reused.status_code == 400
    assert "This install link is not valid" in text_of(reused)

    late = approve(start_install(app_saved), globex)
    clock.advance(minutes=11)
    expired = app_saved.get(late)
    assert expired.status_code == 400
    assert "it expired" in text_of(expired)

    forged = app_saved.get(f"{CALLBACK}?code=whatever&state=made-up")
    assert forged.status_code == 400
    assert app_saved.get(f"{CALLBACK}?code=whatever").status_code == 400
    with runtime.db.read() as db:
        assert len(workspaces.list_workspaces(db)) == 1


def test_a_state_works_only_for_the_admin_who_started(
    app_saved: Pages, pages_as: Callable[..., Pages], slack: SlackState, runtime: Runtime
) -> None:
    globex = slack.create_workspace("Globex")
    callback = approve(start_install(app_saved), globex)
    other = pages_as(Role.ADMIN, "Otto Other")
    assert other.get(callback).status_code == 400
    with runtime.db.read() as db:
        assert workspaces.list_workspaces(db) == []


def test_a_cancelled_install_or_a_bad_code_connects_nothing(
    app_saved: Pages, slack: SlackState, runtime: Runtime
) -> None:
    globex = slack.create_workspace("Globex")
    cancelled = app_saved.get(approve(start_install(app_saved), globex, decision="deny"))
    assert "Slack did not install the app: access_denied." in text_of(cancelled)
    url = start_install(app_saved)
    state = parse_qs(urlsplit(url).query)["state"][0]
    bad = app_saved.get(f"{CALLBACK}?code=not-a-code&state={state}")
    assert bad.status_code == 502
    assert "Slack refused the install: invalid_code." in text_of(bad)
    with runtime.db.read() as db:
        assert workspaces.list_workspaces(db) == []


def test_signing_in_on_the_way_back_still_completes_the_install(
    app_saved: Pages, slack: SlackState, runtime: Runtime
) -> None:
    globex = slack.create_workspace("Globex")
    callback = approve(start_install(app_saved), globex)
    app_saved.submit("/logout")
    login = app_saved.get(callback)
    assert login.url.path == "/login"
    done = app_saved.submit(
        "/login",
        {"email": "ada@example.com", "password": "correct horse battery", "next": callback},
    )
    assert "Globex is connected." in text_of(done)


def test_add_workspace_needs_the_app_credentials_first(pages: Pages) -> None:
    pages.get(PAGE)
    told = pages.submit(f"{PAGE}/install")
    assert "Save the Client ID and Client Secret before adding a workspace." in text_of(told)


def test_each_workspace_keeps_its_own_preferences(
    app_saved: Pages, slack: SlackState, acme: Workspace, runtime: Runtime
) -> None:
    globex = slack.create_workspace("Globex")
    slack.add_channel(globex, "globex-alerts")
    for workspace in (acme, globex):
        app_saved.get(approve(start_install(app_saved), workspace))
    with runtime.db.read() as db:
        ids = {w.team_name: w.id for w in workspaces.list_workspaces(db)}
    assert set(ids) == {"Acme Corp", "Globex"}
    app_saved.get(f"{PAGE}/workspaces/{ids['Globex']}")
    app_saved.submit(
        f"{PAGE}/workspaces/{ids['Globex']}/preferences",
        {
            "default_channel": slack.channel("#globex-alerts", team=globex).id,
            "urgency_filter": "high",
            "event_incident_triggered": "on",
        },
    )
    page = text_of(app_saved.get(PAGE))
    assert "Acme Corp" in page
    assert "Globex" in page
    with runtime.db.read() as db:
        acme_row = workspaces.get_workspace(db, ids["Acme Corp"])
        globex_row = workspaces.get_workspace(db, ids["Globex"])
    assert (acme_row.default_channel, acme_row.urgency_filter) == (None, "all")
    assert globex_row.urgency_filter == "high"
    assert globex_row.default_channel == slack.channel("#globex-alerts", team=globex).id
