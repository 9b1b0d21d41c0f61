"""On-call user groups: a schedule's `slack_user_group` (`@payments-oncall`) kept
equal to who is on call, in every connected workspace.

At each handoff and each change of the schedule (`watchkeep.oncall.handoffs`),
one `slack.usergroup_sync` job per workspace finds the group by its handle
(`usergroups.list`, enabling it if it was disabled) or creates it
(`usergroups.create`), then sets its members to the person on call now
(`usergroups.users.update`), mapped by email. What it did, or Slack's error
(a missing scope, a free plan's `paid_teams_only`), is kept per workspace in
`SlackUserGroup` and shown on the schedule's page. Nobody on call, or nobody
Slack knows: the group keeps its members (Slack refuses an empty group) and
the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.oncall import roster
from watchkeep.oncall.models import Schedule
from watchkeep.outbox import JobKind, keys, queries
from watchkeep.slack import workspaces
from watchkeep.slack.delivery import SlackDelivery
from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.models import SlackUserGroup, SlackUserLink, SlackWorkspace
from watchkeep.slack.users import slack_ids_for_emails
from watchkeep.worker.handlers import JobContext


def on_handoff(session: Session, schedule_id: int, now: datetime) -> None:
    """A handoff listener: sync the schedule's group in each workspace (coalesced)."""
    for workspace in workspaces.list_workspaces(session):
        key = keys.slack_usergroup(workspace.id, schedule_id)
        if not queries.has_unstarted(session, JobKind.SLACK_USERGROUP_SYNC, key):
            payload = {"workspace_id": workspace.id, "schedule_id": schedule_id}
            outbox.enqueue(
                session, JobKind.SLACK_USERGROUP_SYNC, payload, now=now, ordering_key=key
            )


def groups_of(session: Session, schedule_id: int) -> list[tuple[SlackWorkspace, SlackUserGroup]]:
    """Each workspace's state of the schedule's group, for the schedule's page."""
    rows = session.execute(
        select(SlackWorkspace, SlackUserGroup)
        .join(SlackUserGroup, SlackUserGroup.workspace_id == SlackWorkspace.id)
        .where(SlackUserGroup.schedule_id == schedule_id)
        .order_by(SlackWorkspace.id)
    )
    return [(workspace, group) for workspace, group in rows]


def member_names(session: Session, group: SlackUserGroup) -> list[str]:
    """The group's members by their Slack names, as far as Watchkeep has met them."""
    names = dict(
        session.execute(
            select(SlackUserLink.slack_user_id, SlackUserLink.slack_name).where(
                SlackUserLink.workspace_id == group.workspace_id,
                SlackUserLink.slack_user_id.in_(group.members),
            )
        ).all()
    )
    return [names.get(member) or member for member in group.members]


@dataclass(frozen=True)
class _Wanted:
    workspace: SlackWorkspace
    schedule_id: int
    name: str
    handle: str
    known_id: str | None  # the group's id, when it was found or made for this handle
    on_call_email: str | None
    on_call_name: str | None


@dataclass
class UserGroups:
    """The handler of `slack.usergroup_sync`, over the paced delivery."""

    delivery: SlackDelivery

    def sync(self, context: JobContext) -> None:
        wanted = self._wanted(context)
        if wanted is None:
            return
        now = context.clock.now()
        group_id, members, note = wanted.known_id, None, None
        try:
            group_id = group_id or self._find_or_create(context, wanted)
            members, note = self._members(context, wanted)
            if members:
                self._update(context, wanted.workspace, group_id, members)
        except SlackPermanentError as exc:
            with context.transaction() as session:
                row = _row(session, wanted)
                # A group deleted in Slack is looked for (or made) again next time.
                row.usergroup_id = None if exc.error == "no_such_subteam" else group_id
                row.last_error, row.last_error_at = f"Slack said: {exc}", now
            return
        with context.transaction() as session:
            row = _row(session, wanted)
            row.usergroup_id = group_id
            if members:
                row.members, row.synced_at = members, now
            row.last_error, row.last_error_at = note, now if note else None
            workspaces.mark_delivered(session, wanted.workspace.id, now)

    def _wanted(self, context: JobContext) -> _Wanted | None:
        payload = context.job.payload
        now = context.clock.now()
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            schedule = session.get(Schedule, payload["schedule_id"])
            if workspace is None or schedule is None or not schedule.slack_user_group:
                return None
            known = session.scalar(
                select(SlackUserGroup).where(
                    SlackUserGroup.schedule_id == schedule.id,
                    SlackUserGroup.workspace_id == workspace.id,
                )
            )
            user = roster.on_call_user(session, schedule, now)
            person = user if user is not None and user.is_active else None
            handle = schedule.slack_user_group
            return _Wanted(
                workspace,
                schedule.id,
                schedule.name,
                handle,
                known.usergroup_id if known is not None and known.handle == handle else None,
                person.email if person else None,
                person.name if person else None,
            )

    def _find_or_create(self, context: JobContext, wanted: _Wanted) -> str:
        listed = self._call(context, wanted.workspace, "usergroups.list", include_disabled=True)
        for group in listed.get("usergroups", []):
            if group.get("handle") == wanted.handle:
                if group.get("date_delete"):
                    self._call(
                        context, wanted.workspace, "usergroups.enable", usergroup=group["id"]
                    )
                return group["id"]
        made = self._call(
            context,
            wanted.workspace,
            "usergroups.create",
            name=f"{wanted.name} on call"[:255],
            handle=wanted.handle,
            description=f"Who is on call for {wanted.name}, kept by Watchkeep",
        )
        return made["usergroup"]["id"]

    def _members(self, context: JobContext, wanted: _Wanted) -> tuple[list[str], str | None]:
        """The Slack ids to set, or none and why the group keeps its members."""
        keeps = f"@{wanted.handle} keeps its members"
        if wanted.on_call_email is None:
            return [], f"Nobody is on call: {keeps}."
        found = slack_ids_for_emails(
            self.delivery, context, wanted.workspace, [wanted.on_call_email]
        )
        slack_id = found.get(wanted.on_call_email.lower())
        if slack_id is None:
            return [], f"{wanted.on_call_name} is on call but not in this Slack workspace: {keeps}."
        return [slack_id], None

    def _update(
        self, context: JobContext, workspace: SlackWorkspace, group_id: str, members: list[str]
    ) -> None:
        self._call(
            context,
            workspace,
            "usergroups.users.update",
            usergroup=group_id,
            users=",".join(members),
        )

    def _call(
        self, context: JobContext, workspace: SlackWorkspace, method: str, **params: Any
    ) -> dict[str, Any]:
        return self.delivery.call(context, workspace, method, None, **params)


def _row(session: Session, wanted: _Wanted) -> SlackUserGroup:
    row = session.scalar(
        select(SlackUserGroup).where(
            SlackUserGroup.schedule_id == wanted.schedule_id,
            SlackUserGroup.workspace_id == wanted.workspace.id,
        )
    )
    if row is None:
        row = SlackUserGroup(
            schedule_id=wanted.schedule_id, workspace_id=wanted.workspace.id, members=[]
        )
        session.add(row)
    row.handle = wanted.handle
    return row
