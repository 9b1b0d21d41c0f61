"""The ASGI application: the JSON API, the Slack endpoints and the web UI on one
FastAPI app, with the outbox worker running beside it when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from watchkeep.api import operations
from watchkeep.api.deps import PrincipalCache
from watchkeep.api.errors import install_error_handlers
from watchkeep.api.v1 import router as api_v1
from watchkeep.ingest import routes as ingest_routes
from watchkeep.request_log import RequestLog, RouteLabel
from watchkeep.request_retry import RetryLostConnection
from watchkeep.runtime import Runtime
from watchkeep.slack.interactive.wiring import slack_dispatch, slack_routes
from watchkeep.slack.socket_mode import SocketModeHolder
from watchkeep.web import install_web
from watchkeep.web.sandbox.actor import Sandbox

log = logging.getLogger(__name__)


def create_app(
    runtime: Runtime, *, run_worker: bool | None = None, sandbox: Sandbox | None = None
) -> FastAPI:
    """The app over `runtime`; `run_worker` defaults to the WATCHKEEP_RUN_WORKER setting.
    Slack's requests arrive over HTTP, and over Socket Mode once an app-level token is
    set (unless WATCHKEEP_RUN_SOCKET_MODE is false); both reach one dispatch. `sandbox`,
    the built-in fake Slack when Watchkeep talks to one, is drawn at `/sandbox`."""
    if run_worker is None:
        run_worker = runtime.settings.run_worker
    dispatch = slack_dispatch(runtime)
    holder = SocketModeHolder(runtime, dispatch) if runtime.settings.run_socket_mode else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = runtime.worker() if run_worker else None
        thread = None
        if worker is not None:
            thread = threading.Thread(target=worker.run_forever, name="watchkeep-worker")
            thread.start()
        if holder is not None:
            holder.start()
        try:
            yield
        finally:
            if holder is not None:
                await holder.stop()
            if worker is not None and thread is not None:
                worker.stop()
                thread.join(timeout=30)

    # /docs (Swagger UI) and /redoc from assets the app serves itself: no CDN, works offline.
    app = FastAPIOffline(
        title="Watchkeep",
        version="0.1.0",
        description="Incident response for SRE teams who live in Slack.",
        lifespan=lifespan,
        max_body_size=runtime.settings.max_body_bytes,
    )
    app.state.runtime = runtime
    app.state.principals = PrincipalCache()
    install_error_handlers(app)
    # Innermost first: the route label is read where the router wrote it.
    app.add_middleware(RouteLabel)
    app.add_middleware(RetryLostConnection)
    app.add_middleware(RequestLog)
    # The receivers first: a storm's requests then match their route at once.
    ingest_routes.mount(app, runtime)
    app.include_router(api_v1)
    app.include_router(slack_routes(runtime, dispatch))
    app.state.socket_mode = holder

    app.include_router(operations.router)
    install_web(app, runtime, sandbox)

    return app
