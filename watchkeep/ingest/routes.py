"""The receivers monitoring tools post to. They authenticate by integration key only.

    POST /v2/enqueue                   PagerDuty Events API v2 (key: `routing_key`)
    POST /ingest/alertmanager/{key}    Prometheus Alertmanager webhook, version 4
    POST /ingest/webhook/{key}         generic JSON, read through the integration's paths

Answers follow PagerDuty's: 202 `{status, message, …}` when processed; 400
`{status: "invalid event", errors: ["field: problem", …]}`; 404 for an unknown
key; 429 `{status: "throttle event"}` with Retry-After. Bodies are read raw and
checked by the format's own parser, so a bad body is PagerDuty's 400, not 422.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from watchkeep.ingest import alertmanager, events_v2, intake, webhook
from watchkeep.ingest.admission import IngestRequest, Reader
from watchkeep.ingest.alert import AlertEvent
from watchkeep.ingest.errors import BadEventError, RateLimitedError, UnknownKeyError
from watchkeep.ingest.models import IntegrationType
from watchkeep.ingest.writer import IngestWriter
from watchkeep.runtime import Runtime

router = APIRouter(tags=["ingest"])


@router.post("/v2/enqueue", status_code=202)
async def enqueue(request: Request) -> JSONResponse:
    """PagerDuty Events API v2: trigger, acknowledge or resolve one alert."""
    try:
        event = events_v2.parse(await request.body())
        await _ingest(
            request, event.routing_key, IntegrationType.EVENTS_API_V2, lambda _: [event.alert]
        )
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, key_field="routing_key")
    body = {"status": "success", "message": "Event processed", "dedup_key": event.alert.dedup_key}
    return JSONResponse(body, status_code=202)


@router.post("/ingest/alertmanager/{key}", status_code=202)
async def alertmanager_webhook(key: str, request: Request) -> JSONResponse:
    """Prometheus Alertmanager webhook (version 4): each alert triggers or resolves."""
    try:
        events = alertmanager.parse(await request.body())
        results = await _ingest(request, key, IntegrationType.ALERTMANAGER, lambda _: events)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, key_field="key")
    return _processed(results)


@router.post("/ingest/webhook/{key}", status_code=202)
async def generic_webhook(key: str, request: Request) -> JSONResponse:
    """Any JSON object, read through the integration's configured field paths."""

    def read(config: dict[str, Any]) -> list[AlertEvent]:
        return [webhook.read(document, webhook.WebhookConfig.model_validate(config))]

    try:
        document = webhook.load(await request.body())
        results = await _ingest(request, key, IntegrationType.WEBHOOK, read)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, key_field="key")
    return _processed(results)


async def _ingest(
    request: Request, key: str, integration_type: IntegrationType, read: Reader
) -> list[intake.Result]:
    writer: IngestWriter = request.app.state.ingest_writer
    return await writer.apply(IngestRequest(key, integration_type, read))


def _processed(results: list[intake.Result]) -> JSONResponse:
    body = {
        "status": "success",
        "message": f"{len(results)} event(s) processed",
        "results": [
            {
                "dedup_key": result.dedup_key,
                "outcome": result.outcome,
                "incident_number": result.incident_number,
            }
            for result in results
        ],
    }
    return JSONResponse(body, status_code=202)


def _refusal(
    exc: BadEventError | UnknownKeyError | RateLimitedError, *, key_field: str
) -> JSONResponse:
    if isinstance(exc, BadEventError):
        errors = [f"{field}: {message}" for field, message in exc.problems]
        body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        return JSONResponse(body, status_code=400)
    if isinstance(exc, UnknownKeyError):
        errors = [f"{key_field}: no integration has this key (revoked or rotated?)"]
        body = {"status": "invalid event", "message": "Unknown integration key", "errors": errors}
        return JSONResponse(body, status_code=404)
    body = {
        "status": "throttle event",
        "message": "Events for this integration are arriving too quickly; retry later.",
    }
    headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=429, headers=headers)


class _HideKeys(logging.Filter):
    """Keeps access logs from recording the secret part of keys in receiver URLs."""

    _KEY_IN_PATH = re.compile(r"(/ingest/[a-z_]+/[0-9a-f]{12})[0-9a-f]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._KEY_IN_PATH.sub(r"\1…", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


_hide_keys = _HideKeys()


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Add the receivers to `app`, with access logs that hide their keys."""
    app.state.ingest_writer = IngestWriter(runtime)
    app.include_router(router)
    # The same filter object each time: adding it again is a no-op.
    logging.getLogger("uvicorn.access").addFilter(_hide_keys)
