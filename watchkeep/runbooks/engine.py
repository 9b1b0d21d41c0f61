"""The run state machine: a run is a row with one row per step; each step is one
outbox job, and the run's steps share an ordering key so they run in order.

A step job reads its step, renders it for the incident as it is now, and hands
it to the executor (the Slack adapter). The executor saves what it made as it
goes (a channel id before anything else), so a retry after a crash, an outage
or a 429 resumes instead of repeating. Success completes the step, records
what it made and enqueues the next step in the transaction that completes the
job: a step is never lost and never runs twice. A permanent error stops the run
(or is skipped with `continue_on_error`) and lands on the run log and the
incident's timeline with Slack's exact error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import metrics, outbox
from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.errors import ConflictError
from watchkeep.core.models import Incident
from watchkeep.outbox import JobKind, keys
from watchkeep.runbooks import audience, catalog, connectors, summary
from watchkeep.runbooks.context import incident_context, render_step
from watchkeep.runbooks.models import (
    IncidentChannel,
    Runbook,
    RunbookRun,
    RunbookStepRun,
    RunbookThread,
    RunStatus,
    StepStatus,
)
from watchkeep.runbooks.templates import TemplateProblem
from watchkeep.worker.handlers import JobContext

CHANNEL_CREATED = "incident.channel_created"


class StepFailed(Exception):
    """The step cannot succeed by retrying: `error` is Slack's exact error code."""

    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error = error
        self.detail = detail


@dataclass
class StepWork:
    """One step as the executor gets it: rendered for the incident, with its progress."""

    run_id: int
    position: int
    incident_id: int
    connection: str
    # The connector the runbook uses (checked again for this step); None: the organisation's.
    connector_id: int | None
    operation: str
    params: dict[str, Any]
    # What earlier attempts of this step made; `save` keeps more of it at once.
    result: dict[str, Any]
    save: Callable[[dict[str, Any]], None]


class StepExecutor(Protocol):
    def notification_channel(self, session: Session, incident_id: int) -> str | None:
        """Where the incident was announced (a channel id), if anywhere."""

    def incident_url(self, incident_id: int) -> str:
        """The incident's page, for `[incident.url]`."""

    def execute(self, context: JobContext, work: StepWork) -> dict[str, Any]:
        """Do the step; answer what it did. RetryLater for transient trouble,
        StepFailed for permanent refusals."""


def start_run(
    session: Session, runbook: Runbook, incident: Incident, trigger: str, now: datetime
) -> RunbookRun:
    run = RunbookRun(
        runbook_id=runbook.id,
        version=runbook.version,
        incident_id=incident.id,
        trigger=trigger,
        status=RunStatus.RUNNING,
        started_at=now,
    )
    session.add(run)
    session.flush()
    for position, step in enumerate(runbook.document["steps"]):
        session.add(
            RunbookStepRun(
                run_id=run.id,
                position=position,
                operation=step["operation"],
                status=StepStatus.PENDING,
                result={},
            )
        )
    session.flush()
    _enqueue_step(session, run.id, 0, now)
    return run


def retry_run(session: Session, run: RunbookRun, now: datetime) -> RunbookRun:
    """Resume a failed run from its failed step, keeping what that step already made."""
    if run.status is not RunStatus.FAILED:
        raise ConflictError(f"runbook run {run.id} is {run.status.value}, not FAILED")
    failed = session.scalar(
        select(RunbookStepRun)
        .where(RunbookStepRun.run_id == run.id, RunbookStepRun.status == StepStatus.FAILED)
        .order_by(RunbookStepRun.position)
    )
    if failed is None:
        raise ConflictError(f"runbook run {run.id} has no failed step")
    failed.status, failed.error, failed.finished_at = StepStatus.PENDING, None, None
    run.status, run.error, run.finished_at = RunStatus.RUNNING, None, None
    _enqueue_step(session, run.id, failed.position, now)
    return run


def steps_of(session: Session, run_ids: list[int]) -> dict[int, list[RunbookStepRun]]:
    found: dict[int, list[RunbookStepRun]] = {run_id: [] for run_id in run_ids}
    if run_ids:
        rows = session.scalars(
            select(RunbookStepRun)
            .where(RunbookStepRun.run_id.in_(run_ids))
            .order_by(RunbookStepRun.run_id, RunbookStepRun.position)
        )
        for row in rows:
            found[row.run_id].append(row)
    return found


