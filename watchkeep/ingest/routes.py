"""The receivers monitoring tools post to. They authenticate by integration key only.

    POST /v2/enqueue                   PagerDuty Events API v2 (key: `routing_key`)
    POST /ingest/alertmanager/{key}    Prometheus Alertmanager webhook, version 4
    POST /ingest/webhook/{key}         generic JSON, read through the integration's paths

Answers follow PagerDuty's: 202 `{status, message, …}` when processed; 400
`{status: "invalid event", errors: ["field: problem", …]}`; 404 for an unknown
key; 429 `{status: "throttle event"}` with Retry-After. Bodies are read raw and
checked by the format's own parser, so a bad body is PagerDuty's 400, not 422.

They are plain Starlette routes, first in the app's table: FastAPI's request
handling (dependency solving, response wrapping) cost a third of a duplicate
alert's CPU, and these endpoints use none of it. `mount` documents them in the
app's OpenAPI by hand.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from watchkeep import metrics
from watchkeep.ingest import alertmanager, events_v2, intake, webhook
from watchkeep.ingest.admission import IngestRequest, Reader
from watchkeep.ingest.alert import AlertEvent
from watchkeep.ingest.errors import BadEventError, RateLimitedError, UnknownKeyError
from watchkeep.ingest.models import IntegrationType
from watchkeep.ingest.writer import IngestWriter

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


async def enqueue(request: Request) -> JSONResponse:
    """PagerDuty Events API v2: trigger, acknowledge or resolve one alert."""
    try:
        event = events_v2.parse(await request.body())
        await _ingest(
            request, event.routing_key, IntegrationType.EVENTS_API_V2, lambda _: [event.alert]
        )
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.EVENTS_API_V2, key_field="routing_key")
    body = {"status": "success", "message": "Event processed", "dedup_key": event.alert.dedup_key}
    return JSONResponse(body, status_code=202)


async def alertmanager_webhook(request: Request) -> JSONResponse:
    """Prometheus Alertmanager webhook (version 4): each alert triggers or resolves."""
    key = request.path_params["key"]
    try:
        events = alertmanager.parse(await request.body())
        results = await _ingest(request, key, IntegrationType.ALERTMANAGER, lambda _: events)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.ALERTMANAGER, key_field="key")
    return _processed(results)


async def generic_webhook(request: Request) -> JSONResponse:
    """Any JSON object, read through the integration's configured field paths."""
    key = request.path_params["key"]

    def read(config: dict[str, Any]) -> list[AlertEvent]:
        return [webhook.read(document, webhook.WebhookConfig.model_validate(config))]

    try:
        document = webhook.load(await request.body())
        results = await _ingest(request, key, IntegrationType.WEBHOOK, read)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.WEBHOOK, key_field="key")
    return _processed(results)


async def _ingest(
    request: Request, key: str, integration_type: IntegrationType, read: Reader
) -> list[intake.Result]:
    writer: IngestWriter = request.app.state.ingest_writer
    results = await writer.apply(IngestRequest(key, integration_type, read))
    for result in results:
        _count(integration_type, result.outcome)
    return results


def _refusal_outcome(exc: Exception) -> str:
    if isinstance(exc, BadEventError):
        return "invalid"
    return "unknown_key" if isinstance(exc, UnknownKeyError) else "throttled"


def _count(integration_type: IntegrationType, outcome: str) -> None:
    metrics.INGEST_EVENTS.labels(integration_type.value, outcome).inc()


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
    exc: BadEventError | UnknownKeyError | RateLimitedError,
    integration_type: IntegrationType,
    *,
    key_field: str,
) -> JSONResponse:
    _count(integration_type, _refusal_outcome(exc))
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


_KEY_IN_PATH = re.compile(r"(/ingest/[a-z_]+/[0-9a-f]{12})[0-9a-f]+")


def masked_path(path: str) -> str:
    """`path` with the secret part of a receiver URL's key cut off, for logs."""
    return _KEY_IN_PATH.sub(r"\1…", path)


class _HideKeys(logging.Filter):
    """Keeps access logs from recording the secret part of keys in receiver URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                masked_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_hide_keys = _HideKeys()


RECEIVERS = [
    Route("/v2/enqueue", enqueue, methods=["POST"]),
    Route("/ingest/alertmanager/{key}", alertmanager_webhook, methods=["POST"]),
    Route("/ingest/webhook/{key}", generic_webhook, methods=["POST"]),
]


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Add the receivers to `app` (first), documented, with access logs that hide keys."""
    app.state.ingest_writer = IngestWriter(runtime)
    app.router.routes[0:0] = RECEIVERS
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            build_openapi()["paths"].update(_documentation())
        return app.openapi_schema

    app.openapi = openapi
    # The same filter object each time: adding it again is a no-op.
    logging.getLogger("uvicorn.access").addFilter(_hide_keys)


_ABOUT = (
    "Authenticated by the integration's key alone (no bearer token). Answers follow"
    " PagerDuty's Events API v2; a request is applied whole or not at all."
)


def _documentation() -> dict[str, Any]:
    answers = {
        "202": {"description": "Processed: `{status, message, dedup_key}` or `{…, results}`"},
        "400": {"description": "Not a valid event: `errors` names each bad field"},
        "404": {"description": "No integration has this key (revoked or rotated?)"},
        "429": {"description": "Over the integration's rate: retry after `Retry-After` s"},
    }
    key = [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}]
    body = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        route.path: {
            "post": {
                "tags": ["ingest"],
                "summary": (route.endpoint.__doc__ or "").strip(),
                "description": _ABOUT,
                "parameters": key if "{key}" in route.path else [],
                "requestBody": body,
                "responses": answers,
            }
        }
        for route in RECEIVERS
    }
