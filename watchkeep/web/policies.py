"""Escalation policy pages: the list, a policy's steps, and (admins) create and delete.

The create form offers up to three steps, each a delay and its targets (people,
schedules, teams); a row left blank is no step. The core checks the rest.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from watchkeep.core import accounts, teams
from watchkeep.core.errors import ConflictError, InvalidInputError
from watchkeep.core.ids import Id, parse_id
from watchkeep.oncall import policies, schedules
from watchkeep.oncall.policies import MAX_REPEAT, StepSpec, TargetSpec, TargetType
from watchkeep.web.auth import Admin, Viewer, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

FORM_STEPS = 3
MAX_DELAY_MINUTES = 7 * 24 * 60
TARGET_TYPES: tuple[TargetType, ...] = ("user", "schedule", "team")


@router.get("/escalation-policies")
def policy_list(request: Request, user: Viewer) -> Response:
    with runtime_of(request).db.read() as db:
        found, _ = policies.list_policies(db, limit=500, offset=0)
        used = {p.id: policies.services_using(db, p.id) for p in found}
        context = {"nav": "policies", "policies": found, "used": used}
        return render(request, "oncall/policies.html", context)


@router.get("/escalation-policies/new")
def new_policy(request: Request, user: Admin) -> Response:
    return _form(request, {"repeat": "0"}, {})


def _page(request: Request, policy_id: int, *, error: str = "", status_code: int = 200) -> Response:
    with runtime_of(request).db.read() as db:
        policy = policies.get_policy(db, policy_id)
        context = {
            "nav": "policies",
            "policy": policy,
            "services": policies.services_using(db, policy_id),
            "error": error,
        }
        return render(request, "oncall/policy.html", context, status_code=status_code)


@router.get("/escalation-policies/{policy_id}")
def policy_page(request: Request, policy_id: Id, user: Viewer) -> Response:
    return _page(request, policy_id)


@router.post("/escalation-policies/{policy_id}/delete")
def delete_policy(request: Request, policy_id: Id, user: Admin) -> Response:
    try:
        with runtime_of(request).db.write() as db:
            policy = policies.get_policy(db, policy_id)
            name = policy.name
            policies.delete_policy(db, policy)
    except ConflictError as exc:
        return _page(request, policy_id, error=f"Not deleted: {exc}.", status_code=409)
    return redirect(request, "/escalation-policies", notice=f"Escalation policy {name} deleted.")


def _form(
    request: Request,
    values: dict[str, str],
    chosen: dict[str, set[str]],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with runtime_of(request).db.read() as db:
        context = {
            "nav": "policies",
            "values": fields(values),
            "chosen": chosen,
            "errors": fields(errors),
            "steps": range(FORM_STEPS),
            "max_repeat": MAX_REPEAT,
            "choices": {
                "user": accounts.list_users(db, limit=1000, offset=0)[0],
                "schedule": schedules.list_schedules(db, limit=500, offset=0)[0],
                "team": teams.list_teams(db, limit=500, offset=0)[0],
            },
        }
        return render(request, "oncall/policy_form.html", context, status_code=status_code)


class PolicyForm:
    """The submitted name, repeat and step rows; `steps` pairs each kept row with its spec."""

    def __init__(self, form: FormData) -> None:
        def text(key: str, limit: int) -> str:
            value = form.get(key, "")
            return value[:limit] if isinstance(value, str) else ""

        self.values = {"name": text("name", 300), "repeat": text("repeat", 10)}
        self.chosen: dict[str, set[str]] = {}
        self.errors: dict[str, str] = {}
        self.steps: list[tuple[int, StepSpec]] = []
        name, repeat = self.values["name"].strip(), self.values["repeat"].strip()
        if not name:
            self.errors["name"] = "must not be empty"
        elif len(name) > 200:
            self.errors["name"] = "must be at most 200 characters"
        if not repeat.isdecimal() or int(repeat) > MAX_REPEAT:
            self.errors["repeat"] = f"must be a whole number from 0 to {MAX_REPEAT}"
        for row in range(FORM_STEPS):
            delay = text(f"step{row}_delay", 10).strip()
            self.values[f"step{row}_delay"] = delay
            targets = []
            for kind in TARGET_TYPES:
                ids = [v for v in form.getlist(f"step{row}_{kind}s") if isinstance(v, str)]
                self.chosen[f"step{row}_{kind}s"] = set(ids)
                targets += [TargetSpec(kind, i) for i in map(parse_id, ids) if i is not None]
            if not delay and not targets:
                continue
            if not delay.isdecimal() or not 1 <= int(delay) <= MAX_DELAY_MINUTES:
                self.errors[f"step{row}_delay"] = (
                    f"must be a whole number of minutes from 1 to {MAX_DELAY_MINUTES}"
                )
            elif not targets:
                self.errors[f"step{row}_targets"] = "choose at least one person, schedule or team"
            else:
                self.steps.append((row, StepSpec(int(delay), targets)))
        if not self.steps and not self.errors:
            self.errors["step0_targets"] = "a policy needs at least one step"

    def field(self, core_field: str) -> str:
        """The form field for a core error's field: `steps.1.targets.0.id` → `step{row}_targets`."""
        parts = core_field.split(".")
        if parts[0] != "steps" or len(parts) < 3 or not parts[1].isdigit():
            return core_field if core_field in ("name", "repeat") else "step0_targets"
        row = self.steps[int(parts[1])][0] if int(parts[1]) < len(self.steps) else 0
        return f"step{row}_delay" if parts[2] == "delay_minutes" else f"step{row}_targets"


async def _policy_form(request: Request) -> PolicyForm:
    return PolicyForm(await request.form())


@router.post("/escalation-policies")
def create_policy(
    request: Request, user: Admin, form: Annotated[PolicyForm, Depends(_policy_form)]
) -> Response:
    errors = dict(form.errors)
    if not errors:
        try:
            with runtime_of(request).db.write() as db:
                policy = policies.create_policy(
                    db,
                    name=form.values["name"],
                    repeat=int(form.values["repeat"]),
                    steps=[spec for _, spec in form.steps],
                    now=runtime_of(request).clock.now(),
                )
                saved_id, name = policy.id, policy.name
        except InvalidInputError as exc:
            errors[form.field(exc.field)] = exc.message
        except ConflictError as exc:
            errors["name"] = str(exc)
        else:
            return redirect(
                request,
                f"/escalation-policies/{saved_id}",
                notice=f"Escalation policy {name} saved.",
            )
    return _form(request, form.values, form.chosen, errors=errors, status_code=422)
