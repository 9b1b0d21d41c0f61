"""The process's Prometheus metrics: what each part counts, served at `/metrics`.

Counters and histograms live in prometheus-client's default registry, one set
per process; each replica serves its own, and Prometheus adds them up. Values
read from the database at scrape time (the outbox's backlog, worker
heartbeats) are collected by `api.operations`, not here. Labels are bounded
sets: route templates (never raw paths), Slack method names and error codes,
job kinds, outcomes.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Web requests a person or a tool waits on: from 5 ms to 10 s.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "watchkeep_http_requests",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "watchkeep_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
SLACK_CALLS = Counter(
    "watchkeep_slack_calls",
    "Calls to Slack's Web API by method and outcome: ok, 429, or Slack's error code",
    ["method", "outcome"],
)
SLACK_RATE_LIMIT_WAITS = Counter(
    "watchkeep_slack_rate_limit_waits",
    "Slack calls that had to wait for their turn under Slack's limits, by method",
    ["method"],
)
SLACK_RATE_LIMIT_WAIT_SECONDS = Histogram(
    "watchkeep_slack_rate_limit_wait_seconds",
    "How long a call that had to wait was told to wait, by method",
    ["method"],
    buckets=(0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
INGEST_EVENTS = Counter(
    "watchkeep_ingest_events",
    "Alert events received, by integration type and outcome "
    "(accepted, invalid, unknown_key, throttled)",
    ["integration", "outcome"],
)
RUNBOOK_STEPS = Counter(
    "watchkeep_runbook_steps",
    "Runbook steps that ended, by operation and outcome (ok, skipped, failed)",
    ["operation", "outcome"],
)
OUTBOX_JOBS = Counter(
    "watchkeep_outbox_jobs",
    "Outbox jobs a worker ran, by kind and outcome (done, retry, failed)",
    ["kind", "outcome"],
)
