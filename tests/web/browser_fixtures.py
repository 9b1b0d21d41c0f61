"""Fixtures for browser tests: Debian's Chromium driven by Playwright against the
live server and the fake Slack.

Without Chromium or the playwright package the tests skip and say why, except
under CI=true, where that is a failure: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from watchkeep.config import Settings
from watchkeep.core import accounts
from watchkeep.core.models import Role
from watchkeep.fakeslack import FakeSlackServer
from watchkeep.runtime import Runtime, build_runtime

from live_server import LiveServer, bind_loopback
from web_support import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        _unavailable("Chromium is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_runtime(
    db_url: str, tmp_path: Path, slack_server: FakeSlackServer
) -> Iterator[tuple[Runtime, Any]]:
    sock = bind_loopback()
    port = int(sock.getsockname()[1])
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        base_url=f"http://127.0.0.1:{port}",
        secret_key="browser-test-secret",
        slack_api_url=slack_server.url,
        slack_oauth_url=f"{slack_server.base_url}/oauth/v2/authorize",
        slack_timeout_seconds=5,
        worker_threads=2,
        worker_poll_seconds=0.05,
    )
    runtime = build_runtime(settings)
    yield runtime, sock
    runtime.db.dispose()


@pytest.fixture
def live(live_runtime: tuple[Runtime, Any]) -> Iterator[LiveServer]:
    runtime, sock = live_runtime
    with runtime.db.write() as db:
        accounts.create_user(
            db,
            email="ada@example.com",
            name="Ada Admin",
            role=Role.ADMIN,
            now=runtime.clock.now(),
            password=PASSWORD,
        )
    with LiveServer(runtime, sock) as server:
        yield server


@pytest.fixture
def page(chromium: Any, live: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    context = chromium.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab
    context.close()


def screenshot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(tab: Any, email: str = "ada@example.com") -> None:
    tab.goto("/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
