"""Which runbook runs someone may see: the runs on incidents they may see (`core.access`).

A run on an incident hidden from someone is, to them, not there: lists leave it out
and a lookup by id is "not found", the same answer as an id that names nothing.
The API and the web pages both ask here.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from watchkeep.core import access
from watchkeep.core.access import Scope
from watchkeep.core.errors import NotFoundError
from watchkeep.core.models import Incident
from watchkeep.runbooks.models import RunbookRun


def visible_runs(scope: Scope) -> ColumnElement[bool]:
    """Runs on incidents `scope` may see, as a condition over `RunbookRun`."""
    if scope.admin:
        return true()
    return RunbookRun.incident_id.in_(select(Incident.id).where(access.incident_condition(scope)))


def visible_run(session: Session, scope: Scope, run_id: int) -> RunbookRun:
    """The run, if its incident is one `scope` may see; else not found, like a missing one."""
    run = session.scalar(select(RunbookRun).where(RunbookRun.id == run_id, visible_runs(scope)))
    if run is None:
        raise NotFoundError("runbook run", run_id)
    return run
