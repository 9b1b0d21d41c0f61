"""Schedule pages: who is on call on each schedule, a schedule's layers, shifts,
overrides and its on-call Slack user group (with Slack's error when Watchkeep
cannot keep it), and the forms to add an override or create a schedule.

Roles follow the JSON API: admins create schedules; responders (and admins)
add and remove overrides, since swapping a shift is a responder's business.
Times typed into a form are wall-clock times in the schedule's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from watchkeep.core import accounts
from watchkeep.core.errors import ConflictError, InvalidInputError
from watchkeep.core.ids import Id, parse_id
from watchkeep.oncall import roster, schedules
from watchkeep.slack import usergroups
from watchkeep.web.auth import Admin, Responder, Viewer, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

UPCOMING = timedelta(days=7)
OVERRIDES_AHEAD = timedelta(days=90)
MAX_ROTATION_HOURS = 24 * 366


def parse_time(raw: str, field: str, errors: dict[str, str]) -> datetime | None:
    """A `datetime-local` value (or any ISO 8601 time); a message under `field` if not."""
    if not raw.strip():
        errors[field] = "must be given"
        return None
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = "must be a date and time such as 2026-01-31T09:00"
        return None


def _users(db: Any) -> Any:
    return accounts.list_users(db, limit=1000, offset=0)[0]


@router.get("/schedules")
def schedule_list(request: Request, user: Viewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        found, _ = schedules.list_schedules(db, limit=500, offset=0)
        on_call = {
            entry.schedule.id: entry for entry in roster.who_is_on_call(db, at=_now(request))
        }
        context = {"nav": "schedules", "schedules": found, "on_call": on_call}
        return render(request, "oncall/schedules.html", context)


def _now(request: Request) -> datetime:
    return runtime_of(request).clock.now()


def _page(
    request: Request,
    schedule_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = _now(request)
    with runtime_of(request).db.read() as db:
        schedule = schedules.get_schedule(db, schedule_id)
        context = {
            "nav": "schedules",
            "schedule": schedule,
            "current": roster.on_call(db, schedule, now),
            "shifts": roster.shifts(db, schedule, start=now, end=now + UPCOMING),
            "overrides": schedules.list_overrides(
                db, schedule, start=now, end=now + OVERRIDES_AHEAD
            ),
            "users": _users(db),
            "user_groups": [
                (workspace, group, usergroups.member_names(db, group))
                for workspace, group in usergroups.groups_of(db, schedule.id)
            ],
            "errors": fields(errors),
            "values": fields(values or {"slack_user_group": schedule.slack_user_group or ""}),
        }
        return render(request, "oncall/schedule.html", context, status_code=status_code)


@router.get("/schedules/new")
def new_schedule(request: Request, user: Admin) -> Response:
    return _form(request, {"time_zone": "UTC", "rotation_length_hours": "168"}, [])


@router.get("/schedules/{schedule_id}")
def schedule_page(request: Request, schedule_id: Id, user: Viewer) -> Response:
    return _page(request, schedule_id)


@router.post("/schedules/{schedule_id}/overrides")
def add_override(
    request: Request,
    schedule_id: Id,
    user: Responder,
    user_id: Annotated[str, Form(max_length=20)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    values = {"user_id": user_id, "start": start, "end": end}
    errors: dict[str, str] = {}
    if parse_id(user_id) is None:
        errors["user_id"] = "choose who is on call"
    opens, closes = parse_time(start, "start", errors), parse_time(end, "end", errors)
    if not errors and opens is not None and closes is not None:
        try:
            with runtime_of(request).db.write() as db:
                schedules.add_override(
                    db,
                    schedules.get_schedule(db, schedule_id),
                    user_id=int(user_id.strip()),
                    start=opens,
                    end=closes,
                    actor=user.actor(),
                    now=_now(request),
                )
        except InvalidInputError as exc:
            errors[exc.field] = exc.message
        else:
            return redirect(request, f"/schedules/{schedule_id}", notice="Override added.")
    return _page(request, schedule_id, errors=errors, values=values, status_code=422)


@router.post("/schedules/{schedule_id}/slack-user-group")
def set_user_group(
    request: Request,
    schedule_id: Id,
    user: Admin,
    slack_user_group: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Keep a Slack user group equal to who is on call, or (empty) stop keeping one."""
    try:
        with runtime_of(request).db.write() as db:
            schedule = schedules.get_schedule(db, schedule_id)
            schedules.update_schedule(
                db, schedule, now=_now(request), slack_user_group=slack_user_group.strip()
            )
            handle = schedule.slack_user_group
    except InvalidInputError as exc:
        values = {"slack_user_group": slack_user_group}
        return _page(
            request, schedule_id, errors={exc.field: exc.message}, values=values, status_code=422
        )
    notice = f"@{handle} follows who is on call." if handle else "No Slack user group is kept."
    return redirect(request, f"/schedules/{schedule_id}", notice=notice)


@router.post("/schedules/{schedule_id}/overrides/{override_id}/delete")
def delete_override(
    request: Request, schedule_id: Id, override_id: Id, user: Responder
) -> Response:
    with runtime_of(request).db.write() as db:
        schedule = schedules.get_schedule(db, schedule_id)
        schedules.delete_override(db, schedule, override_id, now=runtime_of(request).clock.now())
    return redirect(request, f"/schedules/{schedule_id}", notice="Override removed.")


def _form(
    request: Request,
    values: dict[str, str],
    user_ids: list[str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with runtime_of(request).db.read() as db:
        context = {
            "nav": "schedules",
            "values": fields(values),
            "chosen": set(user_ids),
            "errors": fields(errors),
            "users": _users(db),
        }
        return render(request, "oncall/schedule_form.html", context, status_code=status_code)


@router.post("/schedules")
def create_schedule(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=300)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
    user_ids: Annotated[list[str] | None, Form()] = None,
    rotation_length_hours: Annotated[str, Form(max_length=10)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    slack_user_group: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    members = user_ids or []
    values = {
        "name": name,
        "time_zone": time_zone,
        "rotation_length_hours": rotation_length_hours,
        "start": start,
        "slack_user_group": slack_user_group,
    }
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "must not be empty"
    elif len(name.strip()) > 200:
        errors["name"] = "must be at most 200 characters"
    if not time_zone.strip():
        errors["time_zone"] = "must not be empty"
    if not members or not all(parse_id(m) for m in members):
        errors["user_ids"] = "choose at least one person to rotate through"
    hours = rotation_length_hours.strip()
    if not hours.isdecimal() or not 1 <= int(hours) <= MAX_ROTATION_HOURS:
        errors["rotation_length_hours"] = f"must be a whole number from 1 to {MAX_ROTATION_HOURS}"
    opens = parse_time(start, "start", errors)
    if not errors and opens is not None:
        layer = schedules.LayerSpec("Layer 1", [int(m.strip()) for m in members], int(hours), opens)
        try:
            with runtime_of(request).db.write() as db:
                schedule = schedules.create_schedule(
                    db,
                    name=name,
                    time_zone=time_zone,
                    layers=[layer],
                    slack_user_group=slack_user_group,
                    now=_now(request),
                )
                saved_id, saved_name = schedule.id, schedule.name
        except InvalidInputError as exc:
            errors["user_ids" if exc.field.endswith("user_ids") else exc.field] = exc.message
        except ConflictError as exc:
            errors["name"] = str(exc)
        else:
            return redirect(
                request, f"/schedules/{saved_id}", notice=f"Schedule {saved_name} created."
            )
    return _form(request, values, members, errors=errors, status_code=422)
