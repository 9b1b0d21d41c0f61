"""`watchkeep serve --demo` as a newcomer meets it: a printed admin password, a
seeded organisation, and a fake Slack workspace already connected."""

from __future__ import annotations

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
            settings = text_of(browser.get("/settings/integrations/slack"))
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
    finally:
        server.terminate()
        server.wait(timeout=30)
