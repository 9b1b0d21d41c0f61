"""Incident lists as history grows: the API's `status=TRIGGERED` list, the web list's
refresh (its htmx fragment, and the same refresh answered 304 when nothing changed)
and the slash command `/watchkeep incidents`, on 100 incidents and then on 100,000,
against a real `watchkeep serve`, on SQLite and PostgreSQL. Aim: the 100k/100 ratio
of each p50 ≤ 1.2 (flat).

The 100 are the newest: 60 triggered, 20 acknowledged, 10 snoozed, 10 resolved, so
every list shows a full page both times. The 99,900 added under them (older ids) are
history: mostly resolved, with the stale open tail real installations keep (2%
triggered, 1% acknowledged, 0.5% snoozed), spread through it.

    .venv/bin/python bench/lists.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, insert, text

from watchkeep.core.models import Incident
from watchkeep.fakeslack import FakeSlackServer

from common import Latencies, postgres_database, running_server

SECRET = "bench-signing-secret-0123456789abcdef"
HISTORY = 99_900
NEWEST = ["TRIGGERED"] * 60 + ["ACKNOWLEDGED"] * 20 + ["SNOOZED"] * 10 + ["RESOLVED"] * 10
STALE = {"TRIGGERED": 0.02, "ACKNOWLEDGED": 0.01, "SNOOZED": 0.005}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def history_status(rng: random.Random) -> str:
    roll = rng.random()
    for status, share in STALE.items():
        if roll < share:
            return status
        roll -= share
    return "RESOLVED"


def rows(ids: range, statuses: list[str], service_id: int, start: datetime) -> list[dict]:
    return [
        {
            "id": i,
            "number": i,
            "title": f"Incident {i}: checkout answers 502",
            "description": "",
            "service_id": service_id,
            "urgency": ("HIGH", "MEDIUM", "LOW")[i % 3],
            "status": status,
            "source": "API",
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
            "created_by_name": "Bench",
            "alert_count": 0,
        }
        for i, status in zip(ids, statuses, strict=True)
    ]


def seed(database_url: str, service_id: int, ids: range, statuses: list[str]) -> None:
    engine = create_engine(database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for offset in range(0, len(ids), 5000):
            chunk = ids[offset : offset + 5000]
            statuses_chunk = statuses[offset : offset + 5000]
            connection.execute(
                insert(Incident.__table__), rows(chunk, statuses_chunk, service_id, start)
            )
        connection.execute(text("UPDATE counters SET value = 100000"))
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: index-only counts need it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE incidents"))
    engine.dispose()


def slash_body(team_id: str, user_id: str, n: int) -> str:
    return urlencode(
        {
            "token": "unused",
            "team_id": team_id,
            "team_domain": "bench",
            "channel_id": "C1",
            "channel_name": "incidents",
            "user_id": user_id,
            "user_name": "bench",
            "command": "/watchkeep",
            "text": "incidents",
            "api_app_id": "A0WATCHKEEP",
            "response_url": "https://hooks.slack.com/commands/T0/1/x",
            "trigger_id": f"1.{n}.{time.time_ns()}",
        }
    )


def measure(call: Callable[[int], httpx.Response], count: int, expect: int = 200) -> Latencies:
    for n in range(20):  # warm the caches and the connection pool
        call(-n)
    seconds = []
    started = time.perf_counter()
    for n in range(count):
        t = time.perf_counter()
        response = call(n)
        seconds.append(time.perf_counter() - t)
        if response.status_code != expect:
            raise RuntimeError(f"answered {response.status_code}: {response.text[:200]}")
    return Latencies(seconds, time.perf_counter() - started)


class Paths:
    """The lists a person (or Slack) asks for, on one running server."""

    def __init__(self, base: str, token: str, team_id: str, user_id: str) -> None:
        self.api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        self.web = httpx.Client(base_url=base)
        page = self.web.get("/login")
        csrf = _CSRF.search(page.text)
        assert csrf is not None
        form = {"email": "bench@example.com", "password": "benchmark", "csrf_token": csrf.group(1)}
        signed_in = self.web.post("/login", data=form, follow_redirects=True)
        if "Sign out" not in signed_in.text:
            raise RuntimeError("web sign-in failed")
        self.team_id, self.user_id = team_id, user_id
        self.verifier = SignatureVerifier(SECRET)
        self.refresh = {"HX-Request": "true", "HX-Target": "incident-list"}
        self.etag: str | None = None

    def api_triggered(self, _: int) -> httpx.Response:
        return self.api.get("/api/v1/incidents", params={"status": "TRIGGERED"})

    def web_list(self, _: int) -> httpx.Response:
        return self.web.get("/incidents?status=open", headers=self.refresh)

    def web_unchanged(self, n: int) -> httpx.Response:
        """The browser's refresh with the ETag of its copy (taken while warming up)."""
        if n < 0 or self.etag is None:
            self.etag = self.web_list(0).headers["etag"]
        headers = {**self.refresh, "If-None-Match": self.etag}
        return self.web.get("/incidents?status=open", headers=headers)

    def slash(self, n: int) -> httpx.Response:
        body = slash_body(self.team_id, self.user_id, n)
        timestamp = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=timestamp, body=body),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = self.api.post("/api/slack/commands", content=body, headers=headers)
        if "Open incidents" not in response.text and "open incident" not in response.text:
            raise RuntimeError(f"slash command answered {response.text[:200]}")
        return response


