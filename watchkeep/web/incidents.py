"""Incident pages: the live list, the incident page, and its actions.

Actions call the same core transitions as the API and Slack, as the signed-in
user with source `web`; Slack hears of them through the outbox, never inside
the request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from watchkeep.core import access, incidents, services, transitions
from watchkeep.core.errors import InvalidInputError, InvalidTransitionError
from watchkeep.core.ids import Id, parse_id
from watchkeep.core.models import IncidentStatus, Urgency
from watchkeep.ingest.context import alert_context
from watchkeep.runbooks import manual
from watchkeep.slack.incident_channel import incident_channel
from watchkeep.web import incident_view, runbook_history
from watchkeep.web.auth import Responder, Viewer, WebUser, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, finish, is_htmx, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 50
OPEN = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.SNOOZED)
STATUS_CHOICES = {
    "open": "Open",
    "all": "All",
    **{s.value: s.value.title() for s in IncidentStatus},
}


def _filter(status: str, urgency: str, service: str) -> tuple[incidents.IncidentFilter, dict]:
    """The core filter and the canonical query values (unknown values fall back)."""
    status = status if status in STATUS_CHOICES else "open"
    statuses: tuple[IncidentStatus, ...] = ()
    if status == "open":
        statuses = OPEN
    elif status != "all":
        statuses = (IncidentStatus(status),)
    urgency = urgency if urgency in Urgency.__members__ else ""
    service_id = parse_id(service)
    where = incidents.IncidentFilter(
        statuses, (Urgency(urgency),) if urgency else (), (service_id,) if service_id else ()
    )
    return where, {"status": status, "urgency": urgency, "service": str(service_id or "")}


@router.get("/incidents")
def incident_list(
    request: Request,
    user: Viewer,
    status: str = "open",
    urgency: str = "",
    service: str = "",
    page: int = 1,
    before: str = "",
) -> Response:
    where, chosen = _filter(status, urgency, service)
    page = max(1, min(page, 10_000))
    # "Older →" links carry the last incident shown: the next page is then read from
    # there (keyset) at the cost of the first, however deep; `page` is only its label.
    before_id = parse_id(before)
    offset = 0 if before_id else (page - 1) * PAGE_SIZE
    runtime = runtime_of(request)
    fragment = is_htmx(request) and request.headers.get("HX-Target") == "incident-list"
    with runtime.db.read() as db:
        found, total = incidents.list_incidents(
            db, where, scope=user.scope(), limit=PAGE_SIZE, offset=offset, before=before_id
        )
        if fragment:
            # The list refreshes itself every few seconds: an unchanged one is a 304.
            etag = _list_etag(user.id, chosen, page, before_id, found, total)
            if etag in _etags(request.headers.get("If-None-Match", "")):
                return finish(request, Response(status_code=304, headers=_refresh_headers(etag)))
        all_services = (
            []
            if fragment
            else services.list_services(db, scope=user.scope(), limit=500, offset=0)[0]
        )
    chosen_page = {**chosen, "page": page, **({"before": before_id} if before_id else {})}
    context: dict[str, Any] = {
        "nav": "incidents",
        "incidents": found,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "chosen": chosen,
        "query": urlencode(chosen_page),
        "older": found[-1].id if len(found) == PAGE_SIZE else None,
        "services": all_services,
        "status_choices": STATUS_CHOICES,
        "urgencies": list(Urgency),
    }
    if fragment:
        return render(
            request, "fragments/incident_list.html", context, headers=_refresh_headers(etag)
        )
    return render(request, "incidents/list.html", context)


def _list_etag(
    user_id: int, chosen: dict, page: int, before: int | None, found: Sequence[Any], total: int
) -> str:
    """A fingerprint of everything the list fragment shows (and for whom): equal
    fingerprints render the same HTML, so the browser's copy is still right."""
    shown = [
        (i.id, i.number, i.title, i.service.name, i.urgency.value, i.status.value, i.created_at)
        for i in found
    ]
    key = repr((user_id, sorted(chosen.items()), page, before, total, shown))
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _etags(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists."""
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def _refresh_headers(etag: str) -> dict[str, str]:
    # no-cache: the browser asks every time, sending its ETag; Vary keeps the fragment
    # and the full page (one URL) apart in its cache.
    return {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "HX-Request, HX-Target"}


def _detail(
    request: Request,
    incident_id: int,
    user: WebUser,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    runtime = runtime_of(request)
    user = getattr(request.state, "web_user", None)
    with runtime.db.read() as db:
        incident = access.visible_incident(db, user.scope(), incident_id)
        context = {
            "nav": "incidents",
            "incident": incident,
            "timeline": incidents.timeline(db, incident_id),
            "notes": incidents.notes(db, incident_id),
            "slack_links": incident_view.slack_links(
                db, incident_id, sandbox=request.app.state.sandbox is not None
            ),
            "incident_channel": incident_channel(db, incident_id),
            "runbook_runs": runbook_history.runs(db, user.scope(), incident_id=incident_id),
            "manual_runbooks": manual.runnable(db, user.role, user.id) if user else [],
            "clocks": incident_view.sla_clocks(incident, runtime.clock.now()),
            "alert": alert_context(db, incident),
            "alert_history": incident_view.alert_history(db, incident),
            "allowed": incident_view.allowed_actions(incident),
            "snooze_choices": incident_view.SNOOZE_CHOICES,
            "errors": fields(errors),
            "values": fields(values),
        }
    return render(request, "incidents/detail.html", context, status_code=status_code)


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: Id, user: Viewer) -> Response:
    return _detail(request, incident_id, user)


def _act(
    request: Request,
    incident_id: int,
    user: WebUser,
    change: Callable[[Any], Any],
    done: str,
    *,
    field: str = "action",
    values: dict[str, str] | None = None,
) -> Response:
    """Run one change, group-committed (`core.commands`); a refusal re-renders the page
    with its reason. An incident the user may not see is not found, before anything
    changes."""
    runtime = runtime_of(request)
    scope = user.scope()

    def checked(db: Session) -> object:
        access.visible_incident(db, scope, incident_id)
        return change(db)

    try:
        runtime.changes.run(checked, incident_id=incident_id)
    except InvalidTransitionError as exc:
        message = f"Could not {exc.action}: the incident is now {exc.status.value.lower()}."
        return _detail(request, incident_id, user, errors={"action": message}, status_code=409)
    except InvalidInputError as exc:
        errors = {field: exc.message}
        return _detail(request, incident_id, user, errors=errors, status_code=422, values=values)
    return redirect(request, f"/incidents/{incident_id}", notice=done)


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(request: Request, incident_id: Id, user: Responder) -> Response:
    now = runtime_of(request).clock.now()
    return _act(
        request,
        incident_id,
        user,
        lambda db: transitions.acknowledge(db, incident_id, user.actor(), now=now),
        "Incident acknowledged.",
    )


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    request: Request,
    incident_id: Id,
    user: Responder,
    note: Annotated[str, Form(max_length=transitions.MAX_NOTE_LENGTH + 1)] = "",
) -> Response:
    now = runtime_of(request).clock.now()
    return _act(
        request,
        incident_id,
        user,
        lambda db: transitions.resolve(db, incident_id, user.actor(), now=now, note=note),
        "Incident resolved.",
        field="note",
        values={"note": note},
    )


@router.post("/incidents/{incident_id}/snooze")
def snooze(
    request: Request,
    incident_id: Id,
    user: Responder,
    minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    now = runtime_of(request).clock.now()

    def change(db: Any) -> None:
        if minutes not in incident_view.SNOOZE_CHOICES:
            raise InvalidInputError("minutes", "choose how long to snooze for")
        until = now + timedelta(minutes=int(minutes))
        transitions.snooze(db, incident_id, user.actor(), now=now, until=until)

    label = incident_view.SNOOZE_CHOICES.get(minutes, "")
    return _act(
        request, incident_id, user, change, f"Incident snoozed for {label}.", field="minutes"
    )


@router.post("/incidents/{incident_id}/unsnooze")
def unsnooze(request: Request, incident_id: Id, user: Responder) -> Response:
    now = runtime_of(request).clock.now()
    return _act(
        request,
        incident_id,
        user,
        lambda db: transitions.unsnooze(db, incident_id, user.actor(), now=now),
        "Snooze ended.",
    )


@router.post("/incidents/{incident_id}/reopen")
def reopen(request: Request, incident_id: Id, user: Responder) -> Response:
    now = runtime_of(request).clock.now()
    return _act(
        request,
        incident_id,
        user,
        lambda db: transitions.reopen(db, incident_id, user.actor(), now=now),
        "Incident reopened.",
    )


@router.post("/incidents/{incident_id}/notes")
def add_note(
    request: Request,
    incident_id: Id,
    user: Responder,
    text: Annotated[str, Form(max_length=transitions.MAX_NOTE_LENGTH + 1)] = "",
) -> Response:
    now = runtime_of(request).clock.now()
    return _act(
        request,
        incident_id,
        user,
        lambda db: transitions.add_note(db, incident_id, user.actor(), now=now, text=text),
        "Note added.",
        field="text",
        values={"text": text},
    )
