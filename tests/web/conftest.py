"""Web UI fixtures: a browser-like client per user role, over the real app.

`pages` signs in as an admin; `pages_as(role)` as anyone else. The client talks
https (the base URL is https, so the session cookie is Secure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core import accounts
from watchkeep.core.models import Role
from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace
from watchkeep.runtime import Runtime

from browser_fixtures import chromium, live, live_runtime, page  # noqa: F401 (fixtures)
from support import Delivery, FrozenClock
from web_support import PASSWORD, Pages


@pytest.fixture
def make_user(runtime: Runtime) -> Callable[..., str]:
    """A user with the test password; answers the email."""

    def make(role: Role = Role.RESPONDER, name: str = "", email: str = "") -> str:
        email = email or f"{name.split()[0].lower() if name else role.value}@example.com"
        with runtime.db.write() as db:
            accounts.create_user(
                db,
                email=email,
                name=name or role.value.title(),
                role=role,
                now=runtime.clock.now(),
                password=PASSWORD,
            )
        return email

    return make


@pytest.fixture
def browser(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(
        create_app(runtime, run_worker=False), base_url="https://testserver"
    ) as test_client:
        yield test_client


@pytest.fixture
def pages_as(browser: TestClient, make_user: Callable[..., str]) -> Callable[..., Pages]:
    def sign_in(role: Role, name: str = "") -> Pages:
        pages = Pages(browser)
        pages.sign_in(make_user(role, name))
        return pages

    return sign_in


@pytest.fixture
def pages(pages_as: Callable[..., Pages]) -> Pages:
    return pages_as(Role.ADMIN, "Ada Admin")


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


@pytest.fixture
def slack(slack_server: FakeSlackServer) -> SlackState:
    """A fresh fake Slack world; Acme has 250 channels, so lists take two pages."""
    return slack_server.reset(SlackState())


@pytest.fixture
def settings_overrides(slack_server: FakeSlackServer) -> dict[str, object]:
    return {
        "slack_api_url": slack_server.url,
        "slack_oauth_url": f"{slack_server.base_url}/oauth/v2/authorize",
        "slack_timeout_seconds": 5,
    }


@pytest.fixture
def acme(slack: SlackState) -> Workspace:
    workspace = slack.create_workspace("Acme Corp")
    slack.add_channel(workspace, "incidents")
    slack.add_channels(workspace, 249, prefix="team")
    slack.add_channel(workspace, "secret-ops", private=True, bot_member=True)
    slack.add_channel(workspace, "hidden", private=True, bot_member=False)
    return workspace


@pytest.fixture
def deliver(runtime: Runtime, clock: FrozenClock) -> Delivery:
    return Delivery(runtime, clock)
