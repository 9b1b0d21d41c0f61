"""The real Watchkeep server on loopback for browser tests: uvicorn in a thread,
the worker running beside it, real time, a fake Slack for its Slack."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from watchkeep.app import create_app
from watchkeep.runtime import Runtime


class LiveServer:
    def __init__(self, runtime: Runtime, sock: socket.socket) -> None:
        self.runtime = runtime
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            create_app(runtime, run_worker=True),
            log_level="warning",
            access_log=False,
            loop="asyncio",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="watchkeep-live", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        ready = threading.Event()
        # A start-up handshake, not a test wait: uvicorn sets `started` once it listens.
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the Watchkeep server failed to start")
            ready.wait(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


def bind_loopback() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
