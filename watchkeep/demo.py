"""`watchkeep serve --demo`: a living sandbox with no Slack workspace needed.

Starts the fake Slack (`watchkeep.fakeslack`) on loopback with its demo
workspace, points Watchkeep's Slack settings at it, and seeds a small
organisation: an admin (password printed), responders and a viewer whose
emails match the fake Slack's people, two teams, three services, and a few
incidents that the worker then posts into the fake Slack. Schedules and
escalation policies are seeded only where this build has them (it does not
yet). The demo keeps its own data folder (`./data-demo`) unless
WATCHKEEP_DATA_DIR or WATCHKEEP_DATABASE_URL say otherwise, so it never mixes
with a real instance's data. With `--socket-mode`, the fake Slack issues an
app-level token and Slack's requests travel over its Socket Mode WebSocket.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from watchkeep.core import accounts, incidents, services, teams, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Source, Urgency
from watchkeep.fakeslack import FakeSlackServer, SlackState, seed_demo
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials, workspaces
from watchkeep.slack.models import SlackWorkspace
from watchkeep.slack.workspaces import CheckedToken
from watchkeep.web.sandbox.actor import Sandbox

ADMIN_EMAIL = "admin@example.com"
PEOPLE = (
    ("alice@example.com", "Alice Ng", Role.RESPONDER),
    ("bob@example.com", "Bob Osei", Role.RESPONDER),
    ("carol@example.com", "Carol Diaz", Role.VIEWER),
)


@dataclass(frozen=True)
class Demo:
    slack: FakeSlackServer
    admin_password: str
    seeded: bool
    socket_mode: bool = False


def start_fake_slack(host: str = "127.0.0.1") -> FakeSlackServer:
    # A fresh app signing secret each start; Watchkeep is configured with the same one,
    # so the fake's user agent can send it signed clicks.
    state = SlackState(signing_secret=secrets.token_hex(16))
    seed_demo(state)
    return FakeSlackServer(state, host=host).start()


def sandbox(slack: FakeSlackServer, host: str, port: int, *, socket_mode: bool) -> Sandbox:
    """The /sandbox page's handle on the fake; Slack's requests go to this process on
    loopback (the public base URL may be a proxy this process cannot reach)."""
    local = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host  # noqa: S104
    if ":" in local:
        local = "[::1]" if local == "::" else f"[{local}]"
    return Sandbox(slack, f"http://{local}:{port}", socket_mode=socket_mode)


def connect(runtime: Runtime, slack: FakeSlackServer, *, socket_mode: bool = False) -> None:
    """WATCHKEEP_SANDBOX=true without --demo: connect the fake, seed nothing else."""
    with runtime.db.write() as db:
        _connect_fake_slack(runtime, db, slack.state, socket_mode=socket_mode)
    runtime.slack.settings_changed()


def sandbox_banner(runtime: Runtime) -> str:
    url = runtime.settings.base_url.rstrip("/")
    return (
        "\nWatchkeep with the Slack sandbox (WATCHKEEP_SANDBOX=true): Slack is the built-in "
        f"fake, drawn at {url}/sandbox. Its workspaces replace any Slack connected before.\n"
    )


def settings_overrides(
    slack: FakeSlackServer, port: int, *, demo: bool = True
) -> dict[str, object]:
    overrides: dict[str, object] = {
        "slack_api_url": slack.url,
        "slack_oauth_url": f"{slack.base_url}/oauth/v2/authorize",
    }
    if not os.environ.get("WATCHKEEP_BASE_URL"):
        overrides["base_url"] = f"http://127.0.0.1:{port}"
    if (
        demo
        and not os.environ.get("WATCHKEEP_DATA_DIR")
        and not os.environ.get("WATCHKEEP_DATABASE_URL")
    ):
        overrides["data_dir"] = Path("data-demo")
    return overrides


def seed(runtime: Runtime, slack: FakeSlackServer, *, socket_mode: bool = False) -> Demo:
    """Seed once (a second start keeps the data), and connect this run's fake Slack."""
    now = runtime.clock.now()
    password = secrets.token_urlsafe(12)
    with runtime.db.write() as db:
        fresh = accounts.find_user_by_email(db, ADMIN_EMAIL) is None
        admin, _ = accounts.ensure_admin(
            db, email=ADMIN_EMAIL, name="Ada Admin", password=password, now=now
        )
        _connect_fake_slack(runtime, db, slack.state, socket_mode=socket_mode)
        if fresh:
            _seed_organisation(runtime, db, Actor.for_user(admin, Source.WEB))
    runtime.slack.settings_changed()
    return Demo(slack, password, fresh, socket_mode)


