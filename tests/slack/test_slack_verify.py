"""The request verifier's reads of the signing secrets: fresh on a miss, never a flood."""

from __future__ import annotations

import asyncio
import time

from watchkeep.fakeslack import sign
from watchkeep.slack.interactive.verify import RequestVerifier

SECRET = "s3cret-0000000000000000000000000"


class Store:
    """The secrets as the database holds them, counting reads."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = list(secrets)
        self.reads = 0

    def load(self) -> list[str]:
        self.reads += 1
        return list(self.secrets)


def headers(secret: str, body: str = "command=%2Fwatchkeep") -> dict[str, str]:
    return dict(sign("/api/slack/commands", body, secret=secret, timestamp=time.time()).headers)


def test_a_miss_reads_again_and_accepts_a_secret_stored_since() -> None:
    store = Store(SECRET)
    verifier = RequestVerifier(store.load)
    body = b"command=%2Fwatchkeep"

    async def scenario() -> list[bool]:
        first = await verifier.is_valid(body, headers(SECRET))
        store.secrets = ["r0tated-000000000000000000000000", SECRET]  # by another process
        second = await verifier.is_valid(body, headers("r0tated-000000000000000000000000"))
        return [first, second]

    assert asyncio.run(scenario()) == [True, True]
    assert store.reads == 2


def test_a_flood_of_forged_requests_costs_one_fresh_read_not_one_each() -> None:
    store = Store(SECRET)
    verifier = RequestVerifier(store.load)
    body = b"command=%2Fwatchkeep"

    async def scenario() -> list[bool]:
        forged = [headers("forged-00000000000000000000000000") for _ in range(50)]
        return list(await asyncio.gather(*(verifier.is_valid(body, h) for h in forged)))

    assert asyncio.run(scenario()) == [False] * 50
    # One read to learn the secrets, one more that every miss waited for.
    assert store.reads == 2


def test_requests_no_secret_could_make_valid_read_nothing() -> None:
    store = Store(SECRET)
    verifier = RequestVerifier(store.load)
    stale = dict(sign("/x", "a=1", secret=SECRET, timestamp=time.time() - 301).headers)
    cases = [{}, {**stale}, {**headers(SECRET), "X-Slack-Request-Timestamp": "soon"}]

    async def scenario() -> list[bool]:
        return [await verifier.is_valid(b"a=1", h) for h in cases]

    assert asyncio.run(scenario()) == [False, False, False]
    assert store.reads == 0
