"""Credential rotation that sticks: environment values versus the API, and replicas
that accept a new signing secret the moment another replica stored it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.config import Settings
from watchkeep.fakeslack import FakeSlackServer, SlackState, SlackUserAgent, User, Workspace
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.slack import credentials, workspaces
from watchkeep.slack.models import SlackApp

from slack_story import send_through
from support import Api, Delivery, FrozenClock

ENV_SECRET = "env-secret-00000000000000000000"
API_SECRET = "api-secret-11111111111111111111"
NEW_ENV_SECRET = "env-secret-22222222222222222222"


@contextmanager
def started(runtime: Runtime, **environment: str) -> Iterator[Runtime]:
    """A process start on the same database with these WATCHKEEP_SLACK_* values."""
    settings = Settings(**{**runtime.settings.model_dump(), **environment})
    process = build_runtime(settings, clock=runtime.clock)
    process.slack.apply_environment(process.db, process.clock.now())
    try:
        yield process
    finally:
        process.db.dispose()


def accepted(runtime: Runtime) -> list[str]:
    with runtime.db.read() as session:
        return credentials.accepted_signing_secrets(session, runtime.secrets, runtime.clock.now())


def app_row(runtime: Runtime) -> SlackApp:
    with runtime.db.read() as session:
        app = session.get(SlackApp, 1)
        assert app is not None
        return app


def test_a_change_through_the_api_wins_over_the_environment_until_the_environment_changes(
    runtime: Runtime, admin_api: Api, clock: FrozenClock
) -> None:
    env = {"slack_signing_secret": ENV_SECRET, "slack_client_id": "111.222"}
    with started(runtime, **env):
        assert accepted(runtime) == [ENV_SECRET]
    body = {"signing_secret": API_SECRET, "client_id": "333.444"}
    assert admin_api.put("/api/v1/integrations/slack", body).status_code == 200
    with started(runtime, **env):
        assert accepted(runtime) == [API_SECRET, ENV_SECRET], "the old one for the grace period"
        assert app_row(runtime).client_id == "333.444"
    clock.advance(minutes=11)
    with started(runtime, **env):
        assert accepted(runtime) == [API_SECRET], "a restart never brings the old value back"
    # A new value in the environment is a new decision: it wins, the API's value gets the grace.
    new_env = {"slack_signing_secret": NEW_ENV_SECRET, "slack_client_id": "555.666"}
    with started(runtime, **new_env):
        assert accepted(runtime) == [NEW_ENV_SECRET, API_SECRET]
        assert app_row(runtime).client_id == "555.666"
    with started(runtime, **new_env):
        assert accepted(runtime) == [NEW_ENV_SECRET, API_SECRET], "applied once, not per start"


def test_the_database_keeps_only_a_keyed_digest_of_what_the_environment_gave(
    runtime: Runtime,
) -> None:
    with started(runtime, slack_client_secret="client-secret-from-env"):
        digests = app_row(runtime).environment_digests
    assert digests is not None
    assert set(digests) == {"client_secret"}
    assert "client-secret-from-env" not in digests["client_secret"]
    assert digests["client_secret"] == runtime.secrets.digest(
        "client_secret:client-secret-from-env"
    )


def test_a_bot_token_pasted_in_the_ui_survives_a_restart_with_the_old_env_token(
    runtime: Runtime, admin_api: Api, slack: SlackState, team: Workspace, deliver: Delivery
) -> None:
    with started(runtime, slack_bot_token=team.token):
        deliver()
    new_token = slack.issue_token(team)
    assert admin_api.put("/api/v1/integrations/slack", {"bot_token": new_token}).status_code == 200
    with started(runtime, slack_bot_token=team.token) as process, process.db.read() as session:
        [workspace] = workspaces.list_workspaces(session)
        assert workspaces.bot_token(process.secrets, workspace) == new_token


def test_a_secret_rotated_through_one_replica_is_accepted_by_the_other_at_once(
    runtime: Runtime,
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    connected: Workspace,
    agent: SlackUserAgent,
) -> None:
    rita: User = slack.add_user(connected, "rita", email="rita@example.com")
    with started(runtime) as replica, TestClient(create_app(replica, run_worker=False)) as other:
        on_other = slack_server.user_agent(send_through(other))
        # The other replica has read the secret, and caches it.
        assert on_other.command(rita, "/watchkeep help", channel="#ops").status == 200
        old = slack.signing_secret
        slack.signing_secret = API_SECRET
        assert (
            admin_api.put("/api/v1/integrations/slack", {"signing_secret": API_SECRET})
            .json()["signing_secret"]
            .endswith(API_SECRET[-4:])
        )
        assert on_other.command(rita, "/watchkeep help", channel="#ops").status == 200
        slack.signing_secret = old
        assert on_other.command(rita, "/watchkeep help", channel="#ops").status == 200
        slack.signing_secret = "never-was-the-secret-000000000"
        assert on_other.command(rita, "/watchkeep help", channel="#ops").status == 401
