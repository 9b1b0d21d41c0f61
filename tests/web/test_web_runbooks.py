"""Runbook and connector pages without a browser: the editor's inline errors, Preview
(no Slack call), save, enable, the incident page's Run runbook, and who may do what."""

from __future__ import annotations

from collections.abc import Callable

from watchkeep.core.models import Role, Urgency
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runbooks.models import Runbook
from watchkeep.runtime import Runtime

from support import Delivery
from web_support import Pages, text_of

BROKEN = """name: Stakeholders
trigger: {events: [manual]}
steps:
  - Action Type: Slack
    Operation: Send Message
    Channel: "#incidents"
    Message: "[incident.severty] incident: [incident.title]"
"""
FIXED = BROKEN.replace("severty", "severity")


def test_the_editor_shows_a_bad_key_by_step_and_previews_without_slack(
    pages: Pages, runtime: Runtime, slack: SlackState, acme: Workspace
) -> None:
    pages.get("/runbooks/new")
    assert pages.last.status_code == 200
    refused = pages.submit("/runbooks", {"document": BROKEN, "action": "save"})
    assert refused.status_code == 422
    assert 'data-step="1" data-key="Message"' in refused.text
    assert "Step 1 · Message: unknown variable 'incident.severty'" in text_of(refused)
    with runtime.db.read() as db:
        assert db.query(Runbook).count() == 0

    slack.clear_calls()
    shown = pages.submit("/runbooks", {"document": FIXED, "action": "preview"})
    assert shown.status_code == 200
    assert "HIGH incident: Sample: disk full on db-1" in text_of(shown)
    assert slack.calls() == []
    with runtime.db.read() as db:
        assert db.query(Runbook).count() == 0

    saved = pages.submit("/runbooks", {"document": FIXED, "action": "save"})
    assert "Runbook Stakeholders saved." in text_of(saved)
    listed = text_of(pages.get("/runbooks"))
    assert "Stakeholders manual org yes —" in listed
    with runtime.db.read() as db:
        runbook_id = db.query(Runbook).one().id
    pages.submit(f"/runbooks/{runbook_id}/enabled", {"enabled": "false"})
    assert "Stakeholders manual org no" in text_of(pages.get("/runbooks"))


def test_an_incident_page_runs_a_manual_runbook_and_shows_the_run(
    pages: Pages,
    pages_as: Callable[..., Pages],
    runtime: Runtime,
    slack: SlackState,
    acme: Workspace,
    deliver: Delivery,
) -> None:
    assert pages.submit("/settings/integrations/slack/app", {"bot_token": acme.token}).is_success
    saved = pages.submit("/runbooks", {"document": FIXED, "action": "save"})
    assert "Runbook Stakeholders saved." in text_of(saved)
    from watchkeep.core import incidents, services
    from watchkeep.core.actors import Actor

    with runtime.db.write() as db:
        service = services.create_service(db, name="checkout", now=runtime.clock.now())
        incident, _ = incidents.create_incident(
            db,
            title="502s",
            service_id=service.id,
            urgency=Urgency.MEDIUM,
            actor=Actor.system(),
            now=runtime.clock.now(),
        )
        incident_id = incident.id
    page = pages.get(f"/incidents/{incident_id}")
    assert "Run runbook" in page.text
    with runtime.db.read() as db:
        runbook_id = db.query(Runbook).one().id
    started = pages.submit(f"/incidents/{incident_id}/run-runbook", {"runbook_id": runbook_id})
    assert "Runbook Stakeholders started." in text_of(started)
    deliver()
    shown = text_of(pages.get(f"/incidents/{incident_id}"))
    assert "Stakeholders · Run 1 SUCCEEDED manual" in shown
    assert "1. send_message — SUCCEEDED posted" in shown
    assert [m.text for m in slack.messages_in("#incidents", team=acme)][-1] == (
        "MEDIUM incident: 502s"
    )
    viewer = pages_as(Role.VIEWER, "Vic Viewer")  # the same browser, signed in anew
    assert "Run runbook" not in viewer.get(f"/incidents/{incident_id}").text
    refused = viewer.submit(f"/incidents/{incident_id}/run-runbook", {"runbook_id": runbook_id})
    assert refused.status_code == 403


def test_settings_connectors_for_a_team_admin(
    pages: Pages,
    pages_as: Callable[..., Pages],
    runtime: Runtime,
    slack: SlackState,
    acme: Workspace,
) -> None:
    member = pages_as(Role.RESPONDER, "Pat Payments")
    from watchkeep.core import accounts, teams
    from watchkeep.core.models import TeamRole

    with runtime.db.write() as db:
        pat = accounts.find_user_by_email(db, "pat@example.com")
        team = teams.create_team(
            db, name="payments", members=[(pat.id, TeamRole.ADMIN)], now=runtime.clock.now()
        )
        team_id = team.id
    listed = member.get("/settings/connectors")
    assert "+ New Connector" in listed.text
    token = slack.issue_token(acme)
    made = member.submit(
        "/settings/connectors",
        {
            "name": "payments-bot",
            "team_id": str(team_id),
            "bot_token": token,
            "allowed_channels": "#incidents, payments",
            "channel_prefix": "pay-",
        },
    )
    assert "Connector payments-bot saved." in text_of(made)
    assert token not in made.text
    assert "Acme Corp" in text_of(made)
    tested = member.submit("/settings/connectors/1/test")
    assert "Connection successful: Acme Corp" in text_of(tested)
    slack.revoke_token(token)
    tested = member.submit("/settings/connectors/1/test")
    assert "Slack said: token_revoked (auth.test)" in text_of(tested)
    viewer = pages_as(Role.VIEWER, "Vic Viewer")
    assert viewer.submit("/settings/connectors/1/delete").status_code == 403
    assert "+ New Connector" not in viewer.get("/settings/connectors").text
