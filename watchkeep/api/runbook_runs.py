"""Runbook runs: the run log of a runbook or an incident, and retrying a failed run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from watchkeep.api.deps import Page, PageDep, Reader, Responder, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged
from watchkeep.core import access
from watchkeep.core.ids import Id
from watchkeep.runbooks import engine, visibility
from watchkeep.runbooks.models import Runbook, RunbookRun, RunStatus, StepStatus

router = APIRouter(tags=["runbooks"])


class StepRunOut(OutModel):
    position: int
    operation: str
    status: StepStatus
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any]
    error: str | None


class RunOut(OutModel):
    id: int
    runbook_id: int
    runbook_name: str
    version: int
    incident_id: int
    trigger: str
    status: RunStatus
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    steps: list[StepRunOut]


class _RunOut:
    def many(self, session: Session, runs: list[RunbookRun]) -> list[RunOut]:
        steps = engine.steps_of(session, [run.id for run in runs])
        names = dict(
            session.execute(
                select(Runbook.id, Runbook.name).where(
                    Runbook.id.in_({run.runbook_id for run in runs})
                )
            ).all()
        )
        return [
            RunOut(
                id=run.id,
                runbook_id=run.runbook_id,
                runbook_name=names.get(run.runbook_id, ""),
                version=run.version,
                incident_id=run.incident_id,
                trigger=run.trigger,
                status=run.status,
                error=run.error,
                started_at=run.started_at,
                finished_at=run.finished_at,
                steps=[StepRunOut.model_validate(step) for step in steps[run.id]],
            )
            for run in runs
        ]

    def paged(self, session: Session, where: ColumnElement[bool], page: Page) -> Paged[RunOut]:
        total = session.scalar(select(func.count()).select_from(RunbookRun).where(where)) or 0
        runs = session.scalars(
            select(RunbookRun)
            .where(where)
            .order_by(RunbookRun.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        ).all()
        return Paged(
            items=self.many(session, list(runs)), total=total, limit=page.limit, offset=page.offset
        )


run_out = _RunOut()


@router.get("/incidents/{incident_id}/runbook-runs", response_model=Paged[RunOut])
def incident_runs(
    incident_id: Id, runtime: RuntimeDep, caller: Reader, page: PageDep
) -> Paged[RunOut]:
    with runtime.db.read() as session:
        access.visible_incident(session, caller.scope(), incident_id)
        return run_out.paged(session, RunbookRun.incident_id == incident_id, page)


@router.get("/runbook-runs/{run_id}", response_model=RunOut)
def get_run(run_id: Id, runtime: RuntimeDep, caller: Reader) -> RunOut:
    with runtime.db.read() as session:
        return run_out.many(session, [visibility.visible_run(session, caller.scope(), run_id)])[0]


@router.post("/runbook-runs/{run_id}/retry", response_model=RunOut)
def retry(run_id: Id, runtime: RuntimeDep, caller: Responder) -> RunOut:
    """Resume a failed run from its failed step (409 unless the run failed)."""
    with runtime.db.write() as session:
        run = visibility.visible_run(session, caller.scope(), run_id)
        run = engine.retry_run(session, run, runtime.clock.now())
        session.flush()
        return run_out.many(session, [run])[0]
