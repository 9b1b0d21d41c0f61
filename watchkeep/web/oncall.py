"""Schedules and escalation policies: page stubs.

STUB: the schedules and escalation-policy core (tables, `core/schedules.py`,
`core/escalation.py`) is built on another branch and does not exist on this
one. These pages hold the navigation places and say so; the merger replaces
them with the real list/edit pages over that core.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from watchkeep.web.auth import Viewer
from watchkeep.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/schedules")
def schedules(request: Request, user: Viewer) -> Response:
    return render(
        request,
        "oncall/stub.html",
        {
            "nav": "schedules",
            "title": "Schedules",
            "what": "who is on call now, upcoming shifts and overrides",
        },
    )


@router.get("/escalation-policies")
def escalation_policies(request: Request, user: Viewer) -> Response:
    return render(
        request,
        "oncall/stub.html",
        {
            "nav": "policies",
            "title": "Escalation policies",
            "what": "ordered steps, each a delay and the people or schedules to page",
        },
    )
