"""What a log line says: plain text or one JSON object a line (WATCHKEEP_LOG_FORMAT),
and the request it belongs to.

The request id is a context variable: set for a web request by `request_log`,
carried into the outbox rows the request enqueues (`outbox.store`), and set
again by the worker while it runs such a row. Every line logged meanwhile, in
any module, carries it, so one id finds a click's request and the Slack calls
its jobs made later.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["plain", "json"]

_request_id: ContextVar[str | None] = ContextVar("watchkeep_request_id", default=None)

# The attributes every LogRecord has: anything else on a record came as `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def current_request_id() -> str | None:
    """The id of the request (or outbox row's request) this code runs for, if any."""
    return _request_id.get()


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """Run the block as part of `request_id` (a worker running a request's row)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the
    record's `extra` fields (a request's method, route, status, duration)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(log_format: LogFormat = "plain", level: int = logging.INFO) -> None:
    """Send every logger's lines to stderr in `log_format`, each with its request id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(PLAIN))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
