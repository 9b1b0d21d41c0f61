"""`watchkeep serve --demo` as a newcomer meets it: a printed admin password, a
seeded organisation, and a fake Slack workspace already connected."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from web_support import text_of

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_seeds_an_organisation_and_prints_how_to_sign_in(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "serve", "--demo", "--port", str(port)],
        env={**os.environ, "WATCHKEEP_DATA_DIR": str(tmp_path / "demo")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        output = []
        for line in server.stdout:  # blocks until the server says it is listening
            output.append(line)
            if "Uvicorn running on" in line or server.poll() is not None:
                break
        printed = "".join(output)
        assert "Watchkeep demo" in printed, printed
        password = re.search(r"with password: (\S+)", printed)
        assert password, printed
        assert "No users yet" not in printed

        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, follow_redirects=True) as browser:
            login = browser.get("/login")
            token = _CSRF.search(login.text)
            assert token
            page = browser.post(
                "/login",
                data={
                    "csrf_token": token.group(1),
                    "email": "admin@example.com",
                    "password": password.group(1),
                },
            )
            listed = text_of(page)
            assert "Checkout 502s above 5%" in listed
            assert "p99 latency over 800ms" in listed
            everything = text_of(browser.get("/incidents?status=all"))
            assert "Certificate renewal failed" in everything
            assert "checkout Payments" in text_of(browser.get("/services"))
            assert "Index rebuild lagging" in listed  # snoozed, still open
            assert "SRE primary" in text_of(browser.get("/schedules"))
            assert "checkout escalation" in text_of(browser.get("/escalation-policies"))
            assert "Major incident room" in text_of(browser.get("/runbooks"))
            schedule = text_of(browser.get("/schedules/1"))
            assert "Bob Osei" in schedule
            assert "Alice Ng" in schedule
            settings = text_of(browser.get("/settings/integrations/slack"))
            assert "Globex Ops" in settings
            assert "Watchkeep Demo" in settings
            assert f"{base}/api/settings/slack-oauth/callback" in settings
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_demo_can_take_slacks_requests_over_socket_mode(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchkeep",
            "serve",
            "--demo",
            "--socket-mode",
            "--port",
            str(port),
        ],
        env={**os.environ, "WATCHKEEP_DATA_DIR": str(tmp_path / "demo")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        output = []
        for line in server.stdout:
            output.append(line)
            if "Uvicorn running on" in line or server.poll() is not None:
                break
        printed = "".join(output)
        assert "Socket Mode: Slack's requests arrive over the fake's WebSocket" in printed, printed
        password = re.search(r"with password: (\S+)", printed)
        assert password, printed
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as browser:
            token = _CSRF.search(browser.get("/login").text)
            assert token
            form = {"email": "admin@example.com", "password": password.group(1)}
            browser.post("/login", data={"csrf_token": token.group(1), **form})
            deadline = time.monotonic() + 30
            while "Socket Mode: connected" not in (
                shown := text_of(browser.get("/settings/integrations/slack"))
            ):
                assert time.monotonic() < deadline, shown
                time.sleep(0.2)
            # The sandbox's slash command travels over the WebSocket and is answered.
            sandbox = browser.get("/sandbox")
            token = _CSRF.search(sandbox.text)
            channel = re.search(r'name="channel" value="(C\w+)"', sandbox.text)
            assert token, sandbox.text
            assert channel, sandbox.text
            answered = browser.post(
                "/sandbox/compose",
                data={
                    "csrf_token": token.group(1),
                    "channel": channel.group(1),
                    "text": "/watchkeep help",
                },
            )
            assert "Only visible to you" in text_of(answered)
            assert "this list" in text_of(answered)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "serve", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    output = []
    for line in server.stdout:
        output.append(line)
        if "Uvicorn running on" in line or server.poll() is not None:
            break
    return server, "".join(output)


def _stop(server: subprocess.Popen[str]) -> str:
    server.terminate()
    rest, _ = server.communicate(timeout=30)
    return rest


def test_the_banner_is_true_and_a_restart_keeps_the_fake_slacks_messages(tmp_path: Path) -> None:
    port, slack_port = free_port(), free_port()
    folder = tmp_path / "demo"
    args = ["--demo", "--port", str(port), "--slack-port", str(slack_port)]
    server, printed = _start(args, {"WATCHKEEP_DATA_DIR": str(folder)})
    try:
        assert f"Open http://127.0.0.1:{port} and sign in as admin@example.com" in printed
        assert f"The Slack sandbox: http://127.0.0.1:{port}/sandbox" in printed
        assert f"Fake Slack Web API: http://127.0.0.1:{slack_port}/api/" in printed
        assert "press Ctrl-C to stop it" in printed
        secret = re.search(r"The demo app's signing secret: (\w+)", printed)
        assert secret, printed
        kept = folder / "fakeslack.json"
        deadline = time.monotonic() + 30
        while not kept.exists() or len(json.loads(kept.read_text())["messages"]) < 4:
            assert time.monotonic() < deadline, "the worker never posted the seeded incidents"
            time.sleep(0.2)
    finally:
        log = printed + _stop(server)
    # Only Watchkeep's own requests are in the access log, none of the fake Slack's.
    assert "/api/chat.postMessage" not in log
    saved = json.loads(kept.read_text())
    assert saved["app"]["signing_secret"] == secret.group(1)

    server, printed = _start(args, {"WATCHKEEP_DATA_DIR": str(folder)})
    try:
        assert f"The demo app's signing secret: {secret.group(1)}" in printed
        assert "seeded earlier" in printed
    finally:
        _stop(server)
    again = json.loads(kept.read_text())
    # The messages were kept, and the incidents were not announced a second time.
    assert {m["ts"] for m in saved["messages"]} <= {m["ts"] for m in again["messages"]}

    def announcements(world: dict) -> list[str]:
        return sorted(m["text"] for m in world["messages"] if m["text"].startswith("[HIGH] #1"))

    assert announcements(again) == announcements(saved)


def test_watchkeep_sandbox_true_connects_the_fake_slack_without_seeding(tmp_path: Path) -> None:
    port = free_port()
    server, printed = _start(
        ["--port", str(port)],
        {"WATCHKEEP_DATA_DIR": str(tmp_path / "data"), "WATCHKEEP_SANDBOX": "true"},
    )
    try:
        assert f"drawn at http://127.0.0.1:{port}/sandbox" in printed, printed
        assert "No users yet" in printed
        page = httpx.get(f"http://127.0.0.1:{port}/sandbox", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fsandbox"
    finally:
        _stop(server)