def _enqueue_step(session: Session, run_id: int, position: int, now: datetime, due=None) -> None:
    outbox.enqueue(
        session,
        JobKind.RUNBOOK_STEP,
        {"run_id": run_id, "position": position},
        now=now,
        due_at=due,
        ordering_key=keys.runbook_run(run_id),
    )


@dataclass(frozen=True)
class _Loaded:
    run_id: int
    incident_id: int
    runbook_name: str
    document: dict[str, Any]
    step: dict[str, Any]
    result: dict[str, Any]


class Engine:
    """The `runbook.step` handler; Slack work is delegated to `executor`."""

    def __init__(self, executor: StepExecutor) -> None:
        self.executor = executor

    def run_step(self, context: JobContext) -> None:
        run_id, position = context.job.payload["run_id"], context.job.payload["position"]
        now = context.clock.now()
        work: StepWork | None = None
        with context.db.write() as session:
            loaded = _start_step(session, run_id, position, now)
            if loaded is None:
                return  # a stale or duplicated job: the step is settled already
            try:
                work = self._work(session, loaded, position, context)
            except TemplateProblem as exc:
                problem = StepFailed("template_error", str(exc))
            except connectors.ConnectionRefused as exc:
                problem = StepFailed(exc.error, exc.detail)
        if work is None:
            self._settle_failure(context, loaded, position, problem)
            return
        if work.operation == "wait":
            self._succeed(context, loaded, position, {"next_step_at": None}, wait=True)
            return
        try:
            result = self.executor.execute(context, work)
        except StepFailed as exc:
            self._settle_failure(context, loaded, position, exc)
            return
        self._succeed(context, loaded, position, result)

    def _work(
        self, session: Session, loaded: _Loaded, position: int, context: JobContext
    ) -> StepWork:
        connector = connectors.connector_for_run(session, loaded.document)
        incident = session.get(Incident, loaded.incident_id)
        assert incident is not None
        fallback = self.executor.notification_channel(session, incident.id)
        values = incident_context(
            session, incident, fallback, url=self.executor.incident_url(incident.id)
        )
        params = render_step(loaded.step, values)
        if "add_users" in loaded.step:
            params["add_users"] = audience.resolve(
                session, incident, loaded.step["add_users"], context.clock.now()
            ).as_dict()
        if loaded.step["operation"] == "post_summary":
            params["summary"] = summary.build(session, incident).as_dict()
        return StepWork(
            run_id=loaded.run_id,
            position=position,
            incident_id=incident.id,
            connection=loaded.document.get("connection", "org"),
            connector_id=connector.id if connector is not None else None,
            operation=loaded.step["operation"],
            params=params,
            result=dict(loaded.result),
            save=lambda result: _save_progress(context, loaded.run_id, position, result),
        )

    def _succeed(
        self,
        context: JobContext,
        loaded: _Loaded,
        position: int,
        result: dict[str, Any],
        *,
        wait: bool = False,
    ) -> None:
        now = context.clock.now()
        with context.transaction() as session:
            step = _step_row(session, loaded.run_id, position)
            if step is None or step.status is not StepStatus.RUNNING:
                return
            due = None
            if wait:
                due = now + timedelta(minutes=loaded.step["minutes"])
                result = {"next_step_at": due.isoformat()}
            step.status, step.result, step.finished_at = StepStatus.SUCCEEDED, result, now
            _record_outcome(session, loaded, result, now)
            _advance(session, loaded, position, now, due)
        metrics.RUNBOOK_STEPS.labels(loaded.step["operation"], "ok").inc()

    def _settle_failure(
        self, context: JobContext, loaded: _Loaded, position: int, failure: StepFailed
    ) -> None:
        now = context.clock.now()
        with context.transaction() as session:
            step = _step_row(session, loaded.run_id, position)
            run = session.get(RunbookRun, loaded.run_id)
            if step is None or run is None or step.status is not StepStatus.RUNNING:
                return
            skip = bool(loaded.step.get("continue_on_error"))
            step.status = StepStatus.SKIPPED if skip else StepStatus.FAILED
            step.error, step.finished_at = str(failure), now
            incident = session.get(Incident, loaded.incident_id)
            label = f"step {position + 1} ({loaded.step['operation']})"
            message = f"Runbook {loaded.runbook_name!r} {label} failed: {failure.error}"
            if failure.detail:
                message += f" ({failure.detail})"
            if incident is not None:
                events.record(
                    session,
                    incident,
                    "runbook_step_failed",
                    message + ("; continuing" if skip else "; the run stopped"),
                    Actor.system(),
                    now=now,
                    data={"run_id": run.id, "position": position, "error": failure.error},
                    announce=False,
                )
            if skip:
                _advance(session, loaded, position, now, None)
            else:
                run.status, run.error, run.finished_at = RunStatus.FAILED, message, now
        outcome = "skipped" if skip else "failed"
        metrics.RUNBOOK_STEPS.labels(loaded.step["operation"], outcome).inc()


