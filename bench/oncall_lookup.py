"""Who is on call: every one of 100 schedules at once, and one year of shifts per call.

Builds 100 schedules in a mix of time zones (three layers each: a weekly 24/7
rotation of six, weekday business hours of three, a nightly 22:00-06:00 layer
of two; and 50 overrides over the year), then times, each call in a fresh read
transaction as the API makes one:

- `who_is_on_call` for all 100 schedules at a random moment of the year (what
  `GET /api/v1/oncall` and a slash command answer), and
- `shifts` of one schedule over a whole year (what a calendar view asks for).

On SQLite, then on PostgreSQL when one answers. Prints p50/p99 beside the aims
(p99 under 100 ms for all 100 schedules; p99 under 100 ms for a year of shifts)
as ratios.

    .venv/bin/python bench/oncall_lookup.py [--calls 200]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from watchkeep.core import accounts
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role
from watchkeep.db.engine import Database
from watchkeep.db.migrate import upgrade
from watchkeep.oncall import roster, schedules
from watchkeep.oncall.rotation import Restriction

from common import Latencies, postgres_database

SCHEDULES = 100
AIM_ALL_P99 = 0.100
AIM_YEAR_P99 = 0.100
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]
START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def populate(db: Database, rng: random.Random) -> list[int]:
    with db.write() as session:
        users = [
            accounts.create_user(
                session, email=f"u{i}@example.com", name=f"User {i}", role=Role.RESPONDER, now=START
            ).id
            for i in range(300)
        ]
        ids = []
        for n in range(SCHEDULES):
            start = datetime(2025, 12, 1, 9) + timedelta(hours=rng.randint(0, 72))
            layers = [
                schedules.LayerSpec("Weekly", rng.sample(users, 6), 168, start),
                schedules.LayerSpec(
                    "Business hours",
                    rng.sample(users, 3),
                    24,
                    start,
                    Restriction(frozenset(range(5)), clock_time(9), clock_time(17)),
                ),
                schedules.LayerSpec(
                    "Nights",
                    rng.sample(users, 2),
                    24,
                    start,
                    Restriction(frozenset(range(7)), clock_time(22), clock_time(6)),
                ),
            ]
            schedule = schedules.create_schedule(
                session, name=f"S{n}", time_zone=ZONES[n % len(ZONES)], layers=layers, now=START
            )
            for _ in range(50):
                opens = START + timedelta(hours=rng.randint(0, 24 * 364))
                schedules.add_override(
                    session,
                    schedule,
                    user_id=rng.choice(users),
                    start=opens,
                    end=opens + timedelta(hours=rng.randint(4, 48)),
                    actor=Actor.system(),
                    now=START,
                )
            ids.append(schedule.id)
    return ids


def measure(label: str, url: str, calls: int) -> None:
    db = Database(url)
    upgrade(db)
    rng = random.Random(7)
    ids = populate(db, rng)
    everyone, shifts, counted = [], [], 0
    wall = time.perf_counter()
    for _ in range(calls):
        at = START + timedelta(seconds=rng.randint(0, int(YEAR.total_seconds())))
        started = time.perf_counter()
        with db.read() as session:
            found = roster.who_is_on_call(session, at=at)
        everyone.append(time.perf_counter() - started)
        assert len(found) == SCHEDULES
    all_wall = time.perf_counter() - wall
    wall = time.perf_counter()
    for schedule_id in ids:
        started = time.perf_counter()
        with db.read() as session:
            schedule = schedules.get_schedule(session, schedule_id)
            counted += len(roster.shifts(session, schedule, start=START, end=START + YEAR))
        shifts.append(time.perf_counter() - started)
    year_wall = time.perf_counter() - wall
    db.dispose()
    for name, result, aim, note in (
        ("all 100 on call", Latencies(everyone, all_wall), AIM_ALL_P99, ""),
        (
            "a year of shifts",
            Latencies(shifts, year_wall),
            AIM_YEAR_P99,
            f"   ({counted // len(ids)} shifts a year each)",
        ),
    ):
        print(
            f"{label:11} {name:17} p50 {result.percentile(50) * 1000:6.1f} ms   "
            f"p99 {result.percentile(99) * 1000:6.1f} ms   (n={len(result.seconds)})   "
            f"p99/aim {result.percentile(99) / aim:4.2f}{note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print(
        f"{SCHEDULES} schedules, 3 layers and 50 overrides each; aims: p99 "
        f"{AIM_ALL_P99 * 1000:.0f} ms for all of them, {AIM_YEAR_P99 * 1000:.0f} ms for a year"
    )
    with tempfile.TemporaryDirectory() as data_dir:
        measure("sqlite", f"sqlite:///{Path(data_dir) / 'bench.db'}", args.calls)
    with postgres_database() as url:
        if url:
            measure("postgresql", url, args.calls)


if __name__ == "__main__":
    main()
