"""views.open / views.push / views.update: modals opened from a trigger id."""

from __future__ import annotations

import secrets
from typing import Any

from ..blocks import home_view_errors, invalid, view_errors
from ..errors import SlackError
from ..models import Trigger, View
from .base import Context, method

TRIGGER_TTL = 3.0  # seconds a trigger id can be exchanged, per Slack
MAX_STACK = 3  # views.push refuses a fourth modal on the stack


def _payload(ctx: Context) -> dict[str, Any]:
    view = ctx.params.get("view")
    if view is None:
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    problems = view_errors(view)
    if problems:
        raise invalid("invalid_arguments", problems, listed=False)
    external_id = view.get("external_id") or ""
    if external_id and any(
        v.external_id == external_id and v.team_id == ctx.ws.team_id
        for v in ctx.state.views.values()
    ):
        raise SlackError("duplicate_external_id")
    return view


def _exchange_trigger(ctx: Context) -> Trigger:
    trigger = ctx.state.triggers.get(ctx.arg("trigger_id"))
    if trigger is None or trigger.team_id != ctx.ws.team_id:
        raise SlackError("invalid_trigger_id")
    if ctx.state.clock.now() - trigger.issued_at > TRIGGER_TTL:
        raise SlackError("expired_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    trigger.used = True
    return trigger


def _new_view(ctx: Context, trigger: Trigger, payload: dict[str, Any], parent: View | None) -> View:
    view_id = ctx.state.new_id("V")
    view = View(
        view_id,
        ctx.ws.team_id,
        trigger.user_id,
        payload,
        _hash(ctx),
        root_view_id=parent.root_view_id if parent else view_id,
        previous_view_id=parent.id if parent else None,
        external_id=payload.get("external_id") or "",
    )
    ctx.state.views[view_id] = view
    return view


def _hash(ctx: Context) -> str:
    return f"{int(ctx.state.clock.now())}.{secrets.token_hex(4)}"


def _answer(ctx: Context, view: View) -> dict[str, Any]:
    return {"ok": True, "view": view.to_api(ctx.ws.app_id, ctx.ws.bot_id)}


@method("views.open")
def open_(ctx: Context) -> dict[str, Any]:
    payload = _payload(ctx)
    return _answer(ctx, _new_view(ctx, _exchange_trigger(ctx), payload, None))


@method("views.push")
def push(ctx: Context) -> dict[str, Any]:
    payload = _payload(ctx)
    trigger = _exchange_trigger(ctx)
    parent = ctx.state.views.get(trigger.view_id or "")
    if parent is not None:
        stack = [v for v in ctx.state.views.values() if v.root_view_id == parent.root_view_id]
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
    return _answer(ctx, _new_view(ctx, trigger, payload, parent))


@method("views.update")
def update(ctx: Context) -> dict[str, Any]:
    view_id, external_id = ctx.arg("view_id"), ctx.arg("external_id")
    if not view_id and not external_id:
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] either view_id or external_id is required"]},
        )
    view = next(
        (
            v
            for v in ctx.state.views.values()
            if v.team_id == ctx.ws.team_id
            and (v.id == view_id if view_id else v.external_id == external_id)
        ),
        None,
    )
    if view is None:
        raise SlackError("not_found")
    if ctx.arg("hash") and ctx.arg("hash") != view.hash:
        raise SlackError("hash_conflict")
    payload = ctx.params.get("view")
    if payload is None:
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    problems = view_errors(payload)
    if problems:
        raise invalid("invalid_arguments", problems, listed=False)
    view.view = payload
    view.hash = _hash(ctx)
    view.external_id = payload.get("external_id") or view.external_id
    return _answer(ctx, view)


@method("views.publish")
def publish(ctx: Context) -> dict[str, Any]:
    """The Home tab of one user: made on first publish, replaced by every later one
    (one view per user, `hash` guarding against a stale replace)."""
    user = ctx.user(ctx.arg("user_id"))
    if user is None or user.is_bot:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]})
    payload = ctx.params.get("view")
    if not isinstance(payload, dict):
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    if not ctx.ws.home_tab:
        raise SlackError("not_enabled")
    problems = home_view_errors(payload)
    if problems:
        raise invalid("invalid_arguments", problems, listed=False)
    view = ctx.state.home_view(user)
    if view is not None and ctx.arg("hash") and ctx.arg("hash") != view.hash:
        raise SlackError("hash_conflict")
    if view is None:
        view_id = ctx.state.new_id("V")
        view = View(view_id, ctx.ws.team_id, user.id, payload, _hash(ctx), root_view_id=view_id)
        ctx.state.views[view_id] = view
    view.view, view.hash = payload, _hash(ctx)
    return _answer(ctx, view)
