"""Settings → Integrations → Slack over the API: credentials, preferences, test, channels."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, text

from watchkeep import outbox
from watchkeep.config import Settings
from watchkeep.core.models import Role
from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace
from watchkeep.outbox import JobKind
from watchkeep.outbox.models import OutboxRow, OutboxState
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.slack import credentials, workspaces
from watchkeep.slack.workspaces import CheckedToken

from support import Api, Delivery

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_before_connecting_nothing_is_configured(admin_api: Api) -> None:
    view = admin_api.get("/api/v1/integrations/slack").json()
    assert view["configured"] is False
    assert view["workspaces"] == []
    refused = admin_api.put("/api/v1/integrations/slack", {"default_channel": "#x"})
    assert refused.status_code == 409
    assert "bot_token" in refused.json()["detail"]


def test_secrets_are_encrypted_at_rest_and_only_shown_masked(
    admin_api: Api, connected: Workspace, runtime: Runtime
) -> None:
    admin_api.put(
        "/api/v1/integrations/slack", {"client_id": "123.456", "client_secret": "cs-" + "9" * 30}
    )
    view = admin_api.get("/api/v1/integrations/slack").json()
    assert view["client_id"] == "123.456"
    assert view["client_secret"] == "••••9999"
    assert view["signing_secret"] == "••••85a5"
    assert view["bot_token"].startswith("••••")
    assert connected.token not in str(view)
    with runtime.db.engine.connect() as connection:
        stored = str(connection.execute(text("SELECT * FROM slack_workspaces")).all())
        stored += str(connection.execute(text("SELECT * FROM slack_app")).all())
    for secret in (connected.token, SIGNING_SECRET, "cs-" + "9" * 30):
        assert secret not in stored


def test_a_put_changes_only_the_fields_it_names(admin_api: Api, connected: Workspace) -> None:
    admin_api.put(
        "/api/v1/integrations/slack",
        {"urgency_filter": "high_medium", "urgency_channels": {"HIGH": "critical"}},
    )
    admin_api.put("/api/v1/integrations/slack", {"events": {"note_added": True}})
    view = admin_api.get("/api/v1/integrations/slack").json()
    assert view["default_channel"] == "#incidents"
    assert view["urgency_filter"] == "high_medium"
    assert view["urgency_channels"] == {"HIGH": "#critical"}
    assert view["events"]["note_added"] is True
    assert view["events"]["incident_acknowledged"] is True
    assert view["signing_secret"] == "••••85a5"


def test_bad_settings_are_refused_field_by_field_and_change_nothing(
    admin_api: Api, connected: Workspace
) -> None:
    for bad, field in [
        ({"urgency_filter": "medium"}, "urgency_filter"),
        ({"default_channel": "#Not Valid!"}, "default_channel"),
        ({"events": {"page_the_ceo": True}}, "events"),
        ({"urgency_channels": {"CRITICAL": "#x"}}, "urgency_channels"),
        ({"bot_token": "not-a-token"}, "bot_token"),
        ({"surprise": 1}, "surprise"),
    ]:
        response = admin_api.put("/api/v1/integrations/slack", bad)
        assert response.status_code == 422, (bad, response.text)
        assert field in str(response.json()["detail"])
    view = admin_api.get("/api/v1/integrations/slack").json()
    assert (view["default_channel"], view["urgency_filter"]) == ("#incidents", "all")


def test_only_admins_see_or_change_slack_settings(
    admin_api: Api, make_token: Callable[..., str]
) -> None:
    responder = admin_api.as_(make_token(Role.RESPONDER))
    assert responder.get("/api/v1/integrations/slack").status_code == 403
    assert (
        responder.put("/api/v1/integrations/slack", {"urgency_filter": "high"}).status_code == 403
    )


def test_test_connection_reports_success_or_slacks_exact_error(
    admin_api: Api, connected: Workspace, slack: SlackState
) -> None:
    ok = admin_api.post("/api/v1/integrations/slack/test", {"channel": "#ops"}).json()
    assert ok["ok"] is True
    assert ok["team"] == "Acme Corp"
    [message] = slack.messages_in("#ops")
    assert "connected" in message.text
    missing = admin_api.post("/api/v1/integrations/slack/test", {"channel": "#nowhere"}).json()
    assert (missing["ok"], missing["error"]) == (False, "channel_not_found")
    slack.revoke_token(connected.token)
    revoked = admin_api.post("/api/v1/integrations/slack/test", {}).json()
    assert (revoked["ok"], revoked["error"]) == (False, "token_revoked")


def test_channels_come_from_every_page_with_private_ones_the_bot_is_in(
    admin_api: Api, connected: Workspace, slack: SlackState
) -> None:
    slack.add_channels(connected, 450, prefix="team")
    slack.add_channel(connected, "sre-private", private=True, bot_member=True)
    slack.add_channel(connected, "hr-secret", private=True, bot_member=False)
    slack.add_channel(connected, "old", archived=True)
    slack.clear_calls()
    channels = admin_api.get("/api/v1/integrations/slack/channels").json()["items"]
    names = {c["name"] for c in channels}
    assert len(names) == 4 + 450 + 1
    assert "sre-private" in names
    assert "hr-secret" not in names
    assert "old" not in names
    assert len(slack.calls("conversations.list")) == 3


def test_environment_credentials_connect_the_workspace_at_start(
    runtime: Runtime, team: Workspace, deliver: Delivery, settings_overrides: dict
) -> None:
    configured = Settings(
        **{
            **runtime.settings.model_dump(),
            "slack_bot_token": team.token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_client_id": "1.2",
        },
    )
    started = build_runtime(configured, clock=runtime.clock)
    started.slack.apply_environment(started.db, started.clock.now())
    started.slack.apply_environment(started.db, started.clock.now())  # a restart changes nothing
    deliver()
    with started.db.read() as session:
        [workspace] = workspaces.list_workspaces(session)
        assert workspace.team_id == team.team_id
        assert credentials.accepted_signing_secrets(
            session, started.secrets, started.clock.now()
        ) == [SIGNING_SECRET]
    started.db.dispose()


def test_health_counts_each_workspaces_own_messages_and_every_delivery(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    slack_server: FakeSlackServer,
    runtime: Runtime,
    deliver: Delivery,
    service_id: int,
) -> None:
    other = slack.create_workspace("Globex")
    slack.add_channel(other, "alerts")
    with runtime.db.write() as session:
        globex = workspaces.store_token(
            session, runtime.secrets, CheckedToken(other.token), now=runtime.clock.now()
        )
        globex.default_channel = "#alerts"
    deliver()
    slack.faults.start_outage(503)
    created = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id})
    deliver.worker.drain()
    with runtime.db.write() as session:
        # Answers to a clicking user belong to no workspace's messages.
        outbox.enqueue(
            session,
            JobKind.SLACK_RESPOND,
            {"response_url": slack_server.response_url(connected.team_id), "text": "t"},
            now=runtime.clock.now(),
        )
        [failed] = session.scalars(
            select(OutboxRow).where(OutboxRow.ordering_key.startswith(f"slack:{globex.id}:"))
        )
        failed.state = OutboxState.FAILED
    view = admin_api.get("/api/v1/integrations/slack").json()
    health = {w["team_name"]: w["health"] for w in view["workspaces"]}
    assert (health["Acme Corp"]["messages_waiting"], health["Acme Corp"]["messages_failed"]) == (
        1,
        0,
    )
    assert (health["Globex"]["messages_waiting"], health["Globex"]["messages_failed"]) == (0, 1)

    slack.faults.end_outage()
    deliver()
    delivered = admin_api.get("/api/v1/integrations/slack").json()["health"]["last_delivery_at"]
    runtime.clock.advance(minutes=5)
    admin_api.post(f"/api/v1/incidents/{created.json()['id']}/acknowledge")
    deliver()
    replied = admin_api.get("/api/v1/integrations/slack").json()["health"]["last_delivery_at"]
    assert replied > delivered, "a thread reply and an update count as deliveries"
