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
    # Runbooks: one step of a run (executed by the Slack adapter), and the repeat timer.
    RUNBOOK_STEP = "runbook.step"
    RUNBOOK_REPEAT = "runbook.repeat"
    # Slack delivery.
    SLACK_POST = "slack.post"
    SLACK_REPLY = "slack.reply"
    SLACK_REFRESH = "slack.refresh"
    SLACK_IDENTIFY = "slack.identify"
    SLACK_RESPOND = "slack.respond"

    @property
    def family(self) -> str:
        return self.value.split(".", 1)[0]
