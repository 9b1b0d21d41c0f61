"""Service pages: create and edit with a team, SLA targets and a Slack channel
picked from the workspace's list; bad input is explained field by field."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from watchkeep.core import services, teams
from watchkeep.core.access import EVERYTHING
from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces

from support import Delivery
from web_support import Pages, text_of


def test_an_admin_creates_a_service_with_a_channel_from_the_list(
    pages: Pages, acme: Workspace, slack: SlackState, deliver: Delivery, runtime: Runtime
) -> None:
    with runtime.db.write() as db:
        team = teams.create_team(db, name="Payments", now=runtime.clock.now())
        team_id = team.id
    pages.get("/settings/integrations/slack")
    pages.submit("/settings/integrations/slack/app", {"bot_token": acme.token})
    deliver()

    form = pages.get("/services/new")
    channel = slack.channel("#team-230", team=acme).id
    assert f'value="{channel}"' in form.text
    assert "Channels of Acme Corp" in text_of(form)
    created = pages.submit(
        "/services",
        {
            "name": "checkout",
            "description": "Takes the money",
            "team_id": str(team_id),
            "slack_channel": channel,
            "ack_sla_minutes": "15",
            "resolve_sla_minutes": "240",
        },
    )
    assert "Service checkout saved." in text_of(created)
    with runtime.db.read() as db:
        service = services.get_service_by_name(db, "checkout")
        assert service is not None
    assert (service.slack_channel, service.team_id) == (channel, team_id)
    assert (service.ack_sla_minutes, service.resolve_sla_minutes) == (15, 240)

    listed = text_of(pages.get("/services"))
    assert "checkout Payments #team-230 15m / 240m 0" in listed


def test_bad_input_is_explained_next_to_each_field(pages: Pages, runtime: Runtime) -> None:
    pages.get("/services/new")
    refused = pages.submit(
        "/services", {"name": " ", "ack_sla_minutes": "soon", "resolve_sla_minutes": "0"}
    )
    assert refused.status_code == 422
    assert 'id="name-error">must not be empty' in refused.text
    assert 'id="ack_sla_minutes-error">must be a whole number of minutes' in refused.text
    assert 'id="resolve_sla_minutes-error">must be a whole number' in refused.text
    assert 'value="soon"' in refused.text, "what was typed is kept"

    pages.submit("/services", {"name": "checkout"})
    taken = pages.submit("/services", {"name": "checkout"})
    assert "a service named &#39;checkout&#39; already exists" in taken.text
    odd_channel = pages.submit("/services", {"name": "web", "slack_channel": "#Not Valid!"})
    assert 'id="slack_channel-error">must be a channel id' in odd_channel.text
    with runtime.db.read() as db:
        assert [
            s.name for s in services.list_services(db, scope=EVERYTHING, limit=10, offset=0)[0]
        ] == ["checkout"]


def test_without_slack_the_channel_is_typed(pages: Pages, runtime: Runtime) -> None:
    form = pages.get("/services/new")
    assert 'placeholder="#channel"' in form.text
    assert "Connect Slack to choose from its channels" in text_of(form)
    pages.submit("/services", {"name": "web", "slack_channel": "web-alerts"})
    with runtime.db.read() as db:
        service = services.get_service_by_name(db, "web")
        assert service is not None
        assert service.slack_channel == "#web-alerts"


def test_an_admin_edits_and_others_read(
    pages: Pages, pages_as: Callable[..., Pages], runtime: Runtime
) -> None:
    pages.get("/services/new")
    pages.submit("/services", {"name": "<b>web</b>", "ack_sla_minutes": "5"})
    with runtime.db.read() as db:
        service = services.get_service_by_name(db, "<b>web</b>")
        assert service is not None
        service_id = service.id
    edit = pages.get(f"/services/{service_id}")
    assert 'value="&lt;b&gt;web&lt;/b&gt;"' in edit.text
    saved = pages.submit(f"/services/{service_id}", {"name": "web", "ack_sla_minutes": ""})
    assert "Service web saved." in text_of(saved)

    vic = pages_as(Role.VIEWER, "Vic Viewer")
    page = vic.get(f"/services/{service_id}")
    assert "<form" not in page.text.split("<main", 1)[1]
    assert "Acknowledge within —" in text_of(page)
    assert "Integrations" in text_of(page)
    assert vic.submit(f"/services/{service_id}", {"name": "mine"}).status_code == 403
    assert vic.get("/services/new").status_code == 403


def test_a_private_teams_service_posting_to_a_public_channel_is_warned_about(
    pages: Pages, acme: Workspace, slack: SlackState, deliver: Delivery, runtime: Runtime
) -> None:
    pages.get("/settings/integrations/slack")
    pages.submit("/settings/integrations/slack/app", {"bot_token": acme.token})
    deliver()
    public, private = (slack.channel(name, team=acme).id for name in ("#team-001", "#secret-ops"))
    now = runtime.clock.now()
    with runtime.db.write() as db:
        vault = teams.create_team(db, name="Vault", private=True, now=now)
        web = teams.create_team(db, name="Web", now=now)
        safe = services.create_service(
            db, name="safe", team_id=vault.id, slack_channel=public, now=now
        )
        site = services.create_service(
            db, name="site", team_id=web.id, slack_channel=public, now=now
        )
        safe_id, site_id = safe.id, site.id

    def warning(service_id: int) -> str | None:
        page = pages.get(f"/services/{service_id}")
        found = re.search(r'id="exposure-warning">(.*?)</p>', page.text)
        return unescape(found.group(1)) if found else None

    assert warning(safe_id) == (
        "⚠️ Vault is a private team, but this service's incidents are posted to #team-001: "
        "a public channel, which everyone in the workspace can read."
    )
    assert warning(site_id) is None, "a public team's service may post anywhere"
    with runtime.db.write() as db:
        services.get_service(db, safe_id).slack_channel = private
    assert warning(safe_id) is None
    with runtime.db.write() as db:
        services.get_service(db, safe_id).slack_channel = None
        workspaces.primary_workspace(db).default_channel = "#incidents"
    assert "posted to #incidents: a public channel" in (warning(safe_id) or "")
