"""The one Bolt AsyncApp, built at start-up and never changed per request.

Bolt routes payloads to listeners and carries ack(); it does not verify
signatures (the route does, with the secret from the database) and it
authorizes from Watchkeep's own workspace table, so no Slack call is made
to authorize a click.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from starlette.concurrency import run_in_threadpool

from watchkeep.slack.interactive import actions, modals, runbook_shortcut
from watchkeep.slack.interactive.directory import WorkspaceDirectory
from watchkeep.slack.interactive.interactions import Interactions

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

LISTENER_ERROR = "watchkeep_listener_error"


def build_bolt_app(runtime: Runtime) -> tuple[AsyncApp, Interactions]:
    directory = WorkspaceDirectory(runtime.db, runtime.secrets, lambda: runtime.slack.generation)

    async def authorize(team_id: str | None = None, **_: object) -> AuthorizeResult | None:
        return await run_in_threadpool(directory.authorize_result, team_id) if team_id else None

    app = AsyncApp(
        name="watchkeep",
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
        ssl_check_enabled=False,
        url_verification_enabled=False,
        client=AsyncWebClient(
            base_url=runtime.settings.slack_api_url,
            timeout=int(max(1, runtime.settings.slack_timeout_seconds)),
        ),
    )

    @app.error
    async def keep_error(error: Exception, context: AsyncBoltContext) -> None:
        # Bolt answers a failed listener with a 500 itself; the route decides whether the
        # failure was a lost database connection, which the app then runs again.
        context[LISTENER_ERROR] = error

    interactions = Interactions(runtime, directory)
    actions.register(app, interactions)
    modals.register(app, interactions)
    runbook_shortcut.register(app, interactions)
    return app, interactions
