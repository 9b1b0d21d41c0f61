"""The `watchkeep` command as an operator meets it, on a fresh embedded database."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def watchkeep(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "watchkeep", *args],
        env={**os.environ, "WATCHKEEP_DATA_DIR": str(data_dir), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_bootstrap_then_serve_on_a_fresh_machine(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = watchkeep(
        data,
        "create-admin",
        "--email",
        "Ops@Example.com",
        "--password",
        "correct horse",
        "--name",
        "Ops",
    )
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    again = watchkeep(
        data,
        "create-admin",
        "--email",
        "ops@example.com",
        "--password",
        "correct horse",
        "--name",
        "Ops Lead",
    )
    assert again.returncode == 0
    assert "updated" in again.stdout
    minted = watchkeep(data, "create-token", "--email", "ops@example.com", "--name", "ci")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip().splitlines()[-1]
    assert token.startswith("wk_")
    assert " " not in token
    assert (data / "secret.key").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700, "the key decrypts the stored secrets"
    assert (data / "watchkeep.db").exists()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "serve", "--port", str(port)],
        env={**os.environ, "WATCHKEEP_DATA_DIR": str(data)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        service = httpx.post(f"{base}/api/v1/services", json={"name": "web"}, headers=auth)
        assert service.status_code == 201
        incident = httpx.post(
            f"{base}/api/v1/incidents",
            json={"title": "502s", "service_id": service.json()["id"]},
            headers=auth,
        )
        assert incident.status_code == 201
        assert incident.json()["created_by"]["name"] == "Ops Lead"
        assert httpx.get(f"{base}/api/v1/incidents", headers=auth).json()["total"] == 1
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_create_token_refuses_an_unknown_user(tmp_path: Path) -> None:
    result = watchkeep(tmp_path / "data", "create-token", "--email", "nobody@example.com")
    assert result.returncode != 0
    assert "no active user" in result.stderr


def test_create_admin_refuses_a_short_password(tmp_path: Path) -> None:
    result = watchkeep(
        tmp_path / "data", "create-admin", "--email", "a@b.co", "--password", "short", "--name", "A"
    )
    assert result.returncode != 0
    assert "8 characters" in result.stderr


@pytest.mark.postgres
def test_postgresql_needs_an_explicit_migrate(tmp_path: Path, pg_database: str) -> None:
    from support import create_postgres_database, drop_postgres_database

    url = create_postgres_database()
    env = {"WATCHKEEP_DATABASE_URL": url.render_as_string(hide_password=False)}
    try:
        refused = watchkeep(tmp_path, "worker", env=env)
        assert refused.returncode != 0
        assert "watchkeep migrate" in refused.stderr
        migrated = watchkeep(tmp_path, "migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
        assert "database at revision" in migrated.stdout
    finally:
        drop_postgres_database(url)


@pytest.mark.postgres
def test_bootstrap_commands_make_a_fresh_schema_but_never_migrate_an_old_one(
    tmp_path: Path, pg_database: str
) -> None:
    from watchkeep.db.engine import Database
    from watchkeep.db.migrate import current_revisions, head_revisions, upgrade

    from support import create_postgres_database, drop_postgres_database

    fresh, old = create_postgres_database(), create_postgres_database()
    try:
        env = {"WATCHKEEP_DATABASE_URL": fresh.render_as_string(hide_password=False)}
        made = watchkeep(tmp_path, "create-admin", *ADMIN, env=env)
        assert made.returncode == 0, made.stderr
        minted = watchkeep(tmp_path, "create-token", "--email", "ops@example.com", env=env)
        assert minted.returncode == 0, minted.stderr

        old_db = Database(old.render_as_string(hide_password=False))
        upgrade(old_db, "0005")
        env = {"WATCHKEEP_DATABASE_URL": old.render_as_string(hide_password=False)}
        for command in (["create-admin", *ADMIN], ["create-token", "--email", "a@b.co"]):
            refused = watchkeep(tmp_path, *command, env=env)
            assert refused.returncode == 1
            assert refused.stderr.strip().splitlines()[-1] == (
                "The database schema is not up to date: run `watchkeep migrate` once, "
                "then start the servers and workers."
            )
        assert current_revisions(old_db) == {"0005"} != head_revisions(old_db)
        old_db.dispose()
    finally:
        drop_postgres_database(fresh)
        drop_postgres_database(old)


ADMIN = ("--email", "ops@example.com", "--password", "correct horse", "--name", "Ops")


def wait_for(url: str, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            response = httpx.get(url)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(0.1)


def test_json_logs_name_each_request_by_its_id(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WATCHKEEP_DATA_DIR": str(tmp_path / "data"),
        "WATCHKEEP_LOG_FORMAT": "json",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        answered = httpx.get(f"http://127.0.0.1:{port}/readyz")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # (The banner for a first start is printed, not logged.)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert not [line for line in output.splitlines() if " INFO " in line], output
    [ready] = [line for line in lines if line.get("path") == "/readyz"]
    assert ready["request_id"] == answered.headers["x-request-id"]
    assert (ready["logger"], ready["status"], ready["route"]) == (
        "watchkeep.request",
        200,
        "/readyz",
    )
    assert any(line["logger"].startswith("uvicorn") for line in lines), "uvicorn's lines too"


def test_a_worker_serves_its_metrics_on_its_own_port(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WATCHKEEP_DATA_DIR": str(tmp_path / "data"),
        "WATCHKEEP_WORKER_METRICS_PORT": str(port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        scraped = wait_for(f"http://127.0.0.1:{port}/metrics", worker)
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    assert "# TYPE watchkeep_slack_calls_total counter" in scraped.text
    assert "# TYPE watchkeep_outbox_jobs_total counter" in scraped.text
