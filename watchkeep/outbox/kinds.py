"""Every kind of outbox row, in one place.

The value is what the table stores, so a kind is never renamed: rows of the old
name would find no handler. Each family (the part before the dot) belongs to
one package, which registers the handlers.
"""

from __future__ import annotations

import enum


class JobKind(enum.StrEnum):
    # Domain events, fanned out to subscribers by the event bus.
    EVENT = "event"
    # Timers of the core and on-call.
    SNOOZE_EXPIRED = "timer.snooze_expired"
    ESCALATION_STEP = "timer.escalation_step"
    SLA_CHECK = "timer.sla_check"
    # A followed schedule's next handoff (on-call user groups follow it).
    SCHEDULE_HANDOFF = "timer.schedule_handoff"
    # Runbooks: one step of a run (executed by the Slack adapter), and the repeat timer.
    RUNBOOK_STEP = "runbook.step"
    RUNBOOK_REPEAT = "runbook.repeat"
    # Slack delivery.
    SLACK_POST = "slack.post"
    SLACK_REPLY = "slack.reply"
    SLACK_REFRESH = "slack.refresh"
    SLACK_IDENTIFY = "slack.identify"
    SLACK_RESPOND = "slack.respond"
    # Paging by DM: the card to one person, its updates, and the "DM again" timer.
    SLACK_DM = "slack.dm"
    SLACK_DM_REFRESH = "slack.dm_refresh"
    SLACK_DM_REPEAT = "slack.dm_repeat"
    # A schedule's on-call user group made equal to who is on call.
    SLACK_USERGROUP_SYNC = "slack.usergroup_sync"
    # The Events API: one delivered event's work, and a plain reply it asked for.
    SLACK_EVENT = "slack.event"
    SLACK_SAY = "slack.say"
    # A channel's storm digest: posted ahead of the storm, updated as it grows.
    SLACK_DIGEST = "slack.digest"

    @property
    def family(self) -> str:
        return self.value.split(".", 1)[0]