def _start_step(session: Session, run_id: int, position: int, now: datetime) -> _Loaded | None:
    run = session.get(RunbookRun, run_id)
    step = _step_row(session, run_id, position)
    if run is None or step is None or run.status is not RunStatus.RUNNING:
        return None
    if step.status not in (StepStatus.PENDING, StepStatus.RUNNING):
        return None
    step.status = StepStatus.RUNNING
    step.started_at = step.started_at or now
    step.attempts += 1
    doc = catalog.version_document(session, run.runbook_id, run.version)
    return _Loaded(
        run_id=run.id,
        incident_id=run.incident_id,
        runbook_name=doc["name"],
        document=doc,
        step=doc["steps"][position],
        result=dict(step.result or {}),
    )


def _step_row(session: Session, run_id: int, position: int) -> RunbookStepRun | None:
    return session.scalar(
        select(RunbookStepRun).where(
            RunbookStepRun.run_id == run_id, RunbookStepRun.position == position
        )
    )


def _save_progress(context: JobContext, run_id: int, position: int, result: dict[str, Any]) -> None:
    with context.db.write() as session:
        step = _step_row(session, run_id, position)
        if step is not None:
            step.result = dict(result)


def _advance(
    session: Session, loaded: _Loaded, position: int, now: datetime, due: datetime | None
) -> None:
    if position + 1 < len(loaded.document["steps"]):
        _enqueue_step(session, loaded.run_id, position + 1, now, due)
        return
    run = session.get(RunbookRun, loaded.run_id)
    if run is not None:
        run.status, run.finished_at = RunStatus.SUCCEEDED, now


def _record_outcome(
    session: Session, loaded: _Loaded, result: dict[str, Any], now: datetime
) -> None:
    """What a step made that outlives the run: the incident channel, an update thread."""
    operation = loaded.step["operation"]
    incident = session.get(Incident, loaded.incident_id)
    if incident is None:
        return
    if operation == "create_channel":
        channel = session.get(IncidentChannel, incident.id)
        if channel is None:
            channel = IncidentChannel(incident_id=incident.id, created_at=now)
            session.add(channel)
        channel.workspace_id = result.get("workspace_id")
        channel.connector_id = result.get("connector_id")
        channel.channel_id, channel.name = result["channel_id"], result["channel_name"]
        channel.run_id, channel.archived_at = loaded.run_id, None
        session.flush()
        events.record(
            session,
            incident,
            CHANNEL_CREATED,
            f"Incident channel #{result['channel_name']} opened by runbook {loaded.runbook_name!r}",
            Actor.system(),
            now=now,
            data={
                "channel_id": result["channel_id"],
                "channel": result["channel_name"],
                "workspace_id": result.get("workspace_id"),
                "connector_id": result.get("connector_id"),
                "run_id": loaded.run_id,
            },
        )
    elif operation == "create_thread" and loaded.step.get("thread_updates"):
        session.add(
            RunbookThread(
                incident_id=incident.id,
                workspace_id=result.get("workspace_id"),
                connector_id=result.get("connector_id"),
                channel_id=result["channel_id"],
                ts=result["ts"],
                created_at=now,
            )
        )
    elif operation == "archive_channel":
        channel = session.get(IncidentChannel, incident.id)
        if channel is not None and channel.channel_id == result.get("channel_id"):
            channel.archived_at = now
