"""The web UI: server-rendered pages over the same core as the JSON API.

This package owns the browser side of Watchkeep: signing in (a signed session
cookie, CSRF tokens on every form), the incident list and incident pages,
services with their integrations, schedules and escalation policies, one's own
API tokens and profile (how one is paged), the Slack sandbox (`/sandbox`, the
built-in fake Slack drawn like Slack), Settings → Integrations → Slack with
the OAuth "Add Workspace" install, Settings → Connectors, runbooks (editor, preview,
run history, manual runs), friendly error pages, and the templates and
vendored static files (htmx, our CSS) they use. Pages call core functions inside
`runtime.db.read()/write()` with the user as actor (source `web`); incident
changes reach Slack through the outbox, never inside the request. Only the
admin Slack operations (test connection, channel list, OAuth exchange) call
Slack while the admin waits.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from watchkeep.runtime import Runtime
from watchkeep.web.channel_cache import ChannelCache
from watchkeep.web.errors import install_error_pages
from watchkeep.web.rendering import STATIC_DIR
from watchkeep.web.sandbox import routes as sandbox_routes
from watchkeep.web.sandbox.actor import Sandbox
from watchkeep.web.session import SessionCodec


def install_web(app: FastAPI, runtime: Runtime, sandbox: Sandbox | None = None) -> None:
    """Mount the pages, the static files and the error pages on `app`; `sandbox` is the
    built-in fake Slack, drawn at `/sandbox` when Watchkeep talks to it."""
    from watchkeep.web import (
        connectors,
        incidents,
        integrations,
        login,
        policies,
        profile,
        runbooks,
        schedules,
        services,
        slack_oauth,
        slack_settings,
        tokens,
    )

    settings = runtime.settings
    app.state.web_sessions = SessionCodec(
        settings.resolved_secret_key, secure=settings.base_url.startswith("https://")
    )
    app.state.slack_channels = ChannelCache()
    app.state.sandbox = sandbox
    modules = (login, incidents, services, integrations, schedules, policies, tokens, profile)
    modules = (*modules, runbooks, connectors)
    for module in (*modules, slack_settings, slack_oauth):
        app.include_router(module.router)
    app.include_router(sandbox_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)
