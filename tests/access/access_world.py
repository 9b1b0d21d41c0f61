"""The world the access table runs in: five people, two teams, two services, a fake
Slack workspace, and a fresh pair of incidents per run (`World.fresh_pair`)."""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core.models import Role
from watchkeep.fakeslack import (
    Message,
    SlackState,
    SlackUserAgent,
    User,
)
from watchkeep.runtime import Runtime

from support import Api, Delivery

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Who(enum.StrEnum):
    ADMIN = "Ada (admin)"
    OWNER = "Mia (owning team)"
    OTHER = "Otto (another team)"
    VIEWER = "Vic (viewer, owning team)"
    UNMAPPED = "Sam (unmapped Slack user)"


class Got(enum.StrEnum):
    SEEN = "seen"  # saw it, or changed it
    HIDDEN = "hidden"  # as if it did not exist
    REFUSED = "refused"  # the role may not act (it may read)


class Kind(enum.Enum):
    READ = "read"
    ACT = "act"


PEOPLE = {
    Who.ADMIN: ("Ada Admin", "ada@example.com", Role.ADMIN, None),
    Who.OWNER: ("Mia Payments", "mia@example.com", Role.RESPONDER, "payments"),
    Who.OTHER: ("Otto Search", "otto@example.com", Role.RESPONDER, "search"),
    Who.VIEWER: ("Vic Viewer", "vic@example.com", Role.VIEWER, "payments"),
}


class Browser:
    """A signed-in browser: keeps cookies and sends the CSRF token the last page had."""

    def __init__(self, client: TestClient, email: str) -> None:
        self.client, self.last = client, client.get("/login")
        self.submit("/login", {"email": email, "password": PASSWORD})

    def get(self, path: str) -> Any:
        self.last = self.client.get(path)
        return self.last

    def submit(self, path: str, data: dict[str, str] | None = None) -> Any:
        token = _CSRF.search(self.last.text) or _CSRF.search(self.get("/login").text)
        assert token, "no page with a CSRF token"
        body = {"csrf_token": unescape(token.group(1)), **(data or {})}
        self.last = self.client.post(path, data=body)
        return self.last


@dataclass
class Pair:
    owned: dict[str, Any]  # on checkout, owned by payments
    shared: dict[str, Any]  # on shared, owned by no team
    run_id: int | None = None


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    slack: SlackState
    agent: SlackUserAgent
    deliver: Delivery
    api: dict[Who, Api]
    users: dict[Who, User]
    services: dict[str, int]
    runbook_id: int  # "war room": opens a channel for checkout's incidents (it fails)
    manual_runbook_id: int  # "Status note": run by hand
    apps: list[TestClient] = field(default_factory=list)
    browsers: dict[Who, Browser] = field(default_factory=dict)
    titles: Iterator[int] = field(default_factory=itertools.count)

    @property
    def admin(self) -> Api:
        return self.api[Who.ADMIN]

    def browser(self, who: Who) -> Browser:
        if who not in self.browsers:
            app = TestClient(create_app(self.runtime, run_worker=False), base_url="https://t")
            self.apps.append(app.__enter__())
            self.browsers[who] = Browser(app, PEOPLE[who][1])
        return self.browsers[who]

    def incident(self, pair_id: int) -> dict[str, Any]:
        return self.admin.get(f"/api/v1/incidents/{pair_id}").json()

    def fresh_pair(self, state: str = "TRIGGERED") -> Pair:
        """Everything open so far resolved; then one new incident on each service."""
        for old in self.admin.get("/api/v1/incidents", params={"limit": 200}).json()["items"]:
            if old["status"] != "RESOLVED":
                self.admin.post(f"/api/v1/incidents/{old['id']}/resolve")
        n = next(self.titles)
        self.deliver()  # what the last person did, before the new run's failure is set up
        self.slack.faults.fail_next("conversations.create", "restricted_action")
        made = [
            self.admin.post(
                "/api/v1/incidents",
                {"title": f"{name} {n}", "service_id": self.services[name]},
            ).json()
            for name in ("checkout", "shared")
        ]
        for incident in made:
            if state == "ACKNOWLEDGED":
                self.admin.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
            elif state == "SNOOZED":
                self.admin.post(f"/api/v1/incidents/{incident['id']}/snooze", {"minutes": 30})
            elif state == "RESOLVED":
                self.admin.post(f"/api/v1/incidents/{incident['id']}/resolve")
        # Posts go out; a snooze (30 minutes) does not run out meanwhile.
        self.deliver(until=self.runtime.clock.now() + timedelta(minutes=5))
        owned, shared = (self.incident(incident["id"]) for incident in made)
        runs = self.admin.get(f"/api/v1/incidents/{owned['id']}/runbook-runs").json()["items"]
        return Pair(owned, shared, runs[0]["id"] if runs else None)

    def message_of(self, incident: dict[str, Any]) -> Message:
        [message] = [
            m
            for m in self.slack.messages_in("#payments")
            if f"#{incident['number']} " in (m.text or "")
        ]
        return message

    def last_ephemeral(self) -> str:
        self.deliver()
        posts = self.slack.response_urls.posts()
        return posts[-1]["text"] if posts else ""


STATUS_NOTE = {
    "name": "Status note",
    "trigger": {"events": ["manual"]},
    "steps": [{"operation": "send_message", "channel": "#ops", "message": "On [incident.id]"}],
}
