"""Plugs runbooks into the runtime: the trigger subscriber, the step and repeat jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from watchkeep.outbox import JobKind
from watchkeep.runbooks import triggers
from watchkeep.runbooks.engine import Engine, StepExecutor
from watchkeep.worker.handlers import Handler

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


def register_runbooks(
    runtime: Runtime,
    executor: StepExecutor,
    wrap: Callable[[Handler], Handler] = lambda handler: handler,
) -> Engine:
    """`wrap` is what the executor's transport asks of a job that calls out (Slack's
    pacing: a step that ends leaves its place in the queue at once)."""
    engine = Engine(executor)
    runtime.bus.subscribe(triggers.on_event)
    runtime.handlers.register(JobKind.RUNBOOK_STEP, wrap(engine.run_step))
    runtime.handlers.register_batch(JobKind.RUNBOOK_REPEAT, triggers.fire_repeats)
    return engine
