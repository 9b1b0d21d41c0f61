"""Signed Acknowledge clicks, each on a different open incident, under 50 concurrent
clickers: requests per second and p50/p99 time to the HTTP answer, for Watchkeep
doing the real work (verify, map the user, commit the transition and its outbox
rows) beside a bare slack_bolt AsyncApp that only verifies and acks the same
payloads, measured in the same run. Aim: at least half the bare app's rate and a
p99 within twice its p99.

    .venv/bin/python bench/slack_clicks.py [--clicks 3000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
from slack_sdk.signature import SignatureVerifier

from watchkeep.fakeslack import FakeSlackServer

from common import Latencies, cpu_seconds, free_port, postgres_database, running_server

SECRET = "bench-signing-secret-0123456789abcdef"
CLICKERS = 10


def click_body(team_id: str, user_id: str, incident_id: int, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "bench"},
        "user": {"id": user_id, "username": user_id, "name": user_id, "team_id": team_id},
        "api_app_id": "A0WATCHKEEP",
        "trigger_id": f"1.{incident_id}.bench",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C1"},
        "channel": {"id": "C1", "name": "incidents"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": "incident_acknowledge",
                "block_id": "b",
                "value": str(incident_id),
                "action_ts": "1",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def drive(url: str, bodies: list[str], concurrency: int) -> Latencies:
    verifier = SignatureVerifier(SECRET)
    queue = list(reversed(bodies))
    latencies: list[float] = []

    async def clicker(session: aiohttp.ClientSession) -> None:
        while queue:
            body = queue.pop()
            timestamp = str(int(time.time()))
            headers = {
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"click answered {response.status}")
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(clicker(session) for _ in range(concurrency)))
        return Latencies(latencies, time.perf_counter() - started)


def bare_bolt(bodies: list[str], concurrency: int) -> Latencies:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("bare_bolt_app.py")), str(port), SECRET]
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if time.monotonic() > deadline:
                raise RuntimeError("bare Bolt app did not start")
        cpu = cpu_seconds(server.pid)
        result = asyncio.run(
            drive(f"http://127.0.0.1:{port}/api/slack/actions", bodies, concurrency)
        )
        result.cpu = cpu_seconds(server.pid) - cpu
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def watchkeep_clicks(
    slack: FakeSlackServer, database_url: str | None, clicks: int, concurrency: int
) -> Latencies:
    team = slack.state.create_workspace("Bench")
    people = [
        slack.state.add_user(team, f"u{i}", email=f"u{i}@bench.example") for i in range(CLICKERS)
    ]
    with running_server(
        database_url,
        slack_api_url=slack.url,
        slack_signing_secret=SECRET,
        slack_bot_token=team.token,
    ) as server:
        auth = {"Authorization": f"Bearer {server.token}"}
        api = httpx.Client(base_url=server.base_url, headers=auth, timeout=30)
        deadline = time.monotonic() + 30
        while api.get("/api/v1/integrations/slack").json().get("team_id") != team.team_id:
            if time.monotonic() > deadline:
                raise RuntimeError("workspace never identified")
            time.sleep(0.2)
        # Announcing thousands of incidents would measure Slack pacing, not clicks.
        api.put("/api/v1/integrations/slack", json={"events": {"incident_triggered": False}})
        for person in people:
            api.post("/api/v1/users", json={"email": person.email, "name": person.name})
        service = api.post("/api/v1/services", json={"name": "bench"}).json()["id"]
        ids = [
            api.post(
                "/api/v1/incidents", json={"title": f"click {i}", "service_id": service}
            ).json()["id"]
            for i in range(clicks)
        ]
        bodies = [
            click_body(
                team.team_id, people[i % CLICKERS].id, incident_id, slack.response_url(team.team_id)
            )
            for i, incident_id in enumerate(ids)
        ]
        cpu = cpu_seconds(server.pid)
        result = asyncio.run(drive(f"{server.base_url}/api/slack/actions", bodies, concurrency))
        # Server CPU (its worker included) while the clicks were answered.
        result.cpu = cpu_seconds(server.pid) - cpu
        acknowledged = api.get(
            "/api/v1/incidents", params={"status": "ACKNOWLEDGED", "limit": 1}
        ).json()["total"]
        if acknowledged != clicks:
            raise RuntimeError(f"only {acknowledged} of {clicks} clicks acknowledged")
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    team_id = "T0BENCH"
    bare_bodies = [
        click_body(team_id, "U1", i, "https://hooks.slack.com/actions/x")
        for i in range(args.clicks)
    ]
    bare = bare_bolt(bare_bodies, args.concurrency)
    print(f"{args.clicks} clicks, {args.concurrency} concurrent clickers")
    print(f"bare bolt   {bare.summary()}")
    with FakeSlackServer() as slack:
        runs = [("sqlite", None)]
        with postgres_database() as pg_url:
            if pg_url:
                runs.append(("postgresql", pg_url))
            for label, url in runs:
                ours = watchkeep_clicks(slack, url, args.clicks, args.concurrency)
                print(
                    f"{label:11} {ours.summary()}   rate/bare {ours.rate / bare.rate:4.2f} "
                    f"(aim ≥ 0.5)   p99/bare {ours.percentile(99) / bare.percentile(99):4.2f} "
                    f"(aim ≤ 2)   server CPU/click {ours.cpu / len(ours.seconds) * 1000:5.2f} ms "
                    f"vs bare {bare.cpu / len(bare.seconds) * 1000:5.2f} ms"
                )


if __name__ == "__main__":
    main()
