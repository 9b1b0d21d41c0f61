"""Socket Mode: Slack's requests over a WebSocket Watchkeep opens, for instances
without a public HTTPS address.

Once an app-level token (`xapp-…`, from WATCHKEEP_SLACK_APP_TOKEN or the Slack
settings) is stored, one `serve` process holds the connection: the one that wins
a PostgreSQL advisory lock (on SQLite, the one process). Every few seconds each
process checks the token and its lock; when the holder dies its lock goes with
its database connection, and another process takes over. The connection is the
SDK's Socket Mode client (`slack_sdk.socket_mode.aiohttp`, on the web server's
event loop), which reconnects by itself on a `disconnect` (refresh_requested,
warning), a closed socket or failing pings.

Each envelope goes through the very dispatch the HTTP endpoints use
(`SlackDispatch.dispatch`); only the signature check is left out, the
WebSocket being authenticated by the token. The envelope is acked with the
dispatch's answer (a modal's errors, a command's reply) within Slack's three
seconds: work that takes longer goes on, and the ack goes out empty. An envelope
Slack delivers twice is applied once (`replay.first_envelope`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.concurrency import run_in_threadpool

from watchkeep import logs
from watchkeep.db import engine
from watchkeep.db.leader import LeaderLock
from watchkeep.slack import credentials
from watchkeep.slack.interactive import replay
from watchkeep.slack.interactive.dispatch import Answer, SlackDispatch
from watchkeep.slack.models import SlackApp

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

log = logging.getLogger(__name__)

# Any constant will do, as long as no other advisory lock of Watchkeep uses it.
LOCK_KEY = 7_041_978
# Slack waits three seconds for an ack; leave room for the trip back.
ACK_WITHIN_SECONDS = 2.5
CONNECT_TIMEOUT_SECONDS = 10.0


class SocketModeHolder:
    """Holds the Socket Mode connection while this process has the lock and a token."""

    def __init__(self, runtime: Runtime, dispatch: SlackDispatch) -> None:
        self.runtime = runtime
        self.dispatch = dispatch
        self.lock = LeaderLock(runtime.db, LOCK_KEY)
        self.client: SocketModeClient | None = None
        self._token: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None
        self._work: set[asyncio.Task[Answer]] = set()

    @property
    def connected(self) -> bool:
        return self.client is not None

    def start(self) -> None:
        """Begin checking; call on the event loop that will run the connection."""
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="watchkeep-socket-mode")

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._task is not None:
            await self._task
        if self.client is not None:
            await self._disconnect()
            # Until another process takes over, nobody holds the connection.
            with contextlib.suppress(Exception):
                await self._record(None, None)
        await run_in_threadpool(self.lock.release)

    async def _run(self) -> None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                await self._check()
            except Exception:
                log.exception("Socket Mode check failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), self.runtime.settings.socket_mode_poll_seconds
                )

    async def _check(self) -> None:
        token = await run_in_threadpool(self._stored_token)
        if token is None:
            if self.lock.held:
                if self.client is not None:
                    await self._disconnect()
                    await self._record(None, None)
                await run_in_threadpool(self.lock.release)
            return
        if not self.lock.held:
            if not await run_in_threadpool(self.lock.try_acquire):
                return  # another process holds the connection
        elif not await run_in_threadpool(self.lock.still_held):
            await self._disconnect()  # another process may hold it by now
            return
        if self.client is None or token != self._token:
            await self._disconnect()
            await self._connect(token)

    async def _connect(self, token: str) -> None:
        settings = self.runtime.settings
        web = AsyncWebClient(
            base_url=settings.slack_api_url, timeout=int(max(1, settings.slack_timeout_seconds))
        )
        try:
            url = (await web.apps_connections_open(app_token=token))["url"]
        except SlackApiError as exc:
            await self._record(None, f"Slack said: apps.connections.open: {exc.response['error']}")
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            await self._record(None, f"Slack could not be reached: {exc.__class__.__name__}")
            return
        client = SocketModeClient(token, web_client=web, logger=log)
        client.socket_mode_request_listeners.append(self._on_request)
        client.wss_uri = url
        try:
            await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT_SECONDS)
        except TimeoutError:
            await client.close()
            await self._record(None, "the Socket Mode WebSocket did not open in time")
            return
        self.client, self._token = client, token
        await self._record(self.runtime.clock.now(), None)
        log.info("Socket Mode connected")

    async def _disconnect(self) -> None:
        client, self.client, self._token = self.client, None, None
        if client is not None:
            await client.close()
            log.info("Socket Mode disconnected")

    async def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        """Answer within Slack's three seconds, with the dispatch's answer if it is ready."""
        work = asyncio.create_task(self.handle(request.type, request.payload, request.envelope_id))
        self._work.add(work)
        work.add_done_callback(self._work.discard)
        payload = None
        try:
            answer = await asyncio.wait_for(asyncio.shield(work), ACK_WITHIN_SECONDS)
            payload = answer.payload() if request.accepts_response_payload else None
        except TimeoutError:
            log.warning("Socket Mode envelope %s took too long; acked empty", request.envelope_id)
        except Exception:
            log.exception("Socket Mode envelope %s failed", request.envelope_id)
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )

    async def handle(self, kind: str, payload: dict, envelope_id: str) -> Answer:
        """The shared dispatch; run once more if the database connection was lost
        before anything was applied (as `watchkeep.request_retry` does for HTTP)."""
        runtime = self.runtime
        request_id = uuid.uuid4().hex

        async def first_delivery() -> bool:
            return await run_in_threadpool(
                replay.first_envelope, runtime.db, envelope_id, request_id, runtime.clock.now()
            )

        # The envelope's id follows its change into the outbox, as a request's does.
        with logs.bound_request_id(request_id):
            for attempt in (1, 2):
                with engine.ledger() as done:
                    answer = await self.dispatch.dispatch(kind, payload, first_delivery)
                failure = answer.failure
                if (
                    failure is None
                    or attempt == 2
                    or done.effects
                    or not engine.lost_connection_before_commit(failure)
                ):
                    break
                log.warning("Socket Mode envelope %s lost its connection; again", envelope_id)
            log.info(
                "Socket Mode %s envelope %s handled",
                kind,
                envelope_id,
                extra={"kind": kind, "envelope_id": envelope_id},
            )
        return answer

    def _stored_token(self) -> str | None:
        with self.runtime.db.read() as session:
            return credentials.app_token(session, self.runtime.secrets)

    async def _record(self, connected_at: datetime | None, error: str | None) -> None:
        """What every process's settings page shows of the connection."""
        if error:
            log.warning("Socket Mode: %s", error)

        def write() -> None:
            with self.runtime.db.write() as session:
                app = credentials.app_credentials(session, now=self.runtime.clock.now())
                app.socket_mode_connected_at, app.socket_mode_error = connected_at, error

        await run_in_threadpool(write)


def status(app: SlackApp | None) -> tuple[datetime | None, str | None]:
    """(connected since, Slack's last error) of the Socket Mode connection."""
    if app is None:
        return None, None
    return app.socket_mode_connected_at, app.socket_mode_error
