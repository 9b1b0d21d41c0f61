"""Who clicked, from the in-process actor cache: a storm of clicks by the same people
reads no user each time, and a change of a user shows from the next click."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, SlackUserAgent, User, Workspace
from watchkeep.runtime import Runtime

from support import Api, Delivery


@pytest.fixture
def rhea(
    slack: SlackState, connected: Workspace, make_token: Callable[..., str], admin_api: Api
) -> tuple[User, int]:
    """Rhea, a responder in Watchkeep (responder1@example.com) and in Slack."""
    make_token(Role.RESPONDER, "Rhea")
    user = slack.add_user(connected, "rhea", email="responder1@example.com", real_name="Rhea R.")
    users = admin_api.get("/api/v1/users").json()["items"]
    return user, next(u["id"] for u in users if u["email"] == "responder1@example.com")


def announce(admin_api: Api, slack: SlackState, service_id: int, deliver: Delivery, n: int):
    made = [
        admin_api.post("/api/v1/incidents", {"title": f"Disk {i}", "service_id": service_id})
        for i in range(n)
    ]
    deliver()
    return [m.json() for m in made], slack.messages_in("#ops")


def acknowledged_by(admin_api: Api, incident: dict) -> str:
    return admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["acknowledged_by"]["name"]


@contextmanager
def statements_on(runtime: Runtime, table: str) -> Iterator[list[str]]:
    seen: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", watch)


def test_clicks_of_a_known_user_read_no_user_and_a_change_shows_at_once(
    agent: SlackUserAgent,
    slack: SlackState,
    admin_api: Api,
    service_id: int,
    deliver: Delivery,
    runtime: Runtime,
    rhea: tuple[User, int],
) -> None:
    person, rhea_id = rhea
    incidents, messages = announce(admin_api, slack, service_id, deliver, 4)
    by_title = {m.text.split("Disk ")[-1][:1]: m for m in messages}

    def click(n: int) -> str:
        agent.click(by_title[str(n)], "Acknowledge", person)
        return acknowledged_by(admin_api, incidents[n])

    assert click(0) == "Rhea"  # asked Slack who she is
    assert click(1) == "Rhea"  # from the stored link, now cached
    with (
        statements_on(runtime, "slack_user_links") as links,
        statements_on(runtime, "FROM users") as users,
    ):
        assert click(2) == "Rhea"
    assert links == [], "the third click read no Slack link"
    assert users == [], "nor any user"
    admin_api.patch(f"/api/v1/users/{rhea_id}", {"name": "Rhea Renamed", "status": "DISABLED"})
    assert click(3) == "Rhea R. via Slack", "disabled: no longer mapped, from the next click"
