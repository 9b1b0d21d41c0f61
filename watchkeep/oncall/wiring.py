"""Plugs on-call into the runtime: the escalation and SLA subscribers and their timers,
and the handoff timers of followed schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeep.oncall import escalation, sla
from watchkeep.outbox import JobKind

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


def register_oncall(runtime: Runtime) -> None:
    runtime.bus.subscribe(escalation.on_event)
    runtime.bus.subscribe(sla.on_event)
    # Batch handlers: registered through `Handlers.register` too, so a single due row
    # runs in `context.transaction()`; many due at once (a sweep) share one transaction.
    runtime.handlers.register_batch(JobKind.ESCALATION_STEP, escalation.fire_steps)
    runtime.handlers.register_batch(JobKind.SLA_CHECK, sla.check_targets)
    runtime.handlers.register_batch(JobKind.SCHEDULE_HANDOFF, runtime.handoffs.fire)
