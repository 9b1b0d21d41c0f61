"""`/api/v1/runbooks`: runbooks as JSON or YAML documents, their runs, and a preview.

Bodies are JSON, or the same document as YAML with `Content-Type:
application/yaml`; answers are JSON with `id` and the normalised form.
Organisation admins write every runbook; a team admin writes the runbooks its
team owns (before and after the change); viewers and responders read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import Field
from sqlalchemy import and_

from watchkeep.api.deps import PageDep, Reader, Responder, RuntimeDep
from watchkeep.api.runbook_runs import RunOut, run_out
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import access
from watchkeep.core.errors import InvalidInputError
from watchkeep.core.ids import Id
from watchkeep.core.text import PROBLEM, first_unstorable
from watchkeep.runbooks import catalog, manual, yaml_text
from watchkeep.runbooks.models import Runbook, RunbookRun
from watchkeep.runbooks.permissions import may_write
from watchkeep.runbooks.visibility import visible_runs
from watchkeep.slack.runbook_preview import preview_steps

router = APIRouter(tags=["runbooks"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


class RunbookOut(OutModel):
    id: int
    name: str
    description: str
    enabled: bool
    owner_team_id: int | None
    connection: str
    version: int
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class PreviewIn(StrictModel):
    incident_id: Id | None = Field(default=None, description="Render for this incident")


class PreviewOut(OutModel):
    incident_id: int | None
    steps: list[dict[str, Any]]


def _owner(raw: Any) -> int | None:
    """The owner team a document names (checked properly by the catalog)."""
    owner = raw.get("owner_team_id") if isinstance(raw, dict) else None
    return owner if isinstance(owner, int) and not isinstance(owner, bool) else None


def _out(runbook: Runbook) -> RunbookOut:
    doc = runbook.document
    return RunbookOut(
        id=runbook.id,
        version=runbook.version,
        created_at=runbook.created_at,
        updated_at=runbook.updated_at,
        **{key: doc[key] for key in ("name", "description", "enabled", "owner_team_id")},
        connection=doc["connection"],
        trigger=doc["trigger"],
        steps=doc["steps"],
    )


async def _document(request: Request) -> Any:
    """The body as a document: YAML when the caller says so, else JSON."""
    raw = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind in YAML_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("document", f"not valid YAML: {exc}") from None
        document = yaml_text.load(text)
    else:
        try:
            document = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidInputError("document", f"not valid JSON: {exc}") from None
    where = first_unstorable(document)
    if where is not None:
        field = ".".join(str(part) for part in where) or "document"
        raise InvalidInputError(field, PROBLEM)
    return document


@router.post(
    "/runbooks",
    status_code=status.HTTP_201_CREATED,
    response_model=RunbookOut,
    openapi_extra=_DOCUMENT_BODY,
)
async def create_runbook(request: Request, runtime: RuntimeDep, caller: Responder) -> RunbookOut:
    raw = await _document(request)
    with runtime.db.write() as session:
        may_write(session, caller.role, caller.user_id, _owner(raw))
        runbook = catalog.create_runbook(
            session, raw, user_id=caller.user_id, now=runtime.clock.now()
        )
        return _out(runbook)


@router.get("/runbooks", response_model=Paged[RunbookOut])
def list_runbooks(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[RunbookOut]:
    with runtime.db.read() as session:
        found, total = catalog.list_runbooks(session, limit=page.limit, offset=page.offset)
        items = [_out(runbook) for runbook in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/runbooks/{runbook_id}", response_model=RunbookOut)
def get_runbook(runbook_id: Id, runtime: RuntimeDep, _: Reader) -> RunbookOut:
    with runtime.db.read() as session:
        return _out(catalog.get_runbook(session, runbook_id))


@router.put("/runbooks/{runbook_id}", response_model=RunbookOut, openapi_extra=_DOCUMENT_BODY)
async def replace_runbook(
    runbook_id: Id, request: Request, runtime: RuntimeDep, caller: Responder
) -> RunbookOut:
    """Save a whole new document: a new version."""
    raw = await _document(request)
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        may_write(session, caller.role, caller.user_id, runbook.owner_team_id, _owner(raw))
        catalog.update_runbook(
            session, runbook, raw, user_id=caller.user_id, now=runtime.clock.now()
        )
        return _out(runbook)


@router.patch("/runbooks/{runbook_id}", response_model=RunbookOut, openapi_extra=_DOCUMENT_BODY)
async def patch_runbook(
    runbook_id: Id, request: Request, runtime: RuntimeDep, caller: Responder
) -> RunbookOut:
    """Change some top-level keys (`enabled`, `steps`, …): a new version."""
    raw = await _document(request)
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        owner = _owner(raw) if isinstance(raw, dict) and "owner_team_id" in raw else None
        may_write(session, caller.role, caller.user_id, runbook.owner_team_id, owner)
        catalog.patch_runbook(
            session, runbook, raw, user_id=caller.user_id, now=runtime.clock.now()
        )
        return _out(runbook)


@router.delete("/runbooks/{runbook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_runbook(runbook_id: Id, runtime: RuntimeDep, caller: Responder) -> Response:
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        may_write(session, caller.role, caller.user_id, runbook.owner_team_id)
        catalog.delete_runbook(session, runbook)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/runbooks/{runbook_id}/runs", response_model=Paged[RunOut])
def runbook_runs(
    runbook_id: Id, runtime: RuntimeDep, caller: Reader, page: PageDep
) -> Paged[RunOut]:
    """The runbook's runs on incidents the caller may see."""
    with runtime.db.read() as session:
        catalog.get_runbook(session, runbook_id)
        where = and_(RunbookRun.runbook_id == runbook_id, visible_runs(caller.scope()))
        return run_out.paged(session, where, page)


@router.post("/runbooks/{runbook_id}/preview", response_model=PreviewOut)
def preview(
    runbook_id: Id, runtime: RuntimeDep, caller: Reader, body: PreviewIn | None = None
) -> PreviewOut:
    """Every step rendered for the incident (or a sample), without calling Slack."""
    incident_id = body.incident_id if body else None
    with runtime.db.read() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        if incident_id is not None:
            access.visible_incident(session, caller.scope(), incident_id)
        steps = preview_steps(
            session,
            runbook.document,
            incident_id,
            runtime.slack.runbook_steps,
            now=runtime.clock.now(),
        )
    return PreviewOut(incident_id=incident_id, steps=steps)


class RunIn(StrictModel):
    incident_id: Id


@router.post("/runbooks/{runbook_id}/run", status_code=status.HTTP_201_CREATED)
def run_runbook(runbook_id: Id, body: RunIn, runtime: RuntimeDep, caller: Responder) -> RunOut:
    """Start a `manual` runbook for an incident (404 for an incident the caller may not
    see; 403 unless the caller may use its connection; 409 when it is not manual,
    disabled, or its connector refuses it)."""
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        incident = access.visible_incident(session, caller.scope(), body.incident_id)
        run = manual.start(session, runbook, incident, caller.actor(), runtime.clock.now())
        session.flush()
        return run_out.many(session, [run])[0]
