"""The Slack adapter as the rest of Watchkeep sees it: one object holding the
gateway, outbox delivery and workspace administration, wired in at start-up."""

from __future__ import annotations

from datetime import datetime

from watchkeep.clock import Clock
from watchkeep.config import Settings
from watchkeep.crypto import SecretBox
from watchkeep.db.engine import Database
from watchkeep.outbox import JobKind
from watchkeep.outbox.bus import EventBus
from watchkeep.slack import credentials, dm, notifier, usergroups, workspaces
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.connector_admin import ConnectorAdmin
from watchkeep.slack.delivery import SlackDelivery
from watchkeep.slack.direct import DirectCalls
from watchkeep.slack.events.work import EventWork
from watchkeep.slack.interactive import respond
from watchkeep.slack.models import SlackWorkspace
from watchkeep.slack.runbook_steps import SlackRunbookSteps
from watchkeep.slack.storm import StormDigests
from watchkeep.slack.workspaces import CheckedToken, WorkspaceAdmin
from watchkeep.worker.handlers import Handlers


class SlackAdapter:
    def __init__(self, config: Settings, box: SecretBox, db: Database, clock: Clock) -> None:
        self.config, self.box = config, box
        self.gateway = SlackGateway(config.slack_api_url, timeout=config.slack_timeout_seconds)
        self.delivery = SlackDelivery(self.gateway, box, config.base_url)
        self.direct = DirectCalls(db, self.gateway, box, clock)
        self.admin = WorkspaceAdmin(self.direct)
        self.connectors = ConnectorAdmin(self.direct)
        # The executor of runbook steps, handed to the runbook engine at start-up.
        self.runbook_steps = SlackRunbookSteps(self.delivery)
        self.direct_messages = dm.DirectMessages(self.delivery)
        self.usergroups = usergroups.UserGroups(self.delivery)
        # The Events API's work: notes from pins and reactions, joins, App Home.
        self.events = EventWork(self.delivery)
        self.storm_digests = StormDigests(self.delivery)
        # Bumped when settings change in this process, so caches of them refresh at once.
        self.generation = 0

    def settings_changed(self) -> None:
        self.generation += 1

    def register(self, handlers: Handlers, bus: EventBus) -> None:
        job = self.delivery.job
        handlers.register(JobKind.SLACK_POST, job(self.delivery.post))
        handlers.register(JobKind.SLACK_REPLY, job(self.delivery.reply))
        handlers.register(JobKind.SLACK_REFRESH, job(self.delivery.refresh))
        handlers.register(JobKind.SLACK_IDENTIFY, self.delivery.identify)
        handlers.register(
            JobKind.SLACK_RESPOND, respond.make_sender(self.gateway, self.config.slack_api_url)
        )
        bus.subscribe(notifier.fan_out)
        handlers.register(JobKind.SLACK_DM, job(self.direct_messages.post))
        handlers.register(JobKind.SLACK_DM_REFRESH, job(self.direct_messages.refresh))
        handlers.register_batch(JobKind.SLACK_DM_REPEAT, dm.fire_repeats)
        bus.subscribe(dm.on_event)
        handlers.register(JobKind.SLACK_USERGROUP_SYNC, job(self.usergroups.sync))
        handlers.register(JobKind.SLACK_EVENT, job(self.events.run))
        handlers.register(JobKind.SLACK_SAY, job(self.events.say))
        handlers.register(JobKind.SLACK_DIGEST, job(self.storm_digests.run))

    def apply_environment(self, db: Database, now: datetime) -> None:
        """WATCHKEEP_SLACK_* settings, at every start: each one whose value differs from
        what the environment gave last time is applied; an unchanged one leaves alone
        whatever an admin has set since through the API or the web UI."""
        c = self.config
        given = {
            name: value
            for name, value in (
                ("client_id", c.slack_client_id),
                ("client_secret", c.slack_client_secret),
                ("signing_secret", c.slack_signing_secret),
                ("app_token", c.slack_app_token),
                ("bot_token", c.slack_bot_token),
            )
            if value
        }
        if not given:
            return
        with db.write() as session:
            changed = credentials.environment_changes(session, self.box, given, now=now)
            token = changed.pop("bot_token", None)
            if changed:
                credentials.set_app_credentials(session, self.box, changed, now=now)
            if token:
                primary = workspaces.primary_workspace(session)
                if primary is None or self.token(primary) != token:
                    # Not checked with Slack here: a start must not wait for Slack.
                    checked = CheckedToken(token)
                    workspaces.store_token(session, self.box, checked, now=now, workspace=primary)
        self.settings_changed()

    def token(self, workspace: SlackWorkspace) -> str:
        return workspaces.bot_token(self.box, workspace)
