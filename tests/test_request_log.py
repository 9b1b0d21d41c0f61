"""Each request gets an id, answered as X-Request-ID, logged with the request (as
JSON when asked) and carried into the outbox rows its change enqueued; the worker
logs it when it runs them, and rows those jobs enqueue carry it on."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from watchkeep import logs
from watchkeep.outbox.models import OutboxRow
from watchkeep.request_log import full_template
from watchkeep.runtime import Runtime

from support import Api


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What Watchkeep logs, formatted as WATCHKEEP_LOG_FORMAT=json formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    root, ours = logging.getLogger(), logging.getLogger("watchkeep")
    # Whatever an earlier test (or a library's logging config) left on these, the lines
    # asked for here are INFO.
    levels = root.level, ours.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    ours.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def parsed(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_request_id_follows_the_change_into_its_outbox_rows_and_the_worker_logs(
    admin_api: Api, runtime: Runtime, lines: io.StringIO
) -> None:
    service = admin_api.post("/api/v1/services", {"name": "checkout", "ack_sla_minutes": 5})
    made = admin_api.post(
        "/api/v1/incidents", {"title": "Disk", "service_id": service.json()["id"]}
    )
    request_id = made.headers["x-request-id"]
    assert len(request_id) == 32
    with runtime.db.read() as session:
        [event] = session.scalars(select(OutboxRow)).all()
    assert (event.kind, event.request_id) == ("event", request_id)

    runtime.worker().drain()
    with runtime.db.read() as session:
        later = session.scalars(select(OutboxRow)).all()
    assert later, "the SLA timer the event's fan-out enqueued"
    assert {row.request_id for row in later} == {request_id}

    logged = parsed(lines)
    [request] = [
        line
        for line in logged
        if line["logger"] == "watchkeep.request"
        and line["method"] == "POST"
        and line["route"] == "/api/v1/incidents"
    ]
    assert request["request_id"] == request_id
    assert (request["status"], request["path"]) == (201, "/api/v1/incidents")
    assert request["duration_ms"] >= 0
    [fanned_out] = [line for line in logged if "jobs done together" in line["message"]]
    assert fanned_out["request_ids"] == [request_id]


def test_every_request_has_its_own_id(admin_api: Api) -> None:
    ids = {admin_api.get("/api/v1/incidents").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_receiver_keys_stay_out_of_the_request_log(admin_api: Api, lines: io.StringIO) -> None:
    key = "0123456789ab" + "f" * 20
    admin_api.client.post(f"/ingest/webhook/{key}", json={"summary": "x"})
    [line] = [line for line in parsed(lines) if line["logger"] == "watchkeep.request"]
    assert line["path"] == "/ingest/webhook/0123456789ab…"
    assert line["route"] == "/ingest/webhook/{key}"
    assert "f" * 20 not in json.dumps(line)


def test_lines_outside_a_request_have_no_id(lines: io.StringIO) -> None:
    logging.getLogger("watchkeep.test").warning("plain %s", "words", extra={"n": 3})
    [line] = parsed(lines)
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "watchkeep.test",
        "message": "plain words",
        "n": 3,
    }
    with logs.bound_request_id("abc"):
        logging.getLogger("watchkeep.test").info("inside")
    assert parsed(lines)[-1]["request_id"] == "abc"


def test_the_log_format_setting_picks_the_formatter() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("json")
        assert isinstance(root.handlers[0].formatter, logs.JsonFormatter)
        logs.configure("plain")
        assert not isinstance(root.handlers[0].formatter, logs.JsonFormatter)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_route_templates_keep_their_routers_prefix() -> None:
    assert full_template("/incidents/{incident_id}", "/api/v1/incidents/12") == (
        "/api/v1/incidents/{incident_id}"
    )
    assert full_template("/static/{path:path}", "/static/css/a.css") == "/static/{path:path}"
    assert full_template("/healthz", "/healthz") == "/healthz"
