"""The receivers monitoring tools post to. They authenticate by integration key only.

    POST /v2/enqueue                   PagerDuty Events API v2 (key: `routing_key`)
    POST /v2/change/enqueue            PagerDuty Change Events (key: `routing_key`)
    POST /ingest/alertmanager/{key}    Prometheus Alertmanager webhook, version 4
    POST /ingest/webhook/{key}         generic JSON, read through the integration's paths
    POST /ingest/grafana/{key}         Grafana's webhook contact point (version 1)
    POST /ingest/datadog/{key}         Datadog's webhook, with the README's payload
    POST /ingest/sentry/{key}          Sentry's issue alerts, issues and metric alerts
    POST /ingest/cloudwatch/{key}      Amazon SNS (CloudWatch alarms), signatures checked
    POST /v2/alerts[/{id}/close|acknowledge]  Opsgenie-compatible (`GenieKey` header)

Answers follow PagerDuty's: 202 `{status, message, …}` when processed; 400
`{status: "invalid event", errors: ["field: problem", …]}`; 404 for an unknown
key; 429 `{status: "throttle event"}` with Retry-After. Any other path or method under
`/v2/` or `/ingest/` is a JSON 404 or 405 in the same shape. Bodies are read raw and
checked by the format's own parser, so a bad body is PagerDuty's 400, not 422.

They are plain Starlette routes, first in the app's table: FastAPI's request
handling (dependency solving, response wrapping) cost a third of a duplicate
alert's CPU, and these endpoints use none of it. `mount` documents them in the
app's OpenAPI by hand.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount, Route
from starlette.types import Receive, Scope, Send

from watchkeep import metrics
from watchkeep.ingest import (
    alertmanager,
    datadog,
    events_v2,
    intake,
    opsgenie,
    sentry,
    sns,
    webhook,
)
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
        await _ingest(request, event.routing_key, IntegrationType.EVENTS_API_V2, event.read)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.EVENTS_API_V2, key_field="routing_key")
    body = {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}
    return JSONResponse(body, status_code=202)


async def change_enqueue(request: Request) -> JSONResponse:
    """PagerDuty Change Events: a deploy or config change, kept on the service."""
    try:
        routing_key, change = events_v2.parse_change(await request.body())
        [result] = await _ingest(
            request, routing_key, IntegrationType.EVENTS_API_V2, lambda _: [change]
        )
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.EVENTS_API_V2, key_field="routing_key")
    # pdpyras' send_change_event answers the `id`.
    body = {"status": "success", "message": "Change event processed", "id": result.dedup_key}
    return JSONResponse(body, status_code=202)


# Reads a body into alerts, given the integration's config (known once its key is).
BodyReader = Callable[[bytes], Reader]


def keyed_receiver(
    integration_type: IntegrationType, read_body: BodyReader, doc: str
) -> Callable[[Request], Awaitable[Response]]:
    """A receiver whose key is in its path: the body is read first (a bad one is a 400
    before any write), its alerts once the integration's config is known."""

    async def receive(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            read = read_body(await request.body())
            results = await _ingest(request, key, integration_type, read)
        except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
            return _refusal(exc, integration_type, key_field="key")
        return _processed(results)

    receive.__doc__ = doc
    receive.__name__ = f"{integration_type.value}_receiver"
    return receive


def _fixed(events: Sequence[AlertEvent]) -> Reader:
    return lambda _: events


def _alertmanager(body: bytes) -> Reader:
    return _fixed(alertmanager.parse(body))


def _generic(body: bytes) -> Reader:
    document = webhook.load(body)
    return lambda config: webhook.read_all(document, webhook.WebhookConfig.model_validate(config))


alertmanager_webhook = keyed_receiver(
    IntegrationType.ALERTMANAGER,
    _alertmanager,
    "Prometheus Alertmanager webhook (version 4, or Grafana's version 1): each alert"
    " triggers or resolves.",
)
grafana_webhook = keyed_receiver(
    IntegrationType.GRAFANA,
    _alertmanager,
    "Grafana's webhook contact point: every alert of the group triggers or resolves.",
)
datadog_webhook = keyed_receiver(
    IntegrationType.DATADOG,
    lambda body: _fixed(datadog.parse(body)),
    "Datadog's webhook (the payload the README gives): a monitor triggers or recovers.",
)
sentry_webhook = keyed_receiver(
    IntegrationType.SENTRY,
    lambda body: _fixed(sentry.parse(body)),
    "Sentry's webhooks: issue alerts and metric alerts trigger, resolved issues resolve.",
)
generic_webhook = keyed_receiver(
    IntegrationType.WEBHOOK,
    _generic,
    "Any JSON object, read through the integration's configured field paths.",
)


async def cloudwatch_sns(request: Request) -> JSONResponse:
    """Amazon SNS (CloudWatch alarms): signed messages only; confirms its subscription."""
    key = request.path_params["key"]
    verifier: sns.SnsVerifier = request.app.state.sns_verifier
    try:
        envelope, raw = sns.load(await request.body())
        await run_in_threadpool(verifier.verify, envelope, raw)
        events = sns.alarm_events(envelope) if envelope.type == "Notification" else []
        results = await _ingest(request, key, IntegrationType.CLOUDWATCH, _fixed(events))
        if envelope.type == "SubscriptionConfirmation":
            await run_in_threadpool(verifier.confirm, envelope)
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _refusal(exc, IntegrationType.CLOUDWATCH, key_field="key")
    except httpx.HTTPError as exc:
        body = {"status": "error", "message": f"The SubscribeURL could not be visited: {exc}"}
        return JSONResponse(body, status_code=502)
    if envelope.type == "SubscriptionConfirmation":
        return JSONResponse({"status": "success", "message": "Subscription confirmed"})
    if envelope.type == "UnsubscribeConfirmation":
        return JSONResponse({"status": "success", "message": "Unsubscribed"})
    return _processed(results)


async def opsgenie_create(request: Request) -> JSONResponse:
    """Opsgenie-compatible: create an alert (or count a repeat of its alias)."""
    return await _opsgenie(
        request, lambda body: opsgenie.parse_create(body, new_alias=uuid.uuid4().hex)
    )


async def opsgenie_act(request: Request) -> JSONResponse:
    """Opsgenie-compatible: close or acknowledge the alert named by alias (or id)."""
    identifier = request.path_params["identifier"]
    identifier_type = request.query_params.get("identifierType", "id")
    action = request.url.path.rsplit("/", 1)[-1]
    return await _opsgenie(
        request, lambda body: opsgenie.parse_act(body, identifier, identifier_type, action)
    )


async def _opsgenie(request: Request, parse: Callable[[bytes], AlertEvent]) -> JSONResponse:
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    scheme, _, key = request.headers.get("authorization", "").strip().partition(" ")
    try:
        if scheme.lower() != "geniekey" or not key.strip():
            raise UnknownKeyError()
        alert = parse(await request.body())
        await _ingest(request, key.strip(), IntegrationType.OPSGENIE, lambda _: [alert])
    except (BadEventError, UnknownKeyError, RateLimitedError) as exc:
        return _opsgenie_refusal(exc, request_id, time.perf_counter() - started)
    body = {
        "result": "Request will be processed",
        "took": round(time.perf_counter() - started, 3),
        "requestId": request_id,
    }
    return JSONResponse(body, status_code=202)


def _opsgenie_refusal(
    exc: BadEventError | UnknownKeyError | RateLimitedError, request_id: str, took: float
) -> JSONResponse:
    _count(IntegrationType.OPSGENIE, _refusal_outcome(exc))
    common = {"took": round(took, 3), "requestId": request_id}
    if isinstance(exc, BadEventError):
        body = {
            "message": "Request body is not processable. Please check the errors.",
            "errors": dict(exc.problems),
            **common,
        }
        return JSONResponse(body, status_code=422)
    if isinstance(exc, UnknownKeyError):
        body = {"message": "Could not authenticate: no integration has this GenieKey", **common}
        return JSONResponse(body, status_code=401)
    body = {"message": "You are making too many requests! Please slow down.", **common}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(exc.retry_after)})


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
    Route("/v2/change/enqueue", change_enqueue, methods=["POST"]),
    Route("/ingest/alertmanager/{key}", alertmanager_webhook, methods=["POST"]),
    Route("/ingest/webhook/{key}", generic_webhook, methods=["POST"]),
    Route("/ingest/grafana/{key}", grafana_webhook, methods=["POST"]),
    Route("/ingest/datadog/{key}", datadog_webhook, methods=["POST"]),
    Route("/ingest/sentry/{key}", sentry_webhook, methods=["POST"]),
    Route("/ingest/cloudwatch/{key}", cloudwatch_sns, methods=["POST"]),
    Route("/v2/alerts", opsgenie_create, methods=["POST"]),
    Route("/v2/alerts/{identifier}/close", opsgenie_act, methods=["POST"]),
    Route("/v2/alerts/{identifier}/acknowledge", opsgenie_act, methods=["POST"]),
]


