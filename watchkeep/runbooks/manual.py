"""Manual runs: a person starts a `manual` runbook for an incident (from the web page,
the API, `/watchkeep run` or the "Run runbook" shortcut).

Only responders and admins may, and only runbooks whose connection they may
use: the organisation's, or a connector of a team they belong to
(organisation admins may use every one). The run goes through the engine like
any other, and its start is written on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import events, teams
from watchkeep.core.actors import Actor
from watchkeep.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from watchkeep.core.models import Incident, Role
from watchkeep.runbooks import catalog, connectors, engine
from watchkeep.runbooks.document import MANUAL
from watchkeep.runbooks.models import Runbook, RunbookRun

RUN_STARTED = "runbook_started"


def is_manual(runbook: Runbook) -> bool:
    return MANUAL in runbook.document["trigger"]["events"]


def may_run(session: Session, runbook: Runbook, role: Role | None, user_id: int | None) -> bool:
    """Whether this person may start the runbook by hand (its connection included)."""
    if role not in (Role.ADMIN, Role.RESPONDER):
        return False
    if role is Role.ADMIN:
        return True
    connection = runbook.document.get("connection", connectors.ORG)
    if connection == connectors.ORG:
        return True
    connector = connectors.find(session, connection)
    if connector is None or user_id is None:
        return False
    return teams.role_in(session, connector.team_id, user_id) is not None


def runnable(session: Session, role: Role | None, user_id: int | None) -> Sequence[Runbook]:
    """The enabled manual runbooks this person may start, by name."""
    return [
        runbook
        for runbook in catalog.enabled_runbooks(session)
        if is_manual(runbook) and may_run(session, runbook, role, user_id)
    ]


def find_runbook(session: Session, ref: str) -> Runbook:
    """A runbook by its name (any case) or id."""
    text = ref.strip()
    found = session.scalar(select(Runbook).where(func.lower(Runbook.name) == text.lower()))
    if found is None and text.isdigit() and len(text) < 10:
        found = session.get(Runbook, int(text))
    if found is None:
        raise NotFoundError("runbook", repr(text))
    return found


def start(
    session: Session, runbook: Runbook, incident: Incident, actor: Actor, now: datetime
) -> RunbookRun:
    """Start `runbook` for `incident` on `actor`'s word; refusals say why."""
    if actor.role not in (Role.ADMIN, Role.RESPONDER):
        raise PermissionDeniedError("only responders and admins may run runbooks")
    if not is_manual(runbook):
        raise ConflictError(f"runbook {runbook.name!r} is not a manual runbook")
    if not runbook.enabled:
        raise ConflictError(f"runbook {runbook.name!r} is disabled")
    if not may_run(session, runbook, actor.role, actor.user_id):
        raise PermissionDeniedError(
            f"runbook {runbook.name!r} uses connector {runbook.document['connection']!r}, "
            "which only its team may use"
        )
    try:
        connectors.connector_for_run(session, runbook.document)
    except connectors.ConnectionRefused as exc:
        raise ConflictError(f"runbook {runbook.name!r} cannot run: {exc.detail}") from None
    run = engine.start_run(session, runbook, incident, MANUAL, now)
    events.record(
        session,
        incident,
        RUN_STARTED,
        f"Runbook {runbook.name!r} started by {actor.name}",
        actor,
        now=now,
        data={"run_id": run.id, "runbook_id": runbook.id},
        announce=False,
    )
    return run
