"""Slack delivery: trigger-to-chat.postMessage latency, and a storm against Slack's limit.

Runs a fake Slack Web API in this process (real time, its rate limits on with
their defaults, which mirror Slack's documented ones: 1 message/s per channel
with a burst of 3, 300 messages/min per workspace) and a real `watchkeep serve`
pointed at it (its worker delivers through the outbox, as in production), on
SQLite, then on PostgreSQL when one answers. Slack is connected and one service
per channel is routed there through the JSON API.

* latency: incidents triggered one at a time, spaced so that neither Slack's
  limits nor Watchkeep's pacing holds them back; p50/p99 from the API's answer
  to the moment the fake Slack recorded the incident's message.
* quiet channel: a storm of `--quiet-storm` incidents in one channel, and
  meanwhile one incident a second in each of the other channels in turn; the
  worst wait (API answer to message in Slack) of those quiet channels, and when
  the storm's last message went out (Slack's pace for one channel).
* first sight: a storm of `--digest-storm` incidents in one channel, more than its
  pace shows in a minute: the time until responders see it (the channel's storm
  digest, "🚨 N new incidents on …") beside the time until its last incident's
  own message, and their ratio.
* storm: `--incidents` incidents over `--channels` channels as fast as
  concurrent clients can create them, on a workspace whose minute is clear;
  the time until every message is in Slack, beside the ideal (the shortest time
  the fake's limits allow, found by replaying its limiter), as the ratio
  ideal/actual (1.0 = as fast as Slack allows), and how many calls the fake
  refused with 429.

    .venv/bin/python bench/slack_delivery.py [--incidents 300] [--channels 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
from collections import deque
from dataclasses import dataclass

import aiohttp
import httpx

from watchkeep.fakeslack import Call, FakeSlackServer, RateLimitConfig, SlackState, SystemClock
from watchkeep.slack.limits import POST

from common import Latencies, Server, postgres_database, running_server

os.environ["NO_PROXY"] = "127.0.0.1,localhost"
# The fallback text of an incident message: "[HIGH] #12 storm-0003 (triggered)".
TITLE = re.compile(r"#\d+ (\S+) \(")


@dataclass
class Setup:
    slack: FakeSlackServer
    server: Server
    services: list[int]
    channels: list[str]


def _api(server: Server, method: str, path: str, body: dict) -> dict:
    response = httpx.request(
        method,
        f"{server.base_url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def _connect(slack: FakeSlackServer, server: Server, channel_count: int) -> Setup:
    """A workspace and its channels in the fake; Slack and services set up through the API."""
    state = slack.state
    ws = state.create_workspace("Bench")
    channels = [f"bench-{i:02d}" for i in range(channel_count)]
    for name in channels:
        state.add_channel(ws, name)
    _api(
        server,
        "PUT",
        "/integrations/slack",
        {"bot_token": ws.token, "default_channel": f"#{channels[0]}"},
    )
    services = [
        _api(server, "POST", "/services", {"name": f"svc-{name}", "slack_channel": f"#{name}"})[
            "id"
        ]
        for name in channels
    ]
    # The worker asks Slack who the token belongs to; wait for it so nothing else is in flight.
    state.wait_for(lambda: any(c.ok for c in state.call_log if c.method == "auth.test"), 30)
    return Setup(slack, server, services, channels)


def _parents(calls: list[Call], prefix: str) -> dict[str, float]:
    """Title → when the fake recorded its (first) incident message, for titles with `prefix`."""
    found: dict[str, float] = {}
    for call in calls:
        if call.method != "chat.postMessage" or not call.ok or call.params.get("thread_ts"):
            continue
        match = TITLE.search(str(call.params.get("text", "")))
        if match and match.group(1).startswith(prefix):
            found.setdefault(match.group(1), call.at)
    return found


def _refused(calls: list[Call]) -> int:
    return sum(1 for call in calls if call.status == 429)


def _trigger(server: Server, client: httpx.Client, title: str, service_id: int) -> float:
    response = client.post(
        f"{server.base_url}/api/v1/incidents", json={"title": title, "service_id": service_id}
    )
    answered = time.time()
    if response.status_code != 201:
        raise RuntimeError(f"create {title}: {response.status_code} {response.text}")
    return answered


def measure_latency(setup: Setup, count: int, spacing: float) -> tuple[Latencies, int]:
    """Trigger `count` incidents one at a time; seconds from 201 to chat.postMessage."""
    state, server = setup.slack.state, setup.server
    first_call = len(state.calls())
    triggered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        # One unmeasured incident first: the first post pays for connections and imports.
        _trigger(server, client, "warmup-0000", setup.services[0])
        state.wait_for(lambda: _parents(state.call_log, "warmup-"), 30)
        started = time.perf_counter()
        for i in range(count):
            title = f"lat-{i:04d}"
            triggered[title] = _trigger(
                server, client, title, setup.services[i % len(setup.services)]
            )
            time.sleep(spacing)
    state.wait_for(lambda: len(_parents(state.call_log, "lat-")) >= count, 120)
    wall = time.perf_counter() - started
    posted = _parents(state.calls(), "lat-")
    seconds = [posted[title] - at for title, at in triggered.items()]
    return Latencies(seconds, wall), _refused(state.calls()[first_call:])


async def _create_all(server: Server, bodies: list[dict], concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            url = f"{server.base_url}/api/v1/incidents"
            async with session.post(url, json=body, headers=headers) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"create: {resp.status} {await resp.text()}")

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))


@dataclass
class QuietWait:
    worst: float  # seconds, the longest a quiet channel's message waited
    waits: list[float]
    storm_drained: float  # seconds until the storm's channel had all its messages
    refused: int


def measure_quiet_channels(setup: Setup, storm: int, probes: int) -> QuietWait:
    """A storm in the first channel; meanwhile one incident a second in the others."""
    state, server = setup.slack.state, setup.server
    first_call = len(state.calls())
    started = time.time()
    bodies = [{"title": f"loud-{i:04d}", "service_id": setup.services[0]} for i in range(storm)]
    asyncio.run(_create_all(server, bodies, 16))
    triggered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        for i in range(probes):
            title = f"quiet-{i:04d}"
            service = setup.services[1 + i % (len(setup.services) - 1)]
            triggered[title] = _trigger(server, client, title, service)
            time.sleep(1.0)
    state.wait_for(lambda: len(_parents(state.call_log, "quiet-")) >= probes, 120)
    state.wait_for(lambda: len(_parents(state.call_log, "loud-")) >= storm, 300)
    calls = state.calls()[first_call:]
    posted = _parents(calls, "quiet-")
    waits = [posted[title] - at for title, at in triggered.items()]
    drained = max(_parents(calls, "loud-").values()) - started
    return QuietWait(max(waits), waits, drained, _refused(calls))


@dataclass
class FirstSight:
    digest: float | None  # seconds until the storm digest was in Slack (None: never)
    last: float  # seconds until the storm's last incident message was in Slack
    digest_text: str
    refused: int


def measure_first_sight(setup: Setup, storm: int) -> FirstSight:
    """A storm in one channel: when it is first seen (its digest), when it is all in."""
    state, server = setup.slack.state, setup.server
    service, channel = setup.services[1], setup.channels[1]
    first_call = len(state.calls())
    started = time.time()
    bodies = [{"title": f"sight-{i:04d}", "service_id": service} for i in range(storm)]
    asyncio.run(_create_all(server, bodies, 16))
    state.wait_for(lambda: len(_parents(state.call_log, "sight-")) >= storm, storm * 2 + 120)
    calls = state.calls()[first_call:]
    digests = [
        c
        for c in calls
        if c.method == "chat.postMessage"
        and c.ok
        and str(c.params.get("text", "")).startswith("🚨")
        and f"svc-{channel}" in str(c.params.get("text", ""))
    ]
    last = max(_parents(calls, "sight-").values()) - started
    digest = digests[0].at - started if digests else None
    text = str(digests[0].params.get("text")) if digests else ""
    return FirstSight(digest, last, text, _refused(calls))


def wait_for_a_quiet_minute(state: SlackState) -> None:
    """Until no post of the last minute counts against the workspace any more, on
    either side: the fake's window and Watchkeep's."""
    last = max(call.at for call in state.calls() if call.method == "chat.postMessage")
    time.sleep(max(0.0, last + POST.workspace.seconds + 1.0 - time.time()))


@dataclass
class Storm:
    created: float  # seconds until the API had answered every create
    delivered: float | None  # seconds until the last message was in Slack (None: timed out)
    messages: int
    refused: int


def run_storm(setup: Setup, incidents: int, concurrency: int, timeout: float) -> Storm:
    state, channels = setup.slack.state, len(setup.channels)
    bodies = [
        {"title": f"storm-{i:04d}", "service_id": setup.services[i % channels]}
        for i in range(incidents)
    ]
    first_call = len(state.calls())
    started_wall, started = time.time(), time.perf_counter()
    asyncio.run(_create_all(setup.server, bodies, concurrency))
    created = time.perf_counter() - started
    deadline = started + timeout
    posted: dict[str, float] = {}
    while time.perf_counter() < deadline:
        posted = _parents(state.calls()[first_call:], "storm-")
        if len(posted) >= incidents:
            break
        time.sleep(0.2)
    delivered = max(posted.values()) - started_wall if len(posted) >= incidents else None
    return Storm(created, delivered, len(posted), _refused(state.calls()[first_call:]))


def ideal_seconds(config: RateLimitConfig, per_channel: list[int]) -> float:
    """The shortest time the fake's limiter lets these messages through, all ready at 0.

    Replays its model: a token bucket per channel (`post_burst` tokens refilled
    at `post_per_second`), and at most `post_per_minute` posts in any 60 s
    window of the workspace. Each message goes at the earliest moment both allow.
    """
    rate, burst = config.post_per_second, float(config.post_burst)
    tokens = [burst] * len(per_channel)
    last = [0.0] * len(per_channel)
    left = list(per_channel)
    window: deque[float] = deque()
    now = 0.0

    def ready(c: int) -> float:
        have = min(burst, tokens[c] + (now - last[c]) * rate)
        return now if have >= 1.0 else now + (1.0 - have) / rate

    while any(left):
        # Earliest channel first; among equals, the one with most left (keeps all busy).
        channel = min((c for c in range(len(left)) if left[c]), key=lambda c: (ready(c), -left[c]))
        at = ready(channel)
        if len(window) >= config.post_per_minute:
            at = max(at, window[-config.post_per_minute] + 60.0)
        tokens[channel] = min(burst, tokens[channel] + (at - last[channel]) * rate) - 1.0
        last[channel], now = at, at
        window.append(at)
        left[channel] -= 1
    return now


def pacing_floor(per_channel: list[int]) -> float:
    """A lower bound of what Watchkeep's own limits (`slack.limits.POST`) allow for the
    same posts: each channel's bucket, and the workspace's window."""
    bucket, window = POST.channel, POST.workspace
    assert bucket is not None
    bounds = [max(0, n - bucket.burst) * bucket.interval for n in per_channel if n > 0]
    bounds.append((max(0, sum(per_channel) - 1) // window.calls) * window.seconds)
    return max(bounds)


def run(label: str, database_url: str | None, args: argparse.Namespace) -> None:
    state = SlackState(clock=SystemClock(), rate_limits=RateLimitConfig(enabled=True))
    with (
        FakeSlackServer(state) as slack,
        running_server(database_url, slack_api_url=slack.url) as server,
    ):
        setup = _connect(slack, server, args.channels)
        latency, refused = measure_latency(setup, args.latency_incidents, args.spacing)
        print(
            f"{label:11} latency  trigger→postMessage   p50 {latency.percentile(50) * 1000:7.1f} ms"
            f"   p99 {latency.percentile(99) * 1000:7.1f} ms   max "
            f"{max(latency.seconds) * 1000:7.1f} ms   (n={len(latency.seconds)}, one every "
            f"{args.spacing * 1000:.0f} ms, 429s {refused})"
        )
        quiet = measure_quiet_channels(setup, args.quiet_storm, args.quiet_probes)
        print(
            f"{label:11} quiet    {args.quiet_probes} incidents in quiet channels during a "
            f"{args.quiet_storm}-incident storm in another: worst wait "
            f"{quiet.worst * 1000:7.1f} ms (median "
            f"{statistics.median(quiet.waits) * 1000:6.1f} ms); the storm drained in "
            f"{quiet.storm_drained:5.1f} s (its channel's pace: "
            f"{pacing_floor([args.quiet_storm]):5.1f} s)   429s {quiet.refused}"
        )
        wait_for_a_quiet_minute(state)
        sight = measure_first_sight(setup, args.digest_storm)
        seen = (
            f"first sight (digest) {sight.digest:6.1f} s"
            if sight.digest is not None
            else "first sight: NO DIGEST"
        )
        ratio = f"   first/last {sight.digest / sight.last:5.3f}" if sight.digest else ""
        print(
            f"{label:11} sight    {args.digest_storm} incidents in one channel: {seen}   "
            f"last message {sight.last:6.1f} s{ratio}   429s {sight.refused}"
        )
        # The storm starts on a quiet workspace: no earlier post counts against the
        # minute any more, on either side.
        wait_for_a_quiet_minute(state)
        storm = run_storm(setup, args.incidents, args.concurrency, args.timeout)
        per_channel = [len(range(c, args.incidents, args.channels)) for c in range(args.channels)]
        ideal = ideal_seconds(state.rate_limits.config, per_channel)
        floor = pacing_floor(per_channel)
        print(
            f"{label:11} storm    {args.incidents} incidents over {args.channels} channels: "
            f"created in {storm.created:5.1f} s ({args.incidents / storm.created:5.0f}/s)"
        )
        if storm.delivered is None:
            print(
                f"{label:11} storm    TIMED OUT after {args.timeout:.0f} s: "
                f"{storm.messages}/{args.incidents} messages in Slack, 429s {storm.refused}"
            )
            return
        print(
            f"{label:11} storm    all in Slack after {storm.delivered:6.1f} s   ideal "
            f"{ideal:6.1f} s   ideal/actual {ideal / storm.delivered:4.2f}   "
            f"(Watchkeep pacing floor {floor:5.1f} s, floor/actual "
            f"{floor / storm.delivered:4.2f})   429s {storm.refused}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=300, help="storm size")
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="storm clients")
    parser.add_argument("--latency-incidents", type=int, default=100)
    parser.add_argument("--quiet-storm", type=int, default=60, help="storm in one channel")
    parser.add_argument(
        "--digest-storm", type=int, default=200, help="one-channel storm for first sight"
    )
    parser.add_argument("--quiet-probes", type=int, default=10, help="quiet channels' incidents")
    # 250 ms: 4 posts/s stays under the 300/min workspace limit (100 ms would be 10/s).
    parser.add_argument("--spacing", type=float, default=0.25, help="seconds between triggers")
    parser.add_argument("--timeout", type=float, default=900, help="storm delivery cap, seconds")
    args = parser.parse_args()
    limits = RateLimitConfig(enabled=True)
    print(
        f"fake Slack limits: chat.postMessage {limits.post_per_second:g}/s per channel "
        f"(burst {limits.post_burst}), {limits.post_per_minute}/min per workspace"
    )
    run("sqlite", None, args)
    with postgres_database() as url:
        if url:
            run("postgresql", url, args)


if __name__ == "__main__":
    main()
