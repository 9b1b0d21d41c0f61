"""Running the fake Slack on loopback: in a background thread for tests, or
standalone with ``python -m watchkeep.fakeslack`` as a local sandbox.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from .agent import Send, SlackUserAgent
from .app import create_app
from .clock import Clock
from .ratelimit import RateLimitConfig
from .state import SlackState


class FakeSlackServer:
    """A real HTTP server (uvicorn, own thread) serving ``state``.

    Use as a context manager; ``url`` is the ``base_url`` for slack_sdk
    clients (``http://127.0.0.1:PORT/api/``). Port 0 picks a free port.
    """

    def __init__(
        self,
        state: SlackState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        rate_limits: RateLimitConfig | None = None,
    ) -> None:
        self._state = state or SlackState(clock=clock, rate_limits=rate_limits)
        self._app = create_app(self._state)
        self.host = host
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SlackState:
        """The world being served; see ``reset`` to start afresh."""
        return self._state

    def reset(self, state: SlackState | None = None) -> SlackState:
        """Serve a fresh (or the given) state from now on, keeping the port.

        Much cheaper than a new server per test. Hangs injected into the old
        state are cut short.
        """
        self._state.closing.set()
        self._state = state or SlackState()
        self._state.closing.clear()
        self._app.state.slack = self._state
        return self._state

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def response_url(self, team: str) -> str:
        """A fresh response_url on this server, as an interaction payload carries."""
        with self._state.lock:
            return self._state.response_urls.url(self.base_url, team, self._state.clock.now())

    def user_agent(self, send: Send, **paths: str) -> SlackUserAgent:
        """People acting on what this server holds, their requests delivered by ``send``."""
        return SlackUserAgent(self.state, slack_url=self.base_url, send=send, **paths)

    @property
    def url(self) -> str:
        """The Web API base URL: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.base_url}/api/"

    def start(self, timeout: float = 10.0) -> FakeSlackServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        # Binding here, not in uvicorn, tells us the ephemeral port up front.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._socket = sock
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            loop="asyncio",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fakeslack", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake Slack server failed to start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; injected hangs are cut short. Safe to call twice."""
        if self._server is not None and self._thread is not None:
            self._state.closing.set()
            self._server.should_exit = True
            self._thread.join(timeout)
            self._state.closing.clear()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> FakeSlackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, token: str | None = None, **kwargs: Any) -> WebClient:
        """A sync slack_sdk client pointed at this server."""
        return WebClient(token=token, base_url=self.url, **kwargs)

    def async_client(self, token: str | None = None, **kwargs: Any) -> AsyncWebClient:
        """An async slack_sdk client pointed at this server."""
        return AsyncWebClient(token=token, base_url=self.url, **kwargs)


def main(argv: list[str] | None = None) -> None:
    """Serve a seeded sandbox workspace in the foreground until Ctrl-C."""
    from .demo import seed_demo

    parser = argparse.ArgumentParser(prog="python -m watchkeep.fakeslack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3999)
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    args = parser.parse_args(argv)
    state = SlackState(rate_limits=RateLimitConfig(enabled=not args.no_rate_limits))
    ws = seed_demo(state)
    print(f"Fake Slack Web API on http://{args.host}:{args.port}/api/")
    print(f"Workspace {ws.name} ({ws.team_id}), bot token: {ws.token}")
    print(f"OAuth client id {state.client_id}, secret {state.client_secret}")
    print(f"App-level token (Socket Mode): {state.issue_app_token()}")
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="info")
