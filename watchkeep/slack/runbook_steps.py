"""The Slack side of runbooks: each operation as paced calls through `SlackDelivery.call`.

Every call shares the outbox's pacing and 429 handling. What a step made is
saved as soon as Slack answers (`work.save`), so the step's next attempt
resumes where this one stopped. A message whose post may or may not have
reached Slack (a timeout, a crash) is found again by its metadata before it is
posted twice. Slack's refusals that mean "no" become `StepFailed` with
Slack's exact error; invitations of people Slack does not know are listed in
the step's result instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.connector_models import Connector
from watchkeep.runbooks import connectors
from watchkeep.runbooks.engine import StepFailed, StepWork
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack import runbook_blocks, runbook_channels, senders, workspaces
from watchkeep.slack.delivery import SlackDelivery
from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.models import SlackMessageRef
from watchkeep.slack.runbook_channels import is_channel_id, outcome_known
from watchkeep.slack.senders import Sender
from watchkeep.slack.users import slack_ids_for_emails
from watchkeep.worker.handlers import JobContext, RetryLater

METADATA_TYPE = "watchkeep_runbook_step"
# How long a step waits for `[incident.channel]` to exist (the incident's announcement,
# or another runbook's channel, may still be on its way): attempts of 5 seconds.
CHANNEL_WAIT_ATTEMPTS = 12
MAX_TOPIC = 250
# Refusals of single people: the step goes on without them.
PERSONAL_ERRORS = {"already_in_channel", "cant_invite_self", "user_not_found", "user_disabled"}


@dataclass
class SlackRunbookSteps:
    delivery: SlackDelivery

    def notification_channel(self, session: Session, incident_id: int) -> str | None:
        return session.scalar(
            select(SlackMessageRef.channel_id)
            .where(SlackMessageRef.incident_id == incident_id)
            .order_by(SlackMessageRef.id)
            .limit(1)
        )

    def incident_url(self, incident_id: int) -> str:
        return self.delivery.incident_url(incident_id)

    def execute(self, context: JobContext, work: StepWork) -> dict[str, Any]:
        sender = self._sender(context, work)
        for key, value in senders.made_by(sender).items():
            work.result.setdefault(key, value)
        try:
            result = getattr(self, f"_{work.operation}")(context, sender, work)
        except SlackPermanentError as exc:
            _health(context, sender, f"Slack {exc.method} failed: {exc.error}")
            raise StepFailed(exc.error, exc.method) from exc
        except StepFailed as exc:
            _health(context, sender, f"runbook step failed: {exc}")
            raise
        _health(context, sender, None)
        return result

    def _sender(self, context: JobContext, work: StepWork) -> Sender:
        """The runbook's connection: a team's connector, else the primary workspace."""
        with context.db.read() as session:
            if work.connector_id is not None:
                connector = session.get(Connector, work.connector_id)
                if connector is None:
                    raise StepFailed("connector_not_found", f"connector {work.connector_id}")
                return connector
            workspace = workspaces.primary_workspace(session)
        if workspace is None:
            raise StepFailed("not_connected", "no Slack workspace is connected")
        return workspace

    # ---- operations ----------------------------------------------------
    def _create_channel(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        if isinstance(workspace, Connector) and not connectors.may_create(
            workspace, work.params["name"]
        ):
            prefix = workspace.channel_prefix
            raise StepFailed(
                "channel_not_allowed",
                f"connector {workspace.name!r} creates only channels named {prefix}…"
                if prefix
                else f"connector {workspace.name!r} has no channel prefix: it creates no channels",
            )
        runbook_channels.create(self, context, workspace, work)
        channel = work.result["channel_id"]
        if work.params.get("description") and not work.result.get("purpose_set"):
            purpose = work.params["description"][:MAX_TOPIC]
            self.delivery.call(
                context, workspace, "conversations.setPurpose", channel, purpose=purpose
            )
            work.result["purpose_set"] = True
            work.save(work.result)
        if work.params.get("topic") and not work.result.get("topic_set"):
            self._topic(context, workspace, channel, work.params["topic"])
            work.result["topic_set"] = True
            work.save(work.result)
        if work.params.get("add_users"):
            self._invite(context, workspace, channel, work)
        return work.result

    def _invite_users(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        channel = self._channel_id(context, workspace, work)
        self._invite(context, workspace, channel, work)
        return work.result

    def _send_message(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        message: dict[str, Any] = {}
        if work.params.get("message"):
            message["text"] = work.params["message"]
        if work.params.get("blocks"):
            message["blocks"] = runbook_blocks.blocks(work.params["blocks"])
            message.setdefault("text", work.params.get("message") or "Runbook message")
        return self._post(context, workspace, work, message)

    def _create_thread(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        return self._post(context, workspace, work, {"text": work.params["message"]})

    def _post_summary(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        return self._post(
            context, workspace, work, runbook_blocks.summary_message(work.params["summary"])
        )

    def _set_topic(self, context: JobContext, workspace: Sender, work: StepWork) -> dict[str, Any]:
        channel = self._channel_id(context, workspace, work)
        self._topic(context, workspace, channel, work.params["topic"])
        work.result["topic"] = work.params["topic"][:MAX_TOPIC]
        return work.result

    def _archive_channel(
        self, context: JobContext, workspace: Sender, work: StepWork
    ) -> dict[str, Any]:
        channel = self._channel_id(context, workspace, work)
        try:
            self.delivery.call(context, workspace, "conversations.archive", channel)
        except SlackPermanentError as exc:
            if exc.error != "already_archived":
                raise
            work.result["already_archived"] = True
        return work.result

    # ---- shared pieces ---------------------------------------------------
    def _topic(self, context: JobContext, workspace: Sender, channel: str, topic: str) -> None:
        self.delivery.call(
            context, workspace, "conversations.setTopic", channel, topic=topic[:MAX_TOPIC]
        )

    def _invite(self, context: JobContext, workspace: Sender, channel: str, work: StepWork) -> None:
        result, wanted = work.result, work.params["add_users"]
        if "invited" in result:
            return
        found = slack_ids_for_emails(self.delivery, context, workspace, wanted["emails"])
        unmapped = [email for email in wanted["emails"] if email.lower() not in found]
        users = [
            uid for uid in [*found.values(), *wanted["slack_ids"]] if uid != workspace.bot_user_id
        ]
        users = list(dict.fromkeys(users))
        result["unmapped"] = [*wanted["unresolved"], *(f"{e}: no Slack user" for e in unmapped)]
        not_invited: list[dict[str, str]] = []
        if users:
            try:
                answer = self.delivery.call(
                    context,
                    workspace,
                    "conversations.invite",
                    channel,
                    users=",".join(users),
                    force=True,
                )
                not_invited = list(answer.get("errors") or [])
            except SlackPermanentError as exc:
                if exc.error not in PERSONAL_ERRORS:
                    raise
                not_invited = [{"user": uid, "error": exc.error} for uid in users]
        failed = {entry.get("user") for entry in not_invited}
        result["invited"] = [uid for uid in users if uid not in failed]
        result["not_invited"] = [
            {"user": entry.get("user", ""), "error": entry.get("error", "")}
            for entry in not_invited
        ]
        work.save(result)

    def _post(
        self,
        context: JobContext,
        workspace: Sender,
        work: StepWork,
        message: dict[str, Any],
    ) -> dict[str, Any]:
        result = work.result
        if "ts" in result:
            return result
        target = work.params["channel"].strip().removeprefix("#")
        if not target:
            _no_channel_yet(context)
        incident_channel = self._incident_channel_id(context, work.incident_id, target)
        _guard(context, workspace, work, target)
        target = incident_channel or (target if is_channel_id(target) else f"#{target}")
        if result.get("posting"):
            found = self._find_posted(context, workspace, work, target)
            if found is not None:
                result.update(channel_id=found[0], ts=found[1])
                result.pop("posting", None)
                work.save(result)
                return result
        result["posting"] = True
        work.save(result)
        metadata = {
            "event_type": METADATA_TYPE,
            "event_payload": {"run_id": work.run_id, "position": work.position},
        }
        try:
            answer = self.delivery.call(
                context,
                workspace,
                "chat.postMessage",
                target,
                metadata=metadata,
                unfurl_links=False,
                **message,
            )
        except RetryLater as exc:
            if outcome_known(exc):
                result.pop("posting", None)
                work.save(result)
            raise
        result.pop("posting", None)
        result.update(channel_id=answer["channel"], ts=answer["ts"])
        work.save(result)
        return result

    def _find_posted(
        self, context: JobContext, workspace: Sender, work: StepWork, target: str
    ) -> tuple[str, str] | None:
        """Our earlier post of this step, if Slack has it (its metadata names the step)."""
        channel = target if is_channel_id(target) else self._lookup_id(context, workspace, target)
        answer = self.delivery.call(
            context,
            workspace,
            "conversations.history",
            channel,
            limit=50,
            include_all_metadata=True,
        )
        mine = {"run_id": work.run_id, "position": work.position}
        for message in answer.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_TYPE
                and metadata.get("event_payload") == mine
            ):
                return channel, message["ts"]
        return None

    def _channel_id(self, context: JobContext, workspace: Sender, work: StepWork) -> str:
        """The channel a conversations.* step acts on, as an id."""
        if "channel_id" in work.result:
            return work.result["channel_id"]
        ref = work.params["channel"].strip().removeprefix("#")
        if not ref:
            _no_channel_yet(context)
        channel = self._incident_channel_id(context, work.incident_id, ref)
        _guard(context, workspace, work, ref)
        channel = channel or (
            ref if is_channel_id(ref) else self._lookup_id(context, workspace, ref)
        )
        work.result["channel_id"] = channel
        work.save(work.result)
        return channel

    def _lookup_id(self, context: JobContext, workspace: Sender, name: str) -> str:
        found = runbook_channels.find_by_name(self, context, workspace, name.removeprefix("#"))
        if found is None:
            raise StepFailed("channel_not_found", f"#{name.removeprefix('#')}")
        return found["id"]

    @staticmethod
    def _incident_channel_id(context: JobContext, incident_id: int, ref: str) -> str | None:
        with context.db.read() as session:
            channel = session.get(IncidentChannel, incident_id)
            if channel is not None and ref in (channel.name, channel.channel_id):
                return channel.channel_id
        return None


def _no_channel_yet(context: JobContext) -> None:
    """`[incident.channel]` is still empty: wait a little for it, then give up."""
    if context.job.attempts < CHANNEL_WAIT_ATTEMPTS:
        raise RetryLater("the incident has no channel yet", after_seconds=5)
    raise StepFailed("channel_not_found", "the incident has no channel")


def _guard(context: JobContext, sender: Sender, work: StepWork, ref: str) -> None:
    """A connector acts only in its allowed channels and the incident channel it made."""
    if not isinstance(sender, Connector):
        return
    with context.db.read() as session:
        channel = session.get(IncidentChannel, work.incident_id)
        made_by_it = (
            channel is not None
            and channel.connector_id == sender.id
            and ref in (channel.name, channel.channel_id)
        )
    if not connectors.channel_allowed(sender, ref, made_by_it):
        raise StepFailed("channel_not_allowed", f"connector {sender.name!r} may not post to #{ref}")


def _health(context: JobContext, sender: Sender, error: str | None) -> None:
    """A connector's own health: its last error, or its last good step."""
    if not isinstance(sender, Connector):
        return
    now = context.clock.now()
    with context.db.write() as session:
        row = session.get(Connector, sender.id)
        if row is None:
            return
        if error is None:
            row.last_delivery_at = now
        else:
            row.last_error, row.last_error_at = error, now