def run(label: str, slack: FakeSlackServer, database_url: str, count: int) -> None:
    team = slack.state.create_workspace(f"Bench {label}")
    person = slack.state.add_user(team, "bench", email="bench@example.com")
    with running_server(
        database_url,
        slack_api_url=slack.url,
        slack_signing_secret=SECRET,
        slack_bot_token=team.token,
    ) as server:
        api = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"}
        )
        deadline = time.monotonic() + 30
        while api.get("/api/v1/integrations/slack").json().get("team_id") != team.team_id:
            if time.monotonic() > deadline:
                raise RuntimeError("workspace never identified")
            time.sleep(0.2)
        service = api.post("/api/v1/services", json={"name": "checkout"}).json()["id"]
        seed(database_url, service, range(HISTORY + 1, HISTORY + 101), NEWEST)
        paths = Paths(server.base_url, server.token, team.team_id, person.id)
        checks = [
            ("API status=TRIGGERED", paths.api_triggered, 200),
            ("web list refresh", paths.web_list, 200),
            ("web refresh, unchanged", paths.web_unchanged, 304),
            ("slash incidents", paths.slash, 200),
        ]
        small = {name: measure(call, count, expect) for name, call, expect in checks}
        rng = random.Random(18)
        seed(
            database_url,
            service,
            range(1, HISTORY + 1),
            [history_status(rng) for _ in range(HISTORY)],
        )
        total = api.get("/api/v1/incidents", params={"limit": 1}).json()["total"]
        if total != HISTORY + 100:
            raise RuntimeError(f"seeded {total} incidents")
        large = {name: measure(call, count, expect) for name, call, expect in checks}
    print(f"{label}: p50 at 100 and at 100,000 incidents, {count} sequential requests each")
    for name, _, _ in checks:
        a, b = small[name].percentile(50), large[name].percentile(50)
        print(
            f"  {name:24} {a * 1000:7.2f} ms  {b * 1000:7.2f} ms   100k/100 {b / a:4.2f}"
            f"   (p99 {small[name].percentile(99) * 1000:.1f} → "
            f"{large[name].percentile(99) * 1000:.1f} ms; aim ≤ 1.2)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with FakeSlackServer() as slack, tempfile.TemporaryDirectory() as folder:
        run("sqlite", slack, f"sqlite:///{folder}/bench.db", args.requests)
        with postgres_database() as pg_url:
            if pg_url:
                run("postgresql", slack, pg_url, args.requests)


if __name__ == "__main__":
    main()
