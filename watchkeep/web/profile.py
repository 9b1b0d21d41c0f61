"""Your profile (`/settings/profile`, for everyone): who you are, and how you want
to be paged: a Slack DM at once or not, and a second DM if the incident is still
unacknowledged after some minutes (the `notification_rules` of the users API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from watchkeep.core import accounts, notification_rules
from watchkeep.core.errors import InvalidInputError
from watchkeep.core.notification_rules import MAX_REPEAT_MINUTES, NotificationRules
from watchkeep.web.auth import Viewer, WebUser, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PAGE = "/settings/profile"


def _page(
    request: Request,
    user: WebUser,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with runtime_of(request).db.read() as db:
        me = accounts.get_user(db, user.id)
        rules = notification_rules.rules_of(me)
        shown = values or {
            "slack_dm": "on" if rules.slack_dm else "",
            "repeat_after_minutes": str(rules.repeat_after_minutes or ""),
        }
        context = {
            "nav": "profile",
            "me": me,
            "values": fields(shown),
            "errors": fields(errors),
            "max_repeat": MAX_REPEAT_MINUTES,
        }
        return render(request, "settings/profile.html", context, status_code=status_code)


@router.get(PAGE)
def profile_page(request: Request, user: Viewer) -> Response:
    return _page(request, user)


@router.post(PAGE + "/notification-rules")
def save_rules(
    request: Request,
    user: Viewer,
    slack_dm: Annotated[str, Form(max_length=10)] = "",
    repeat_after_minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values = {"slack_dm": slack_dm, "repeat_after_minutes": repeat_after_minutes}
    minutes = repeat_after_minutes.strip()
    if minutes and not minutes.isdecimal():
        errors = {"repeat_after_minutes": "must be a whole number of minutes, or empty"}
        return _page(request, user, values=values, errors=errors, status_code=422)
    try:
        rules = NotificationRules(
            slack_dm=slack_dm == "on", repeat_after_minutes=int(minutes) if minutes else None
        )
    except InvalidInputError as exc:
        errors = {"repeat_after_minutes": exc.message}
        return _page(request, user, values=values, errors=errors, status_code=422)
    with runtime_of(request).db.write() as db:
        notification_rules.set_rules(accounts.get_user(db, user.id), rules)
    return redirect(request, PAGE, notice="Notification rules saved.")