def _connect_fake_slack(
    runtime: Runtime, db: Session, state: SlackState, *, socket_mode: bool
) -> None:
    # The fake Slack is new on every start: forget the last run's workspace.
    db.execute(delete(SlackWorkspace))
    [workspace] = list(state.workspaces.values())
    now = runtime.clock.now()
    credentials.set_app_credentials(
        db,
        runtime.secrets,
        {
            "client_id": state.client_id,
            "client_secret": state.client_secret,
            "signing_secret": state.signing_secret,
            # The last run's token belongs to the last run's fake: a new one, or none.
            "app_token": state.issue_app_token() if socket_mode else None,
        },
        now=now,
    )
    connected = workspaces.store_token(
        db,
        runtime.secrets,
        CheckedToken(workspace.token),
        now=now,
        team={
            "id": workspace.team_id,
            "name": workspace.name,
            "bot_user_id": workspace.bot_user_id,
        },
    )
    workspaces.update_preferences(connected, {"default_channel": "#incidents"}, now=now)


def _seed_organisation(runtime: Runtime, db: Session, admin: Actor) -> None:
    now = runtime.clock.now()
    people = {
        email: accounts.create_user(
            db, email=email, name=name, role=role, now=now, password=secrets.token_urlsafe(16)
        )
        for email, name, role in PEOPLE
    }
    sre = teams.create_team(
        db,
        name="SRE",
        now=now,
        description="Keeps the lights on",
        member_ids=[people["alice@example.com"].id, people["bob@example.com"].id],
    )
    payments = teams.create_team(
        db, name="Payments", now=now, member_ids=[people["bob@example.com"].id]
    )
    checkout = services.create_service(
        db,
        name="checkout",
        now=now,
        description="Takes the money",
        team_id=payments.id,
        slack_channel="#incidents",
        ack_sla_minutes=15,
        resolve_sla_minutes=240,
    )
    api = services.create_service(
        db, name="public-api", now=now, team_id=sre.id, ack_sla_minutes=5, resolve_sla_minutes=60
    )
    services.create_service(db, name="search", now=now, team_id=sre.id)
    monitor = Actor(name="Prometheus", source=Source.API)
    incidents.create_incident(
        db,
        title="Checkout 502s above 5%",
        service_id=checkout.id,
        urgency=Urgency.HIGH,
        actor=monitor,
        now=now,
        description="The load balancer reports 502s from checkout-7f9c since 09:12.",
    )
    second, _ = incidents.create_incident(
        db,
        title="p99 latency over 800ms",
        service_id=api.id,
        urgency=Urgency.MEDIUM,
        actor=monitor,
        now=now,
    )
    alice = Actor.for_user(people["alice@example.com"], Source.WEB)
    transitions.acknowledge(db, second.id, alice, now=now)
    transitions.add_note(db, second.id, alice, now=now, text="Looking at the slow query log.")
    third, _ = incidents.create_incident(
        db,
        title="Certificate renewal failed",
        service_id=api.id,
        urgency=Urgency.LOW,
        actor=admin,
        now=now,
    )
    transitions.resolve(db, third.id, admin, now=now, note="Renewed by hand; cron fixed.")


def banner(demo: Demo, runtime: Runtime) -> str:
    url = runtime.settings.base_url
    lines = [
        "",
        "Watchkeep demo",
        f"  Open {url} and sign in as {ADMIN_EMAIL} with password: {demo.admin_password}",
        f"  Fake Slack Web API: {demo.slack.url} (workspace 'Watchkeep Demo', #incidents)",
        *(
            ["  Socket Mode: Slack's requests arrive over the fake's WebSocket"]
            if demo.socket_mode
            else []
        ),
        "  Schedules and escalation policies are not seeded: this build has none yet.",
        "  Data stays in "
        + (
            str(runtime.settings.data_dir)
            if runtime.settings.embedded
            else "the configured database"
        )
        + "; delete it to start over.",
        "",
    ]
    if not demo.seeded:
        lines.insert(2, "  (already seeded earlier: the admin's password was reset)")
    return "\n".join(lines)
