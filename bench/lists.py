"""Incident lists as history grows: the API's `status=TRIGGERED` list, the web list's
refresh (its htmx fragment, and the same refresh answered 304 when nothing changed)
and the slash command `/watchkeep incidents`, on 100 incidents and on 100,000: two
real `watchkeep serve`s side by side, each on its own database, asked in turn (one
request to each, alternately, so the machine's other load weighs on both alike), on
SQLite and PostgreSQL. Aim: the 100k/100 ratio of each p50 ≤ 1.2 (flat); the ratio
of the servers' CPU per request is printed beside it, the steadier measure on a
shared machine.

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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, insert, text

from watchkeep.core.models import Incident
from watchkeep.fakeslack import FakeSlackServer

from common import Latencies, cpu_seconds, postgres_database, running_server

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


def timed(call: Callable[[int], httpx.Response], n: int, expect: int) -> float:
    t = time.perf_counter()
    response = call(n)
    if response.status_code != expect:
        raise RuntimeError(f"answered {response.status_code}: {response.text[:200]}")
    return time.perf_counter() - t


def measure_pair(
    small: tuple[Callable[[int], httpx.Response], int],
    large: tuple[Callable[[int], httpx.Response], int],
    count: int,
    expect: int,
) -> tuple[Latencies, Latencies, float, float]:
    """Alternate one request to each server, so the machine's other load weighs on both
    alike; answers both latencies and each server's CPU seconds per request."""
    (ask_small, pid_small), (ask_large, pid_large) = small, large
    for n in range(20):  # warm the caches and the connection pools
        timed(ask_small, -n - 1, expect)
        timed(ask_large, -n - 1, expect)
    cpu = cpu_seconds(pid_small), cpu_seconds(pid_large)
    a: list[float] = []
    b: list[float] = []
    started = time.perf_counter()
    for n in range(count):
        a.append(timed(ask_small, n, expect))
        b.append(timed(ask_large, n, expect))
    wall = time.perf_counter() - started
    cpu_a = (cpu_seconds(pid_small) - cpu[0]) / count
    cpu_b = (cpu_seconds(pid_large) - cpu[1]) / count
    return Latencies(a, wall), Latencies(b, wall), cpu_a, cpu_b


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


@contextmanager
def server_with(
    slack: FakeSlackServer, database_url: str, history: bool
) -> Iterator[tuple[Paths, int]]:
    """A server on its own database holding the newest 100 incidents (and the history
    under them when asked), with the paths to ask it and its process id."""
    team = slack.state.create_workspace(f"Bench {uuid.uuid4().hex[:6]}")
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
        if history:
            rng = random.Random(18)
            statuses = [history_status(rng) for _ in range(HISTORY)]
            seed(database_url, service, range(1, HISTORY + 1), statuses)
        total = api.get("/api/v1/incidents", params={"limit": 1}).json()["total"]
        if total != 100 + (HISTORY if history else 0):
            raise RuntimeError(f"seeded {total} incidents")
        yield Paths(server.base_url, server.token, team.team_id, person.id), server.pid


CHECKS = [
    ("API status=TRIGGERED", "api_triggered", 200),
    ("web list refresh", "web_list", 200),
    ("web refresh, unchanged", "web_unchanged", 304),
    ("slash incidents", "slash", 200),
]


def run(label: str, slack: FakeSlackServer, urls: tuple[str, str], count: int) -> None:
    with (
        server_with(slack, urls[0], history=False) as (small, small_pid),
        server_with(slack, urls[1], history=True) as (large, large_pid),
    ):
        print(f"{label}: 100 incidents beside 100,000, {count} requests to each, alternating")
        for name, method, expect in CHECKS:
            a, b, cpu_a, cpu_b = measure_pair(
                (getattr(small, method), small_pid),
                (getattr(large, method), large_pid),
                count,
                expect,
            )
            p50_a, p50_b = a.percentile(50), b.percentile(50)
            cpu = f"{cpu_b / cpu_a:4.2f}" if cpu_a > 0 else "  - "
            print(
                f"  {name:24} p50 {p50_a * 1000:6.2f} → {p50_b * 1000:6.2f} ms  "
                f"100k/100 {p50_b / p50_a:4.2f} (aim ≤ 1.2)   server CPU/request "
                f"{cpu_a * 1000:5.2f} → {cpu_b * 1000:5.2f} ms  100k/100 {cpu}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with FakeSlackServer() as slack, tempfile.TemporaryDirectory() as folder:
        sqlite = (f"sqlite:///{folder}/small.db", f"sqlite:///{folder}/large.db")
        run("sqlite", slack, sqlite, args.requests)
        with postgres_database() as small, postgres_database() as large:
            if small and large:
                run("postgresql", slack, (small, large), args.requests)


if __name__ == "__main__":
    main()
