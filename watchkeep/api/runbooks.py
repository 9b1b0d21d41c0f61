"""`/api/v1/runbooks`: runbooks as JSON or YAML documents, their runs, and a preview.

Bodies are JSON, or the same document as YAML with `Content-Type:
application/yaml`; answers are JSON with `id` and the normalised form. Admins
write; viewers and responders read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import yaml
from fastapi import APIRouter, Request, Response, status
from pydantic import Field
from sqlalchemy import and_

from watchkeep.api.deps import Admin, PageDep, Reader, RuntimeDep
from watchkeep.api.runbook_runs import RunOut, run_out, visible_runs
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import access
from watchkeep.core.errors import InvalidInputError
from watchkeep.core.ids import Id
from watchkeep.core.text import PROBLEM, first_unstorable
from watchkeep.runbooks import catalog
from watchkeep.runbooks.models import Runbook, RunbookRun
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


class _PlainYaml(yaml.SafeLoader):
    """YAML as a runbook document needs it: what JSON could say, nothing more.

    Timestamps stay text, and anchors/aliases are refused: an alias-laden document of
    a few kilobytes can expand to gigabytes when it is stored or rendered.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("anchors and aliases (*name) are not supported")
        return super().compose_node(parent, index)


async def _document(request: Request) -> Any:
    """The body as a document: YAML when the caller says so, else JSON."""
    raw = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if kind in YAML_TYPES:
            document = yaml.load(raw.decode("utf-8"), Loader=_PlainYaml)  # noqa: S506
        else:
            document = json.loads(raw or b"null")
    except (yaml.YAMLError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        what = "YAML" if kind in YAML_TYPES else "JSON"
        raise InvalidInputError("document", f"not valid {what}: {exc}") from None
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
async def create_runbook(request: Request, runtime: RuntimeDep, caller: Admin) -> RunbookOut:
    raw = await _document(request)
    with runtime.db.write() as session:
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
    runbook_id: Id, request: Request, runtime: RuntimeDep, caller: Admin
) -> RunbookOut:
    """Save a whole new document: a new version."""
    raw = await _document(request)
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        catalog.update_runbook(
            session, runbook, raw, user_id=caller.user_id, now=runtime.clock.now()
        )
        return _out(runbook)


@router.patch("/runbooks/{runbook_id}", response_model=RunbookOut, openapi_extra=_DOCUMENT_BODY)
async def patch_runbook(
    runbook_id: Id, request: Request, runtime: RuntimeDep, caller: Admin
) -> RunbookOut:
    """Change some top-level keys (`enabled`, `steps`, …): a new version."""
    raw = await _document(request)
    with runtime.db.write() as session:
        runbook = catalog.get_runbook(session, runbook_id)
        catalog.patch_runbook(
            session, runbook, raw, user_id=caller.user_id, now=runtime.clock.now()
        )
        return _out(runbook)


@router.delete("/runbooks/{runbook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_runbook(runbook_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    with runtime.db.write() as session:
        catalog.delete_runbook(session, catalog.get_runbook(session, runbook_id))
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
