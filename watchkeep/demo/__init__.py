"""`watchkeep serve --demo`: a living sandbox with no Slack workspace needed.

Starts the fake Slack (`watchkeep.fakeslack`) on loopback with two
workspaces, points Watchkeep's Slack settings at it, and seeds an
organisation once (`organisation`): an admin (password printed), people
whose emails match the fake Slack's, schedules, escalation policies, SLA
targets, runbooks and incidents that the worker then posts into the fake
Slack, where `/sandbox` shows them. The demo keeps its own data folder
(`./data-demo`) unless WATCHKEEP_DATA_DIR or WATCHKEEP_DATABASE_URL say
otherwise, so it never mixes with a real instance's data; the fake Slack's
world is kept there too (`fakeslack.json`), so a restart keeps its messages.
With `--socket-mode`, the fake Slack issues an app-level token and Slack's
requests travel over its Socket Mode WebSocket. `WATCHKEEP_SANDBOX=true`
without `--demo` starts and connects the fake Slack and seeds nothing.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from watchkeep.config import Settings
from watchkeep.core import accounts
from watchkeep.core.actors import Actor
from watchkeep.core.models import Source
from watchkeep.demo import organisation
from watchkeep.demo.organisation import ADMIN_EMAIL
from watchkeep.fakeslack import FakeSlackServer, SlackState, persist, seed_demo, seed_second
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials, workspaces
from watchkeep.slack.models import SlackWorkspace
from watchkeep.slack.workspaces import CheckedToken
from watchkeep.web.sandbox.actor import Sandbox

FAKE_STATE_FILE = "fakeslack.json"
DEFAULT_CHANNELS = ("incidents", "ops-alerts")
_FAKE_PATHS = re.compile(r"^/(api/[a-z]+\.[A-Za-z.]+|actions/|oauth/v2/|link/)")


@dataclass(frozen=True)
class Demo:
    slack: FakeSlackServer
    admin_password: str
    seeded: bool
    socket_mode: bool = False
    # A fresh key for the "Demo alerts" Events API integration ("Trigger a sample alert").
    sample_alert_key: str | None = None


@dataclass
class FakeSlack:
    """The fake Slack this process runs, and what keeps its world in the data folder."""

    server: FakeSlackServer
    keeper: persist.Keeper | None
    restored: bool

    def stop(self) -> None:
        self.server.stop()
        if self.keeper is not None:
            self.keeper.stop()


def data_dir(*, demo: bool) -> Path:
    """Where this run keeps its data: the demo's own folder unless told otherwise."""
    if (
        demo
        and not os.environ.get("WATCHKEEP_DATA_DIR")
        and not os.environ.get("WATCHKEEP_DATABASE_URL")
    ):
        return Path("data-demo")
    return Settings().data_dir


def start_fake_slack(folder: Path | None, *, port: int = 0, host: str = "127.0.0.1") -> FakeSlack:
    """The fake Slack, with the world it had when it last stopped (kept in `folder`), or
    freshly seeded: two workspaces and a random app signing secret, which Watchkeep is
    then configured with so the fake's user agent can send it signed requests."""
    path = folder / FAKE_STATE_FILE if folder is not None else None
    state = persist.read(path) if path is not None else None
    restored = state is not None
    if state is None:
        state = SlackState(signing_secret=secrets.token_hex(16))
        seed_demo(state)
        seed_second(state)
    server = FakeSlackServer(state, host=host, port=port).start()
    keeper = None
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        keeper = persist.Keeper(state, path).start()
    quiet_access_log()
    return FakeSlack(server, keeper, restored)


class _NotTheFake(logging.Filter):
    """Drops the fake Slack's lines from the shared uvicorn access log: Watchkeep's
    own paths never have a dot in their first segment, Slack's methods always do."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        path = str(args[2]) if len(args) > 2 else ""
        return not _FAKE_PATHS.match(path)


def quiet_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NotTheFake) for f in access.filters):
        access.addFilter(_NotTheFake())


def browsable(host: str) -> str:
    """The host to put in a link to a server listening on `host`."""
    if host in ("0.0.0.0", "", "::", "localhost"):  # noqa: S104 - naming, not binding
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def sandbox(
    slack: FakeSlackServer,
    host: str,
    port: int,
    *,
    socket_mode: bool,
    sample_alert_key: str | None = None,
) -> Sandbox:
    """The /sandbox page's handle on the fake; Slack's requests go to this process on
    loopback (the public base URL may be a proxy this process cannot reach)."""
    return Sandbox(
        slack,
        f"http://{browsable(host)}:{port}",
        socket_mode=socket_mode,
        sample_alert_key=sample_alert_key,
    )


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


def settings_overrides(slack: FakeSlackServer, folder: Path) -> dict[str, object]:
    return {
        "slack_api_url": slack.url,
        "slack_oauth_url": f"{slack.base_url}/oauth/v2/authorize",
        "data_dir": folder,
    }


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
            organisation.seed(runtime, db, Actor.for_user(admin, Source.WEB))
        key = organisation.sample_alert_key(db, now)
    runtime.slack.settings_changed()
    return Demo(slack, password, fresh, socket_mode, key)


def _connect_fake_slack(
    runtime: Runtime, db: Session, state: SlackState, *, socket_mode: bool
) -> None:
    # Workspaces the fake no longer has (its saved world was deleted) are gone.
    db.execute(delete(SlackWorkspace).where(SlackWorkspace.team_id.not_in(list(state.workspaces))))
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
    for workspace in state.workspaces.values():
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
        channel = next(
            (
                f"#{c.name}"
                for c in state.channels.values()
                if c.team_id == workspace.team_id and c.name in DEFAULT_CHANNELS
            ),
            None,
        )
        if channel is not None:
            workspaces.update_preferences(connected, {"default_channel": channel}, now=now)


def banner(demo: Demo, runtime: Runtime, fake: FakeSlack) -> str:
    """What a newcomer needs, true for this run: where, who, the secret, how to stop."""
    settings = runtime.settings
    url = settings.base_url.rstrip("/")
    state = fake.server.state
    with state.lock:
        teams = ", ".join(f"'{ws.name}'" for ws in state.workspaces.values())
    kept = str(settings.data_dir) if settings.embedded else "the configured database"
    lines = [
        "",
        "Watchkeep demo",
        f"  Open {url} and sign in as {ADMIN_EMAIL} with password: {demo.admin_password}",
        *(["  (seeded earlier: the admin's password was reset)"] if not demo.seeded else []),
        f"  The Slack sandbox: {url}/sandbox (act as any Slack user; no workspace needed)",
        f"  Fake Slack Web API: {fake.server.url} (workspaces {teams})",
        f"  The demo app's signing secret: {state.signing_secret}",
        *(
            ["  Socket Mode: Slack's requests arrive over the fake's WebSocket"]
            if demo.socket_mode
            else []
        ),
        "  Seeded: schedules with an override, two-step escalation policies, SLA targets of"
        " a few minutes, runbooks, incidents in every state.",
        f"  Data (and the fake Slack's messages) stay in {kept}"
        + (f" and {settings.data_dir}" if not settings.embedded else "")
        + "; delete it to start over.",
        "  The server runs in the foreground: press Ctrl-C to stop it; run other commands"
        " in a second terminal.",
        "  (The fake Slack's own requests are left out of the access log below.)",
        "",
    ]
    return "\n".join(lines)
