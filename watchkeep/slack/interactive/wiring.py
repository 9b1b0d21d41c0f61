"""The Slack endpoints of one web app, over one runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from watchkeep.slack import credentials
from watchkeep.slack.commands.subcommands import SlashCommands
from watchkeep.slack.events.receive import events_kind
from watchkeep.slack.interactive.bolt_app import build_bolt_app
from watchkeep.slack.interactive.dispatch import EVENTS_API, SlackDispatch
from watchkeep.slack.interactive.routes import SlackEndpoints
from watchkeep.slack.interactive.verify import RequestVerifier

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


def slack_dispatch(runtime: Runtime) -> SlackDispatch:
    """The one dispatch of this process, shared by HTTP and Socket Mode."""
    bolt, interactions = build_bolt_app(runtime)
    dispatch = SlackDispatch(bolt, interactions, SlashCommands(interactions))
    dispatch.register(EVENTS_API, events_kind(runtime))
    return dispatch


def slack_routes(runtime: Runtime, dispatch: SlackDispatch) -> APIRouter:
    def load_secrets() -> list[str]:
        with runtime.db.read() as session:
            return credentials.accepted_signing_secrets(
                session, runtime.secrets, runtime.clock.now()
            )

    verifier = RequestVerifier(
        load_secrets,
        lambda: runtime.slack.generation,
        lambda: runtime.clock.now().timestamp(),
    )
    return SlackEndpoints(dispatch, verifier).router()
