"""Plugs runbooks into the runtime: the trigger subscriber, the step and repeat jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeep.outbox import JobKind
from watchkeep.runbooks import triggers
from watchkeep.runbooks.engine import Engine, StepExecutor

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


def register_runbooks(runtime: Runtime, executor: StepExecutor) -> Engine:
    engine = Engine(executor)
    runtime.bus.subscribe(triggers.on_event)
    runtime.handlers.register(JobKind.RUNBOOK_STEP, engine.run_step)
    runtime.handlers.register_batch(JobKind.RUNBOOK_REPEAT, triggers.fire_repeats)
    return engine
