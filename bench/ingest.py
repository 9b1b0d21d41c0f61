"""Sustained alert ingestion through the Events API v2: events per second and p50/p99.

Runs a real `watchkeep serve` (its worker draining the outbox, as in
production) on SQLite, then on PostgreSQL when one answers, and posts
PagerDuty-shaped events from concurrent clients on loopback:

- unique: every event a new dedup key, so every event makes an incident;
- storm, 1 key: every event repeats one open incident (the hottest row there is);
- storm, 100 keys: repeats spread over 100 open incidents, as an Alertmanager storm.

Prints each beside its aim (500 new incidents/s, 2,000 duplicates/s on 2 cores)
as a ratio. The load generator shares the machine, so on a 2-core box the server
gets less than 2 cores; and on a shared machine the rate follows the neighbours.
So each line also shows the CPU one event cost the server process (and, on
PostgreSQL, the database's backends): the steadier measure of the code.

    .venv/bin/python bench/ingest.py [--events 10000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable

import aiohttp
import httpx
from sqlalchemy import create_engine, text

from common import Latencies, Server, cpu_seconds, postgres_database, running_server

AIM_NEW = 500.0
AIM_DUPLICATES = 2000.0


async def _post_all(url: str, bodies: list[bytes], concurrency: int) -> Latencies:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    headers = {"Content-Type": "application/json"}

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.read()
                if response.status != 202:
                    raise RuntimeError(f"{response.status} {answer!r}")
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return Latencies(latencies, wall)


def _routing_key(server: Server) -> str:
    headers = {"Authorization": f"Bearer {server.token}"}
    service = httpx.post(
        f"{server.base_url}/api/v1/services", json={"name": "bench"}, headers=headers
    )
    service.raise_for_status()
    integration = httpx.post(
        f"{server.base_url}/api/v1/services/{service.json()['id']}/integrations",
        # The benchmark measures the database, not the limit that protects it.
        json={"type": "events_api_v2", "name": "bench", "rate_limit_per_minute": 1_000_000},
        headers=headers,
    )
    integration.raise_for_status()
    return integration.json()["key"]


def _events(key: str, count: int, dedup_key: Callable[[int], str]) -> list[bytes]:
    return [
        json.dumps(
            {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": dedup_key(i),
                "payload": {
                    "summary": f"Disk 95% full on web-{i % 100}",
                    "source": f"web-{i % 100}.example.com",
                    "severity": "critical",
                    "custom_details": {"free_bytes": 1024 * i, "mount": "/var"},
                },
            }
        ).encode()
        for i in range(count)
    ]


def _backends(server: Server) -> list[int]:
    """The PostgreSQL backends serving the server's database (none on SQLite)."""
    url = server.env.get("WATCHKEEP_DATABASE_URL")
    if not url:
        return []
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(
            connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid != pg_backend_pid()"
                )
            ).scalars()
        )
    engine.dispose()
    return found


def _measure(server: Server, url: str, bodies: list[bytes], concurrency: int) -> tuple[str, float]:
    """Post `bodies`; answers the line to print and the rate."""
    backends = _backends(server)
    server_before = cpu_seconds(server.pid)
    backends_before = {pid: cpu_seconds(pid) for pid in backends}
    result = asyncio.run(_post_all(url, bodies, concurrency))
    server_us = (cpu_seconds(server.pid) - server_before) / len(bodies) * 1e6
    line = f"{result.summary()}   server CPU {server_us:4.0f} us/event"
    if backends:
        backends = sorted(set(backends) | set(_backends(server)))
        used = sum(cpu_seconds(pid) - backends_before.get(pid, 0.0) for pid in backends)
        line += f" + database {used / len(bodies) * 1e6:4.0f} us"
    return line, result.rate


def run(label: str, server: Server, events: int, concurrency: int) -> None:
    key = _routing_key(server)
    url = f"{server.base_url}/v2/enqueue"
    # Open the storms' incidents first, so that the storms measure repeats only.
    asyncio.run(_post_all(url, _events(key, 100, lambda i: f"storm-{i}"), concurrency))
    runs = [
        ("unique", _events(key, events // 2, lambda i: f"unique-{i}"), AIM_NEW),
        ("storm 1 key", _events(key, events, lambda i: "storm-0"), AIM_DUPLICATES),
        ("storm 100 keys", _events(key, events, lambda i: f"storm-{i % 100}"), AIM_DUPLICATES),
    ]
    for name, bodies, aim in runs:
        line, rate = _measure(server, url, bodies, concurrency)
        print(f"{label:11} {name:15} {line}   rate/aim {rate / aim:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(
        f"{args.events} events per storm, {args.events // 2} unique, "
        f"{args.concurrency} concurrent clients; aim {AIM_NEW:.0f} new/s, "
        f"{AIM_DUPLICATES:.0f} duplicates/s"
    )
    with running_server(None) as server:
        run("sqlite", server, args.events, args.concurrency)
    with postgres_database() as url:
        if url:
            with running_server(url) as server:
                run("postgresql", server, args.events, args.concurrency)


if __name__ == "__main__":
    main()
