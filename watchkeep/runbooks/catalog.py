"""Runbooks in the database: create, update (each save a new version), list, delete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.errors import ConflictError, InvalidInputError, NotFoundError
from watchkeep.core.models import Team
from watchkeep.runbooks import connectors, document
from watchkeep.runbooks.models import Runbook, RunbookVersion


def get_runbook(session: Session, runbook_id: int) -> Runbook:
    runbook = session.get(Runbook, runbook_id)
    if runbook is None:
        raise NotFoundError("runbook", runbook_id)
    return runbook


def list_runbooks(session: Session, *, limit: int, offset: int) -> tuple[Sequence[Runbook], int]:
    total = session.scalar(select(func.count()).select_from(Runbook)) or 0
    rows = session.scalars(select(Runbook).order_by(Runbook.name).limit(limit).offset(offset))
    return rows.all(), total


def enabled_runbooks(session: Session) -> Sequence[Runbook]:
    return session.scalars(select(Runbook).where(Runbook.enabled).order_by(Runbook.id)).all()


def create_runbook(session: Session, raw: Any, *, user_id: int | None, now: datetime) -> Runbook:
    doc = _checked(session, raw, runbook_id=None)
    runbook = Runbook(
        name=doc["name"],
        enabled=doc["enabled"],
        owner_team_id=doc["owner_team_id"],
        version=1,
        document=doc,
        created_at=now,
        updated_at=now,
    )
    session.add(runbook)
    session.flush()
    _keep_version(session, runbook, user_id, now)
    return runbook


def update_runbook(
    session: Session, runbook: Runbook, raw: Any, *, user_id: int | None, now: datetime
) -> Runbook:
    """Save a new version of the whole document."""
    doc = _checked(session, raw, runbook_id=runbook.id)
    runbook.name, runbook.enabled, runbook.owner_team_id = (
        doc["name"],
        doc["enabled"],
        doc["owner_team_id"],
    )
    runbook.version += 1
    runbook.document = doc
    runbook.updated_at = now
    _keep_version(session, runbook, user_id, now)
    return runbook


def patch_runbook(
    session: Session, runbook: Runbook, changes: Any, *, user_id: int | None, now: datetime
) -> Runbook:
    """Change some top-level keys; the result is saved as a new version."""
    if not isinstance(changes, dict):
        raise document.DocumentError("document", "a patch is a mapping of top-level keys")
    return update_runbook(
        session, runbook, {**runbook.document, **changes}, user_id=user_id, now=now
    )


def delete_runbook(session: Session, runbook: Runbook) -> None:
    session.delete(runbook)


def version_document(session: Session, runbook_id: int, version: int) -> dict[str, Any]:
    row = session.scalar(
        select(RunbookVersion).where(
            RunbookVersion.runbook_id == runbook_id, RunbookVersion.version == version
        )
    )
    if row is None:
        raise NotFoundError("runbook version", f"{runbook_id}/{version}")
    return row.document


def _checked(session: Session, raw: Any, *, runbook_id: int | None) -> dict[str, Any]:
    doc = document.normalise(raw)
    taken = session.scalar(select(Runbook.id).where(Runbook.name == doc["name"]))
    if taken is not None and taken != runbook_id:
        raise ConflictError(f"a runbook named {doc['name']!r} exists")
    team_id = doc["owner_team_id"]
    if team_id is not None and session.get(Team, team_id) is None:
        raise document.DocumentError("owner_team_id", f"team {team_id} not found")
    try:
        doc["connection"] = connectors.check_connection(session, doc["connection"], team_id)
    except InvalidInputError as exc:
        raise document.DocumentError(exc.field, exc.message) from None
    return doc


def _keep_version(session: Session, runbook: Runbook, user_id: int | None, now: datetime) -> None:
    session.add(
        RunbookVersion(
            runbook_id=runbook.id,
            version=runbook.version,
            document=runbook.document,
            created_by_user_id=user_id,
            created_at=now,
        )
    )
    session.flush()
