"""Socket Mode, Slack's side: ``apps.connections.open`` hands out one-time WebSocket
URLs on loopback, and the ``/link/`` WebSocket endpoint speaks Slack's envelope
format to the app that connects.

On connecting, the app gets ``{"type": "hello", ...}``. Each request Slack would
have POSTed to the app travels instead as an envelope ``{envelope_id, type:
interactive | slash_commands | events_api, payload, accepts_response_payload}``;
the app acks with ``{envelope_id, payload?}`` within 3 seconds, or Slack gives
up (the person sees an error). ``disconnect`` asks the app to reconnect
(``refresh_requested``, or a ``warning`` shortly before), ``drop`` cuts every
connection as a network failure would.

    reply = hub.deliver("interactive", payload)   # from any thread
    assert hub.envelopes[-1].acked
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.websockets import WebSocket, WebSocketDisconnect

from .signing import Reply, SignedRequest

ACK_SECONDS = 3.0


class NotConnected(Exception):
    """No app holds a Socket Mode connection: Slack has nowhere to send the request."""


@dataclass
class Connection:
    id: int
    app_id: str
    loop: asyncio.AbstractEventLoop
    socket: WebSocket
    opened_at: float
    closed: bool = False
    waiting: dict[str, Future[dict[str, Any]]] = field(default_factory=dict)

    def send(self, message: dict[str, Any]) -> None:
        """Send from any thread; the socket belongs to the server's event loop."""
        sent = asyncio.run_coroutine_threadsafe(
            self.socket.send_text(json.dumps(message)), self.loop
        )
        sent.result(timeout=ACK_SECONDS)


@dataclass
class Envelope:
    """One request sent over a connection, and the app's ack (None: never acked)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection_id: int
    ack: dict[str, Any] | None = None

    @property
    def acked(self) -> bool:
        return self.ack is not None


class SocketHub:
    """Tickets, live connections and every envelope sent, for one fake Slack."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.lock = threading.Lock()
        self.tickets: dict[str, str] = {}  # one-time ticket -> the app token that asked
        self.connections: list[Connection] = []
        self.envelopes: list[Envelope] = []
        self._ids = itertools.count(1)

    # ---- what apps.connections.open and the WebSocket endpoint use ---------
    def issue_url(self, origin: str, app_token: str) -> str:
        ticket = secrets.token_hex(16)
        with self.lock:
            self.tickets[ticket] = app_token
        ws_origin = origin.replace("https://", "wss://").replace("http://", "ws://")
        return f"{ws_origin}/link/?ticket={ticket}&app_id={self.app_id}"

    async def serve(self, socket: WebSocket) -> None:
        """One app's connection, from hello until either side closes it."""
        with self.lock:
            token = self.tickets.pop(socket.query_params.get("ticket", ""), None)
        if token is None:
            await socket.close(code=4001, reason="invalid_ticket")
            return
        await socket.accept()
        connection = Connection(
            next(self._ids), self.app_id, asyncio.get_running_loop(), socket, time.monotonic()
        )
        with self.lock:
            self.connections.append(connection)
            count = len(self.open_connections())
        await socket.send_text(json.dumps(_hello(connection, count)))
        try:
            while True:
                self._acked(connection, await socket.receive_text())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            connection.closed = True

    def _acked(self, connection: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        waiting = connection.waiting.pop(str(message.get("envelope_id", "")), None)
        if waiting is not None and not waiting.done():
            waiting.set_result(message)

    # ---- what tests and the user agent use --------------------------------
    def open_connections(self) -> list[Connection]:
        return [c for c in self.connections if not c.closed]

    def deliver(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = True
    ) -> Envelope:
        """Send one envelope to the oldest open connection and wait for its ack."""
        envelope_id = f"{next(self._ids)}-{secrets.token_hex(8)}"
        return self._send(envelope_id, kind, payload, accepts_response_payload, retry_attempt=0)

    def redeliver(self, envelope: Envelope) -> Envelope:
        """Send an envelope again, as Slack does when it saw no ack (to the connection
        open now): the same id and payload."""
        return self._send(envelope.envelope_id, envelope.type, envelope.payload, True, 1)

    def _send(
        self,
        envelope_id: str,
        kind: str,
        payload: dict[str, Any],
        accepts_response_payload: bool,
        retry_attempt: int,
    ) -> Envelope:
        with self.lock:
            live = self.open_connections()
            if not live:
                raise NotConnected("no app holds a Socket Mode connection")
            connection = live[0]
            envelope = Envelope(envelope_id, kind, payload, connection.id)
            self.envelopes.append(envelope)
            acked: Future[dict[str, Any]] = Future()
            connection.waiting[envelope_id] = acked
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            message |= {
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" * bool(retry_attempt),
            }
        connection.send(message)
        try:
            envelope.ack = acked.result(timeout=ACK_SECONDS)
        except FutureTimeout:
            connection.waiting.pop(envelope_id, None)
        return envelope

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect (``warning`` comes first in real Slack)."""
        for connection in self.open_connections():
            connection.send(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink"}}
            )

    def drop(self) -> None:
        """Close every connection from Slack's side, as a failing network would."""
        for connection in self.open_connections():
            asyncio.run_coroutine_threadsafe(
                connection.socket.close(code=1011), connection.loop
            ).result(timeout=ACK_SECONDS)
            connection.closed = True


def _hello(connection: Connection, count: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": count,
        "debug_info": {
            "host": "fake-applink",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": connection.app_id},
    }


def socket_sender(hub: SocketHub) -> Any:
    """A ``Send`` for ``SlackUserAgent`` that delivers over Socket Mode instead of HTTP:
    the same payloads Slack would POST, in envelopes; the ack's payload is the answer."""

    def send(request: SignedRequest) -> Reply:
        kind, payload = envelope_of(request)
        envelope = hub.deliver(kind, payload)
        if envelope.ack is None:
            return Reply(504, b"operation_timeout")
        answer = envelope.ack.get("payload")
        body = json.dumps(answer).encode() if answer else b""
        return Reply(200, body, {"content-type": "application/json"} if answer else {})

    return send


def envelope_of(request: SignedRequest) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload for a request Slack would have POSTed."""
    if request.headers.get("Content-Type", "").startswith("application/json"):
        return "events_api", json.loads(request.body)
    form = dict(parse_qsl(request.body, keep_blank_values=True))
    if "payload" in form and "command" not in form:
        return "interactive", json.loads(form["payload"])
    return "slash_commands", form