async def _nothing_here(scope: Scope, receive: Receive, send: Send) -> None:
    """Any other request under the receivers' prefixes: PagerDuty's JSON, never the web
    UI's HTML page (a tool reading the answer as JSON must not choke on it)."""
    # Matched as the app sees the path, not as the mount does.
    whole = {**scope, "root_path": ""}
    if any(route.matches(whole)[0] is Match.PARTIAL for route in RECEIVERS):
        body = {
            "status": "method not allowed",
            "message": "Method Not Allowed",
            "errors": [f"method: {scope['method']} is not allowed here; use POST"],
        }
        answer = JSONResponse(body, status_code=405, headers={"Allow": "POST"})
    else:
        body = {
            "status": "not found",
            "message": "Not Found",
            "errors": [f"path: no receiver at {scope['path']}"],
        }
        answer = JSONResponse(body, status_code=404)
    await answer(scope, receive, send)


# Mounts, not routes: they are no receivers, and match every method and path below them.
FALLBACKS = [Mount("/v2", app=_nothing_here), Mount("/ingest", app=_nothing_here)]


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Add the receivers to `app` (first), documented, with access logs that hide keys."""
    app.state.ingest_writer = IngestWriter(runtime)
    app.state.sns_verifier = sns.SnsVerifier()
    app.router.routes[0:0] = [*RECEIVERS, *FALLBACKS]
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

    def parameters(route: Route) -> list[dict[str, Any]]:
        return [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.param_convertors
        ]

    body = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        route.path: {
            "post": {
                "tags": ["ingest"],
                "summary": (route.endpoint.__doc__ or "").strip(),
                "description": _ABOUT,
                "parameters": parameters(route),
                "requestBody": body,
                "responses": answers,
            }
        }
        for route in RECEIVERS
    }
