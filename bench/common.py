"""Shared by the benchmarks: a real server in a subprocess, and latency statistics."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

POSTGRES_ADMIN_URL = os.environ.get(
    "WATCHKEEP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Server:
    base_url: str
    token: str
    env: dict[str, str]
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "watchkeep", *args], env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database, or None when no server answers."""
    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"watchkeep_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"(PostgreSQL skipped: {exc.__class__.__name__})")
        yield None
        return
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextmanager
def running_server(database_url: str | None, **settings: str) -> Iterator[Server]:
    """`watchkeep serve` on a fresh database, with an admin token."""
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        env = {
            **os.environ,
            "WATCHKEEP_DATA_DIR": data_dir,
            "WATCHKEEP_BASE_URL": f"http://127.0.0.1:{port}",
            "NO_PROXY": "127.0.0.1,localhost",
            **{f"WATCHKEEP_{k.upper()}": v for k, v in settings.items()},
        }
        if database_url:
            env["WATCHKEEP_DATABASE_URL"] = database_url
            _cli(env, "migrate")
        _cli(
            env,
            "create-admin",
            "--email",
            "bench@example.com",
            "--password",
            "benchmark",
            "--name",
            "Bench",
        )
        token = _cli(env, "create-token", "--email", "bench@example.com").strip().splitlines()[-1]
        log = open(Path(data_dir) / "server.log", "w")  # noqa: SIM115 - closed below
        command = [sys.executable, "-m", "watchkeep", "serve", "--port", str(port)]
        profile = os.environ.get("BENCH_PROFILE")
        if profile:
            # py-spy's collapsed stacks of the server, one file per server run.
            out = f"{profile}.{port}.txt"
            command = ["py-spy", "record", "-r", "50", "-f", "raw", "-o", out, "--", *command]
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
            yield Server(base, token, env, server.pid)
        finally:
            # py-spy writes its profile on SIGINT; the server stops on either.
            server.send_signal(signal.SIGINT if profile else signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


def cpu_seconds(*pids: int) -> float:
    """CPU time (user + system) the processes have used so far, from /proc (Linux).

    On a shared machine throughput depends on the neighbours; CPU per request
    much less so, which makes it the steadier measure of what a change costs.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass
class Latencies:
    seconds: list[float]
    wall: float
    # Server CPU seconds used meanwhile, when the benchmark measured it.
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.wall

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def summary(self) -> str:
        return (
            f"{self.rate:8.0f} req/s   p50 {self.percentile(50) * 1000:6.1f} ms   "
            f"p99 {self.percentile(99) * 1000:6.1f} ms   mean "
            f"{statistics.fmean(self.seconds) * 1000:6.1f} ms   (n={len(self.seconds)})"
        )
