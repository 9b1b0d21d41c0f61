"""Runbook pages: the list, the YAML editor with inline errors and a Preview, the run
history with Retry, and starting a manual runbook from an incident's page.

The editor takes the document in the form the docs show (YAML). Save refuses a
bad document with its problem shown by step and key; Preview renders every
step for a chosen incident (or a sample) without calling Slack and saves
nothing. Organisation admins write every runbook, a team admin the runbooks of
its team; everyone reads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from watchkeep.core import access, incidents, teams
from watchkeep.core.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from watchkeep.core.ids import Id, parse_id
from watchkeep.runbooks import (
    catalog,
    document,
    engine,
    manual,
    templates,
    visibility,
    yaml_text,
)
from watchkeep.runbooks.models import Runbook
from watchkeep.runbooks.permissions import may_write
from watchkeep.slack.runbook_preview import preview_steps
from watchkeep.web import runbook_history
from watchkeep.web.auth import Responder, Viewer, WebUser, runtime_of, verify_csrf
from watchkeep.web.rendering import redirect, render, safe_next

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

MAX_YAML = 200_000
STARTER = """name: Major incident room
trigger: {events: [incident.triggered], conditions: {urgency: [HIGH]}}
steps:
  - Action Type: Slack
    Operation: Create Channel
    Name: "incident-[incident.id]"
    AddUsers: ["@oncall"]
  - Action Type: Slack
    Operation: Send Message
    Channel: "#[incident.channel]"
    Message: "[incident.severity] incident in [incident.service]: [incident.title]"
"""


def may_write_any(db: Session, user: WebUser) -> bool:
    return user.can("configure") or (
        user.can("respond") and bool(teams.admin_team_ids(db, user.id))
    )


@router.get("/runbooks")
def runbook_list(request: Request, user: Viewer) -> Response:
    with runtime_of(request).db.read() as db:
        found, _ = catalog.list_runbooks(db, limit=500, offset=0)
        context = {
            "nav": "runbooks",
            "runbooks": found,
            "last_runs": runbook_history.last_runs(db, user.scope(), [rb.id for rb in found]),
            "can_write": may_write_any(db, user),
        }
        return render(request, "runbooks/list.html", context)


@router.get("/runbooks/new")
def new_runbook(request: Request, user: Viewer) -> Response:
    return _editor(request, user, None, STARTER)


def _problem(exc: InvalidInputError) -> dict[str, Any]:
    """A document's problem as the editor shows it: by step and key where it has them."""
    parts = exc.field.split(".")
    step = (
        int(parts[1]) + 1 if parts[0] == "steps" and len(parts) > 1 and parts[1].isdigit() else None
    )
    key = ".".join(parts[2:]) if step is not None else exc.field
    where = f"Step {step} · {key}" if step is not None and key else (key or "document")
    message = exc.message
    if step is not None:
        message = message.removeprefix(f"step {step}: ")
    return {"step": step, "key": key, "where": where, "message": message}


