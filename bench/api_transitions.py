"""API incident creation and acknowledgement: requests per second and p50/p99.

Runs a real `watchkeep serve` (with its worker draining the outbox, as in
production) on SQLite, then on PostgreSQL when one answers, and drives it with
concurrent clients on loopback. Prints each result beside the aim (1,000
transitions/s with p99 under 50 ms on 2 cores) as a ratio.

    .venv/bin/python bench/api_transitions.py [--incidents 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from common import Latencies, Server, cpu_seconds, postgres_database, running_server

AIM_RATE = 1000.0
AIM_P99 = 0.050


async def _drive(
    server: Server, requests: list[tuple[str, dict | None]], concurrency: int
) -> Latencies:
    headers = {"Authorization": f"Bearer {server.token}"}
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    results: list = []

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            path, body = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(server.base_url + path, json=body, headers=headers) as resp:
                payload = await resp.json()
                if resp.status >= 300:
                    raise RuntimeError(f"{path}: {resp.status} {payload}")
            latencies.append(time.perf_counter() - started)
            results.append(payload)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    _drive.results = results  # type: ignore[attr-defined]
    return Latencies(latencies, wall)


def _service(server: Server) -> int:
    import httpx

    response = httpx.post(
        f"{server.base_url}/api/v1/services",
        json={"name": f"bench-{time.time_ns()}"},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    response.raise_for_status()
    return response.json()["id"]


def run(label: str, server: Server, incidents: int, concurrency: int) -> None:
    service_id = _service(server)
    create = [
        ("/api/v1/incidents", {"title": f"bench {i}", "service_id": service_id})
        for i in range(incidents)
    ]
    cpu = cpu_seconds(server.pid)
    created = asyncio.run(_drive(server, create, concurrency))
    create_cpu, cpu = cpu_seconds(server.pid) - cpu, cpu_seconds(server.pid)
    ids = [item["id"] for item in _drive.results]  # type: ignore[attr-defined]
    acks = [(f"/api/v1/incidents/{i}/acknowledge", None) for i in ids]
    acked = asyncio.run(_drive(server, acks, concurrency))
    ack_cpu = cpu_seconds(server.pid) - cpu
    for name, result, used in (("create", created, create_cpu), ("acknowledge", acked, ack_cpu)):
        # Server CPU per request (worker included) depends far less on the neighbours.
        print(
            f"{label:11} {name:12} {result.summary()}   "
            f"rate/aim {result.rate / AIM_RATE:4.2f}   p99/aim "
            f"{result.percentile(99) / AIM_P99:4.2f}   server CPU "
            f"{used / len(result.seconds) * 1000:5.2f} ms/req"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args()
    print(
        f"{args.incidents} incidents, {args.concurrency} concurrent clients; "
        f"aim {AIM_RATE:.0f}/s, p99 {AIM_P99 * 1000:.0f} ms"
    )
    if args.database != "postgresql":
        with running_server(None) as server:
            run("sqlite", server, args.incidents, args.concurrency)
    if args.database == "sqlite":
        return
    with postgres_database() as url:
        if url:
            with running_server(url) as server:
                run("postgresql", server, args.incidents, args.concurrency)


if __name__ == "__main__":
    main()