def _editor(
    request: Request,
    user: WebUser,
    runbook_id: int | None,
    text: str,
    *,
    problem: dict[str, Any] | None = None,
    preview: list[dict[str, Any]] | None = None,
    incident_id: int | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        runbook = catalog.get_runbook(db, runbook_id) if runbook_id is not None else None
        # The picker and the history show only what the person may see.
        scope = user.scope()
        recent, _ = incidents.list_incidents(
            db, incidents.IncidentFilter((), (), ()), scope=scope, limit=20, offset=0
        )
        runs = runbook_history.runs(db, scope, runbook_id=runbook_id) if runbook_id else []
        context = {
            "nav": "runbooks",
            "runbook": runbook,
            "text": text,
            "problem": problem,
            "preview": preview,
            "incident_id": incident_id,
            "recent": recent,
            "runs": runs,
            "can_write": may_write_any(db, user),
            "operations": _reference(),
            "variables": [f"[incident.{name}]" for name in templates.VARIABLES],
        }
        return render(request, "runbooks/editor.html", context, status_code=status_code)


def _reference() -> list[tuple[str, list[str]]]:
    names = {norm: docs for docs, norm in document.KEYS.items()}
    return [
        (written, sorted(names.get(key, key) for key in document.ALLOWED[op][0]))
        for written, op in document.OPERATIONS.items()
    ]


@router.get("/runbooks/{runbook_id}")
def runbook_page(request: Request, runbook_id: Id, user: Viewer) -> Response:
    with runtime_of(request).db.read() as db:
        text = yaml_text.dump(catalog.get_runbook(db, runbook_id).document)
    return _editor(request, user, runbook_id, text)


@router.post("/runbooks")
async def create_runbook(request: Request, user: Viewer) -> Response:
    return await _submit(request, user, None)


@router.post("/runbooks/{runbook_id}")
async def update_runbook(request: Request, runbook_id: Id, user: Viewer) -> Response:
    with runtime_of(request).db.read() as db:
        catalog.get_runbook(db, runbook_id)
    return await _submit(request, user, runbook_id)


async def _submit(request: Request, user: WebUser, runbook_id: int | None) -> Response:
    """Save (a new version), or Preview without saving: the button pressed says which."""
    form = await request.form()
    text = str(form.get("document", ""))[:MAX_YAML]
    incident_id = parse_id(str(form.get("incident_id", "")))
    previewing = form.get("action") == "preview"
    runtime = runtime_of(request)
    try:
        raw = yaml_text.load(text)
        if previewing:
            with runtime.db.read() as db:
                if incident_id is not None:  # hidden: "not found", as a missing one
                    access.visible_incident(db, user.scope(), incident_id)
                steps = preview_steps(
                    db,
                    document.normalise(raw),
                    incident_id,
                    runtime.slack.runbook_steps,
                    now=runtime.clock.now(),
                )
            return _editor(request, user, runbook_id, text, preview=steps, incident_id=incident_id)
        saved = _save(request, user, runbook_id, raw)
    except InvalidInputError as exc:
        return _editor(
            request,
            user,
            runbook_id,
            text,
            problem=_problem(exc),
            incident_id=incident_id,
            status_code=422,
        )
    except (ConflictError, PermissionDeniedError, NotFoundError) as exc:
        problem = {"step": None, "key": "", "where": "Not saved", "message": str(exc)}
        code = 403 if isinstance(exc, PermissionDeniedError) else 409
        return _editor(
            request,
            user,
            runbook_id,
            text,
            problem=problem,
            incident_id=incident_id,
            status_code=code if not isinstance(exc, NotFoundError) else 422,
        )
    return redirect(request, f"/runbooks/{saved.id}", notice=f"Runbook {saved.name} saved.")


def _save(request: Request, user: WebUser, runbook_id: int | None, raw: Any) -> Runbook:
    runtime = runtime_of(request)
    owner = raw.get("owner_team_id") if isinstance(raw, dict) else None
    owner = owner if isinstance(owner, int) and not isinstance(owner, bool) else None
    with runtime.db.write() as db:
        now = runtime.clock.now()
        if runbook_id is None:
            may_write(db, user.role, user.id, owner)
            return catalog.create_runbook(db, raw, user_id=user.id, now=now)
        runbook = catalog.get_runbook(db, runbook_id)
        may_write(db, user.role, user.id, runbook.owner_team_id, owner)
        return catalog.update_runbook(db, runbook, raw, user_id=user.id, now=now)


@router.post("/runbooks/{runbook_id}/enabled")
async def toggle_runbook(request: Request, runbook_id: Id, user: Viewer) -> Response:
    form = await request.form()
    enabled = form.get("enabled") == "true"
    runtime = runtime_of(request)
    try:
        with runtime.db.write() as db:
            runbook = catalog.get_runbook(db, runbook_id)
            may_write(db, user.role, user.id, runbook.owner_team_id)
            catalog.patch_runbook(
                db, runbook, {"enabled": enabled}, user_id=user.id, now=runtime.clock.now()
            )
            name = runbook.name
    except (PermissionDeniedError, InvalidInputError) as exc:
        return redirect(request, f"/runbooks/{runbook_id}", notice=f"Not changed: {exc}")
    state = "enabled" if enabled else "disabled"
    return redirect(request, "/runbooks", notice=f"Runbook {name} {state}.")


@router.post("/runbooks/{runbook_id}/delete")
def delete_runbook(request: Request, runbook_id: Id, user: Viewer) -> Response:
    try:
        with runtime_of(request).db.write() as db:
            runbook = catalog.get_runbook(db, runbook_id)
            may_write(db, user.role, user.id, runbook.owner_team_id)
            name = runbook.name
            catalog.delete_runbook(db, runbook)
    except PermissionDeniedError as exc:
        return redirect(request, f"/runbooks/{runbook_id}", notice=f"Not deleted: {exc}")
    return redirect(request, "/runbooks", notice=f"Runbook {name} deleted.")


@router.post("/runbook-runs/{run_id}/retry")
async def retry_run(request: Request, run_id: Id, user: Responder) -> Response:
    """Resume a failed run from its failed step; back to the page the button was on."""
    form = await request.form()
    back = safe_next(str(form.get("next", "")), "/runbooks")
    runtime = runtime_of(request)
    try:
        with runtime.db.write() as db:
            run = visibility.visible_run(db, user.scope(), run_id)
            engine.retry_run(db, run, runtime.clock.now())
    except ConflictError as exc:
        return redirect(request, back, notice=f"Not retried: {exc}.")
    return redirect(request, back, notice=f"Run {run_id} retried from its failed step.")


@router.post("/incidents/{incident_id}/run-runbook")
async def run_runbook(request: Request, incident_id: Id, user: Responder) -> Response:
    form = await request.form()
    runbook_id = parse_id(str(form.get("runbook_id", "")))
    runtime = runtime_of(request)
    back = f"/incidents/{incident_id}"
    with runtime.db.read() as db:
        # A hidden incident is the 404 page, as a missing one: not a redirect to it.
        access.visible_incident(db, user.scope(), incident_id)
    try:
        with runtime.db.write() as db:
            incident = access.visible_incident(db, user.scope(), incident_id)
            if runbook_id is None:
                raise ConflictError("choose a runbook")
            runbook = catalog.get_runbook(db, runbook_id)
            manual.start(db, runbook, incident, user.actor(), runtime.clock.now())
            name = runbook.name
    except (ConflictError, PermissionDeniedError, NotFoundError) as exc:
        return redirect(request, back, notice=f"Not started: {exc}.")
    return redirect(request, back, notice=f"Runbook {name} started.")
