"""Who sees which incident, on every route that reads or changes incidents: the API,
the web UI, the slash commands and the Slack buttons and forms (`watchkeep.core.access`).

One table (`CASES`) holds an entry per route, subcommand and Slack listener; each entry
does what a person would (a request, a page, a typed command, a click on the posted
message) for each of five people:

- Ada, an admin;
- Mia, a responder in *payments*, the team that owns the `checkout` service;
- Otto, a responder in *search*, another team;
- Vic, a viewer in *payments*;
- Sam, a Slack user whom no Watchkeep user maps (he acts "via Slack").

Each run starts from a fresh pair of triggered incidents: one on `checkout` (posted to
#payments) and one on `shared`, a service no team owns. The rule says what each person
gets: admins and the owning team's members see it, others do not (a 404, or Slack's
"no such incident", never a refusal that confirms it exists), viewers read but do not
act, and Sam only acts on the message he clicked (the channel was his access) and
otherwise sees only organisation-wide services. Everyone sees the `shared` incident in
lists. `test_every_route_has_an_entry` fails for a route, subcommand or listener that
is in neither `CASES` nor `UNRELATED`, so a new one must say how it follows the rule.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core import accounts, tokens
from watchkeep.core.models import Role
from watchkeep.fakeslack import (
    FakeSlackServer,
    Message,
    Reply,
    SignedRequest,
    SlackState,
    SlackUserAgent,
    User,
)
from watchkeep.runtime import Runtime
from watchkeep.slack.interactive.wiring import slack_dispatch

from support import Api, Delivery, FrozenClock

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


def expected(case: Case, who: Who) -> Got:
    """The rule, as the README states it."""
    if who is Who.VIEWER and case.kind is Kind.ACT:
        return Got.REFUSED
    if who in (Who.ADMIN, Who.OWNER, Who.VIEWER):
        return Got.SEEN
    if who is Who.OTHER:
        return Got.HIDDEN
    if case.unmapped is not None:
        return case.unmapped
    return Got.SEEN if case.through_channel else Got.HIDDEN


# --- the world -------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def slack_server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


class _SharedClock:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@pytest.fixture
def slack(slack_server: FakeSlackServer, clock: FrozenClock) -> SlackState:
    state = SlackState(clock=_SharedClock(clock), signing_secret=SIGNING_SECRET)
    return slack_server.reset(state)


@pytest.fixture
def settings_overrides(slack_server: FakeSlackServer) -> dict[str, object]:
    return {"slack_api_url": slack_server.url, "slack_timeout_seconds": 5}


def _send_through(client: TestClient) -> Callable[[SignedRequest], Reply]:
    def send(request: SignedRequest) -> Reply:
        answer = client.post(request.path, content=request.body, headers=request.headers)
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    return send


def _people(runtime: Runtime) -> dict[Who, str]:
    made = {}
    now = runtime.clock.now()
    with runtime.db.write() as db:
        for who, (name, email, role, _) in PEOPLE.items():
            user = accounts.create_user(
                db, email=email, name=name, role=role, now=now, password=PASSWORD
            )
            made[who] = tokens.create_token(db, user, name="test", now=now)[1]
    return made


@pytest.fixture
def world(
    runtime: Runtime,
    client: TestClient,
    clock: FrozenClock,
    slack: SlackState,
    slack_server: FakeSlackServer,
) -> Iterator[World]:
    deliver = Delivery(runtime, clock)
    api = {who: Api(client, token) for who, token in _people(runtime).items()}
    admin = api[Who.ADMIN]
    ids = {u["email"]: u["id"] for u in admin.get("/api/v1/users").json()["items"]}
    team_ids = {}
    for team in ("payments", "search"):
        members = [ids[email] for _, email, _, t in PEOPLE.values() if t == team]
        made = admin.post("/api/v1/teams", {"name": team, "member_ids": members})
        team_ids[team] = made.json()["id"]
    workspace = slack.create_workspace("Acme Corp")
    for channel in ("incidents", "ops", "payments"):
        slack.add_channel(workspace, channel)
    users = {
        who: slack.add_user(workspace, email.split("@")[0], email=email, real_name=name)
        for who, (name, email, _, _) in PEOPLE.items()
    }
    users[Who.UNMAPPED] = slack.add_user(
        workspace, "sam", email="sam@elsewhere.example", real_name="Sam S."
    )
    connected = admin.put(
        "/api/v1/integrations/slack",
        {"bot_token": workspace.token, "signing_secret": SIGNING_SECRET},
    )
    assert connected.status_code == 200, connected.text
    services = {}
    for name, team, channel in (("checkout", "payments", "#payments"), ("shared", None, "#ops")):
        body = {"name": name, "team_id": team_ids.get(team or ""), "slack_channel": channel}
        services[name] = admin.post("/api/v1/services", body).json()["id"]
    runbook = admin.post(
        "/api/v1/runbooks",
        {
            "name": "war room",
            "trigger": {"events": ["incident.triggered"], "conditions": {"service": ["checkout"]}},
            "steps": [{"operation": "create_channel", "name": "incident-[incident.id]"}],
        },
    )
    assert runbook.status_code == 201, runbook.text
    manual = admin.post("/api/v1/runbooks", STATUS_NOTE)
    assert manual.status_code == 201, manual.text
    deliver()
    agent = slack_server.user_agent(_send_through(client))
    made = World(
        runtime,
        client,
        slack,
        agent,
        deliver,
        api,
        users,
        services,
        runbook.json()["id"],
        manual.json()["id"],
    )
    yield made
    for app in made.apps:
        app.__exit__(None, None, None)


# --- how each surface answers ----------------------------------------------------------

Run = Callable[[World, Who, Pair], Got]


@dataclass(frozen=True)
class Case:
    kind: Kind
    run: Run
    state: str = "TRIGGERED"  # the pair's status before the person acts
    # An unmapped Slack user gets it: he clicked the message, or typed in its channel.
    through_channel: bool = False
    surface: str = "api"
    # What Sam gets where it is not the rule's (runbooks run only for Watchkeep users).
    unmapped: Got | None = None

    @property
    def people(self) -> tuple[Who, ...]:
        mapped = (Who.ADMIN, Who.OWNER, Who.OTHER, Who.VIEWER)
        return (*mapped, Who.UNMAPPED) if self.surface == "slack" else mapped


def _answer(response: Any, not_found: str) -> Got:
    if response.status_code in (200, 201):
        return Got.SEEN
    if response.status_code == 404:
        assert response.json()["detail"] == not_found, "hidden exactly as a missing one"
        return Got.HIDDEN
    if response.status_code == 403:
        return Got.REFUSED
    raise AssertionError(f"{response.status_code}: {response.text}")


def api_call(method: str, path: str, body: dict[str, Any] | None = None) -> Run:
    """`path` names `{incident_id}` or `{run_id}`: the owned incident and its run."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        ids = {"incident_id": pair.owned["id"], "run_id": pair.run_id}
        url = path.format(**ids, runbook_id=world.runbook_id)
        kwargs = {"json": body} if body is not None else {}
        response = world.api[who].client.request(
            method, url, headers=world.api[who].headers, **kwargs
        )
        missing = (
            f"runbook run {pair.run_id}" if "{run_id}" in path else f"incident {ids['incident_id']}"
        )
        return _answer(response, f"{missing} not found")

    return run


def api_list(world: World, who: Who, pair: Pair) -> Got:
    page = world.api[who].get("/api/v1/incidents", params={"status": "TRIGGERED"}).json()
    ids = [item["id"] for item in page["items"]]
    assert pair.shared["id"] in ids, "everyone sees organisation-wide services' incidents"
    assert page["total"] == len(ids), "the total counts only what the caller sees"
    return Got.SEEN if pair.owned["id"] in ids else Got.HIDDEN


def api_create(world: World, who: Who, pair: Pair) -> Got:
    body = {"title": "opened by hand", "service_id": world.services["checkout"]}
    response = world.api[who].post("/api/v1/incidents", body)
    if response.status_code == 422:
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "service_id"]]
        return Got.HIDDEN
    return _answer(response, "")


def api_runbook_runs(world: World, who: Who, pair: Pair) -> Got:
    page = world.api[who].get(f"/api/v1/runbooks/{world.runbook_id}/runs").json()
    assert page["total"] == len(page["items"])
    return Got.SEEN if pair.run_id in [run["id"] for run in page["items"]] else Got.HIDDEN


def api_preview(world: World, who: Who, pair: Pair) -> Got:
    body = {"incident_id": pair.owned["id"]}
    response = world.api[who].post(f"/api/v1/runbooks/{world.runbook_id}/preview", body)
    return _answer(response, f"incident {pair.owned['id']} not found")


def _ids(world: World, pair: Pair) -> dict[str, Any]:
    return {
        "incident_id": pair.owned["id"],
        "run_id": pair.run_id,
        "runbook_id": world.runbook_id,
        "manual_runbook_id": world.manual_runbook_id,
    }


def api_run(world: World, who: Who, pair: Pair) -> Got:
    """Start the manual runbook for the owned incident."""
    body = {"incident_id": pair.owned["id"]}
    response = world.api[who].post(f"/api/v1/runbooks/{world.manual_runbook_id}/run", body)
    return _answer(response, f"incident {pair.owned['id']} not found")


def web_page(path: str, form: dict[str, str] | None = None, *, done: str = "") -> Run:
    """GET the page, or POST the form (as the incident page's buttons do). `path` and the
    form's values may name `_ids`; `done` is on the page it leads to when it acted."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        browser, ids = world.browser(who), _ids(world, pair)
        url = path.format(**ids)
        if form is None:
            response = browser.get(url)
        else:
            browser.get(f"/incidents/{pair.shared['id']}")  # a page with a CSRF token
            response = browser.submit(url, {k: v.format(**ids) for k, v in form.items()})
        if response.status_code == 404:
            assert "Not found" in response.text
            assert not response.history, "the 404 page itself, not a redirect to one"
            return Got.HIDDEN
        assert response.status_code in (200, 403), response.text
        if response.status_code == 403:
            return Got.REFUSED
        assert done.format(**ids) in unescape(response.text)
        return Got.SEEN

    return run


def _offered(page: str, incident: dict[str, Any]) -> bool:
    return f'<option value="{incident["id"]}"' in page


def web_editor(path: str) -> Run:
    """The runbook editor: its Preview picker offers recent incidents, and the runbook's
    run history lists runs: both only of incidents the person may see."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        page = world.browser(who).get(path.format(**_ids(world, pair)))
        assert page.status_code == 200, page.text
        assert _offered(page.text, pair.shared), "organisation-wide incidents are offered"
        offered = _offered(page.text, pair.owned)
        if "{runbook_id}" in path:
            listed = f'data-run="{pair.run_id}"' in page.text
            assert listed is offered, "the history shows the runs of the incidents offered"
        return Got.SEEN if offered else Got.HIDDEN

    return run


def web_last_run(world: World, who: Who, pair: Pair) -> Got:
    """The runbook list's Last run column: the latest run the person may see."""
    page = world.browser(who).get("/runbooks").text
    row = re.search(r'<tr data-runbook="war room">(.*?)</tr>', page, re.S)
    assert row, page
    if "FAILED</span>" in row.group(1):  # the pair's run (Slack refused its channel)
        return Got.SEEN
    assert "<td>—</td>" in row.group(1), row.group(1)
    return Got.HIDDEN


PREVIEWED = """name: Preview
trigger: {events: [manual]}
steps:
  - Action Type: Slack
    Operation: Send Message
    Channel: "#ops"
    Message: "About [incident.title]"
"""


def web_preview(path: str) -> Run:
    """The editor's Preview for the owned incident: a hidden one is "not found", as an id
    that names nothing is."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        browser, incident_id = world.browser(who), pair.owned["id"]
        browser.get("/runbooks/new")  # the editor, with a CSRF token
        form = {"document": PREVIEWED, "incident_id": str(incident_id), "action": "preview"}
        response = browser.submit(path.format(**_ids(world, pair)), form)
        text = unescape(response.text)
        if response.status_code == 422:
            assert f"incident {incident_id} not found" in text, text
            return Got.HIDDEN
        assert response.status_code == 200, text
        assert f"About {pair.owned['title']}" in text
        return Got.SEEN

    return run


def web_list(world: World, who: Who, pair: Pair) -> Got:
    page = world.browser(who).get("/incidents?status=open").text
    listed = set(re.findall(r'<a href="/incidents/(\d+)">', page))
    assert str(pair.shared["id"]) in listed
    return Got.SEEN if str(pair.owned["id"]) in listed else Got.HIDDEN


def web_services(world: World, who: Who, pair: Pair) -> Got:
    """The services page counts open incidents: only those the person may see."""
    page = world.browser(who).get("/services").text
    count = re.search(rf'href="/incidents\?service={world.services["checkout"]}">(\d+)<', page)
    assert count, "checkout (a public team's service) is listed for everyone"
    return {"1": Got.SEEN, "0": Got.HIDDEN}[count.group(1)]


def _told(text: str, number: int) -> Got:
    """What a refusal in Slack says: a hidden incident reads as a missing one."""
    if text in (
        "That incident no longer exists in Watchkeep.",
        f"There is no incident #{number}.",
        "Name the incident, e.g. `#12`: none is open in this channel.",
    ):
        return Got.HIDDEN
    if text in (
        "You can't do that in Watchkeep: the viewer role may not respond.",
        # To Sam: only Watchkeep's responders and admins run runbooks.
        "There is no manual runbook you may run.",
    ):
        return Got.REFUSED
    raise AssertionError(f"unexpected answer: {text!r}")


def typed(text: str, *, channel: str = "#incidents", done: str = "") -> Run:
    """Type `/watchkeep <text>` ({n}: the owned incident's number); `done` starts the
    answer when it acted."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        number = pair.owned["number"]
        reply = world.agent.command(
            world.users[who], f"/watchkeep {text.format(n=number)}", channel=channel
        )
        assert reply.status == 200
        answer = reply.json()["text"]
        return Got.SEEN if answer.startswith(done.format(n=number)) else _told(answer, number)

    return run


def typed_incidents(world: World, who: Who, pair: Pair) -> Got:
    reply = world.agent.command(world.users[who], "/watchkeep incidents", channel="#incidents")
    shown = " ".join(block["text"]["text"] for block in reply.json().get("blocks", [])[1:])
    assert f"|#{pair.shared['number']}>" in shown
    return Got.SEEN if f"|#{pair.owned['number']}>" in shown else Got.HIDDEN


def typed_status(world: World, who: Who, pair: Pair) -> Got:
    reply = world.agent.command(world.users[who], "/watchkeep status", channel="#incidents")
    summary = reply.json()["blocks"][1]["text"]["text"]
    triggered = re.search(r"Triggered: \*(\d+)\*", summary)
    assert triggered, summary
    oldest = f"|#{pair.owned['number']}>" in summary  # the owned one was opened first
    return {("2", True): Got.SEEN, ("1", False): Got.HIDDEN}[(triggered.group(1), oldest)]


def _create_form(world: World) -> Any:
    return [v for v in world.slack.open_views() if v.view["callback_id"] == "create_incident"][-1]


def _offers_checkout(view: Any) -> bool:
    [service] = [b for b in view.view["blocks"] if b.get("block_id") == "service"]
    return "checkout" in [o["text"]["text"] for o in service["element"]["options"]]


def create_form(open_it: Callable[[World, User], Any]) -> Run:
    """Open the create-incident form: does it offer the owning team's service?"""

    def run(world: World, who: Who, pair: Pair) -> Got:
        open_it(world, world.users[who])
        return Got.SEEN if _offers_checkout(_create_form(world)) else Got.HIDDEN

    return run


def create_submitted(world: World, who: Who, pair: Pair) -> Got:
    world.agent.shortcut("create_incident", world.users[who])
    form = _create_form(world)
    if not _offers_checkout(form):
        return Got.HIDDEN
    world.agent.submit(form, world.users[who], {"title": "From Slack", "service": "checkout"})
    if form.closed:
        return Got.SEEN
    return _told(form.errors["title"], pair.owned["number"])


def clicked(button: str, *, option: str | None = None, then: dict[str, str] | None = None) -> Run:
    """Press `button` on the owned incident's message (choosing `option`), and submit the
    modal it opens with `then`. Acted: the incident changed (or the modal opened)."""

    def run(world: World, who: Who, pair: Pair) -> Got:
        user, before = world.users[who], world.incident(pair.owned["id"])
        views = len(world.slack.open_views())
        answer = world.agent.click(world.message_of(pair.owned), button, user, option=option)
        assert answer.status == 200
        opened = world.slack.open_views()[views:]
        if opened and then is not None:
            world.agent.submit(opened[0], user, then)
            assert opened[0].closed, opened[0].errors
        after = world.incident(pair.owned["id"])
        if opened or after["status"] != before["status"]:
            return Got.SEEN
        return _told(world.last_ephemeral(), pair.owned["number"])

    return run


def run_shortcut(world: World, who: Who, pair: Pair) -> Got:
    """ "Run runbook" on the owned incident's message: does its form open?"""
    views = len(world.slack.open_views())
    message = world.message_of(pair.owned)
    assert world.agent.message_shortcut(message, "run_runbook", world.users[who]).status == 200
    opened = world.slack.open_views()[views:]
    if opened:
        assert [view.view["callback_id"] for view in opened] == ["run_runbook"]
        return Got.SEEN
    return _told(world.last_ephemeral(), pair.owned["number"])


def run_submitted(world: World, who: Who, pair: Pair) -> Got:
    """The form opened while checkout was organisation-wide; payments took it back before
    the person pressed Run: the submission asks the rule again."""
    checkout = f"/api/v1/services/{world.services['checkout']}"
    team_id = world.admin.get(checkout).json()["team"]["id"]
    assert world.admin.patch(checkout, {"team_id": None}).json()["team"] is None
    views = len(world.slack.open_views())
    message, user = world.message_of(pair.owned), world.users[who]
    world.agent.message_shortcut(message, "run_runbook", user)
    assert world.admin.patch(checkout, {"team_id": team_id}).json()["team"]["id"] == team_id
    opened = world.slack.open_views()[views:]
    if not opened:
        return _told(world.last_ephemeral(), pair.owned["number"])
    [form] = opened
    world.agent.submit(form, user, {"runbook": "Status note"})
    if not form.closed:
        return _told(form.errors["runbook"], pair.owned["number"])
    number = pair.owned["number"]
    assert world.last_ephemeral().startswith(
        f"Started runbook *Status note* for incident #{number}"
    )
    return Got.SEEN


def told_who_acknowledged(world: World, who: Who, pair: Pair) -> Got:
    message = world.message_of(pair.owned)
    world.agent.click(message, "Acknowledged ✓", world.users[who])
    text = world.last_ephemeral()
    if text == f"Incident #{pair.owned['number']} is already acknowledged by Ada Admin.":
        return Got.SEEN
    return _told(text, pair.owned["number"])


R, A = Kind.READ, Kind.ACT
INCIDENT = "/api/v1/incidents/{incident_id}"
PAGE = "/incidents/{incident_id}"
SLACK = {"surface": "slack"}
WEB = {"surface": "web"}

CASES: dict[str, Case] = {
    # The JSON API.
    "GET /api/v1/incidents": Case(R, api_list),
    "POST /api/v1/incidents": Case(A, api_create),
    f"GET {INCIDENT}": Case(R, api_call("GET", INCIDENT)),
    f"POST {INCIDENT}/acknowledge": Case(A, api_call("POST", INCIDENT + "/acknowledge")),
    f"POST {INCIDENT}/resolve": Case(A, api_call("POST", INCIDENT + "/resolve", {"note": "x"})),
    f"POST {INCIDENT}/snooze": Case(A, api_call("POST", INCIDENT + "/snooze", {"minutes": 5})),
    f"POST {INCIDENT}/unsnooze": Case(A, api_call("POST", INCIDENT + "/unsnooze"), "SNOOZED"),
    f"POST {INCIDENT}/reopen": Case(A, api_call("POST", INCIDENT + "/reopen"), "RESOLVED"),
    f"POST {INCIDENT}/notes": Case(A, api_call("POST", INCIDENT + "/notes", {"text": "x"})),
    f"GET {INCIDENT}/runbook-runs": Case(R, api_call("GET", INCIDENT + "/runbook-runs")),
    "GET /api/v1/runbook-runs/{run_id}": Case(R, api_call("GET", "/api/v1/runbook-runs/{run_id}")),
    "POST /api/v1/runbook-runs/{run_id}/retry": Case(
        A, api_call("POST", "/api/v1/runbook-runs/{run_id}/retry")
    ),
    "GET /api/v1/runbooks/{runbook_id}/runs": Case(R, api_runbook_runs),
    "POST /api/v1/runbooks/{runbook_id}/preview": Case(R, api_preview),
    "POST /api/v1/runbooks/{runbook_id}/run": Case(A, api_run),
    # The web UI.
    "GET /incidents": Case(R, web_list, **WEB),
    f"GET {PAGE}": Case(R, web_page(PAGE), **WEB),
    f"POST {PAGE}/acknowledge": Case(A, web_page(PAGE + "/acknowledge", {}), **WEB),
    f"POST {PAGE}/resolve": Case(A, web_page(PAGE + "/resolve", {"note": "x"}), **WEB),
    f"POST {PAGE}/snooze": Case(A, web_page(PAGE + "/snooze", {"minutes": "60"}), **WEB),
    f"POST {PAGE}/unsnooze": Case(A, web_page(PAGE + "/unsnooze", {}), "SNOOZED", **WEB),
    f"POST {PAGE}/reopen": Case(A, web_page(PAGE + "/reopen", {}), "RESOLVED", **WEB),
    f"POST {PAGE}/notes": Case(A, web_page(PAGE + "/notes", {"text": "x"}), **WEB),
    "GET /services": Case(R, web_services, **WEB),
    f"POST {PAGE}/run-runbook": Case(
        A,
        web_page(
            PAGE + "/run-runbook",
            {"runbook_id": "{manual_runbook_id}"},
            done="Runbook Status note started.",
        ),
        **WEB,
    ),
    "POST /runbook-runs/{run_id}/retry": Case(
        A,
        web_page(
            "/runbook-runs/{run_id}/retry", {}, done="Run {run_id} retried from its failed step."
        ),
        **WEB,
    ),
    "GET /runbooks": Case(R, web_last_run, **WEB),
    "GET /runbooks/new": Case(R, web_editor("/runbooks/new"), **WEB),
    "GET /runbooks/{runbook_id}": Case(R, web_editor("/runbooks/{runbook_id}"), **WEB),
    "POST /runbooks": Case(R, web_preview("/runbooks"), **WEB),
    "POST /runbooks/{runbook_id}": Case(R, web_preview("/runbooks/{runbook_id}"), **WEB),
    # Slash commands.
    "command:incidents": Case(R, typed_incidents, **SLACK),
    "command:status": Case(R, typed_status, **SLACK),
    "command:ack": Case(A, typed("ack #{n}", done="Acknowledged incident #{n}."), **SLACK),
    "command:acknowledge": Case(
        A,
        typed("acknowledge", channel="#payments", done="Acknowledged incident #{n}."),
        through_channel=True,
        **SLACK,
    ),
    "command:resolve": Case(A, typed("resolve #{n} done", done="Resolved incident #{n}."), **SLACK),
    "command:snooze": Case(A, typed("snooze 1h #{n}", done="Snoozed incident #{n}"), **SLACK),
    "command:run": Case(
        A,
        typed("run status note #{n}", done="Started runbook *Status note* for incident #{n}"),
        **SLACK,
    ),
    "command:create": Case(
        R,
        create_form(lambda w, u: w.agent.command(u, "/watchkeep create Down", channel="#payments")),
        **SLACK,
    ),
    # Buttons, menus and forms.
    "action:incident_acknowledge": Case(A, clicked("Acknowledge"), through_channel=True, **SLACK),
    "action:incident_acknowledged": Case(
        R, told_who_acknowledged, "ACKNOWLEDGED", through_channel=True, **SLACK
    ),
    "action:incident_resolve": Case(A, clicked("Resolve"), through_channel=True, **SLACK),
    "view:resolve_incident": Case(
        A, clicked("Resolve", then={"note": "done"}), through_channel=True, **SLACK
    ),
    "action:incident_snooze": Case(
        A, clicked("Snooze", option="30 min"), through_channel=True, **SLACK
    ),
    "view:snooze_incident": Case(
        A,
        clicked("Snooze", option="Custom…", then={"minutes": "90"}),
        through_channel=True,
        **SLACK,
    ),
    "shortcut:create_incident": Case(
        R, create_form(lambda w, u: w.agent.shortcut("create_incident", u)), **SLACK
    ),
    "view:create_incident": Case(A, create_submitted, **SLACK),
    "shortcut:run_runbook": Case(
        A, run_shortcut, through_channel=True, unmapped=Got.REFUSED, **SLACK
    ),
    "view:run_runbook": Case(A, run_submitted, through_channel=True, unmapped=Got.REFUSED, **SLACK),
}

# Routes, subcommands and listeners that neither read nor change incidents, and why.
UNRELATED: dict[str, str] = {
    "dispatches to the slash commands and listeners below": (
        "POST /api/slack/actions, POST /api/slack/commands, POST /api/integrations/slack/commands"
    ),
    "alert receivers: a key names the service, no person is asking": (
        "POST /v2/enqueue, POST /v2/change/enqueue, POST /ingest/alertmanager/{key}, "
        "POST /ingest/webhook/{key}, POST /ingest/grafana/{key}, POST /ingest/datadog/{key}, "
        "POST /ingest/sentry/{key}, POST /ingest/cloudwatch/{key}, POST /v2/alerts, "
        "POST /v2/alerts/{identifier}/acknowledge, POST /v2/alerts/{identifier}/close"
    ),
    "operations: health, readiness and counters, never an incident's contents": (
        "GET /readyz, GET /metrics"
    ),
    "the Events API: events come from Slack, not a person asking; App Home lists only "
    "what the person may see (slack/events/home.py)": ("POST /api/slack/events"),
    "the sandbox acts as a Slack user through the signed Slack endpoints above": (
        "GET /sandbox, GET /sandbox/part/{part}, POST /sandbox/act, POST /sandbox/compose, "
        "POST /sandbox/event, POST /sandbox/home, POST /sandbox/sample-alert, "
        "POST /sandbox/shortcut, POST /sandbox/submit"
    ),
    "no incidents": (
        "GET /healthz, GET /, GET /login, POST /login, POST /logout, command:oncall, "
        "action:incident_view, "  # a link: the page it opens follows the rule
        r"action:re.compile('^incident_link:\\d+$')"  # the alert's links (dashboards, …)
    ),
    "accounts, teams, tokens and profiles": (
        "POST /api/v1/users, GET /api/v1/users, GET /api/v1/users/{user_id}, "
        "PATCH /api/v1/users/{user_id}, DELETE /api/v1/users/{user_id}, "
        "POST /api/v1/teams, GET /api/v1/teams, GET /api/v1/teams/{team_id}, "
        "PATCH /api/v1/teams/{team_id}, DELETE /api/v1/teams/{team_id}, "
        "POST /api/v1/tokens, GET /api/v1/tokens, DELETE /api/v1/tokens/{token_id}, "
        "GET /settings/tokens, POST /settings/tokens, POST /settings/tokens/{token_id}/delete, "
        "GET /settings/profile, POST /settings/profile/notification-rules"
    ),
    "services and their integrations (a private team's: test_a_private_team_*)": (
        "POST /api/v1/services, GET /api/v1/services, GET /api/v1/services/{service_id}, "
        "PATCH /api/v1/services/{service_id}, DELETE /api/v1/services/{service_id}, "
        "POST /api/v1/services/{service_id}/integrations, "
        "GET /api/v1/services/{service_id}/integrations, "
        "DELETE /api/v1/services/{service_id}/integrations/{integration_id}, "
        "POST /api/v1/services/{service_id}/integrations/{integration_id}/rotate, "
        "GET /api/v1/services/{service_id}/alert-settings, "
        "GET /api/v1/services/{service_id}/changes, "
        "PUT /api/v1/services/{service_id}/alert-settings, "
        "GET /services/new, GET /services/{service_id}, POST /services, "
        "POST /services/{service_id}, POST /services/{service_id}/delete, "
        "POST /services/{service_id}/integrations, "
        "POST /services/{service_id}/integrations/{integration_id}/rotate, "
        "POST /services/{service_id}/integrations/{integration_id}/revoke"
    ),
    "on call: schedules and escalation policies": (
        "POST /api/v1/schedules, GET /api/v1/schedules, GET /api/v1/schedules/{schedule_id}, "
        "PATCH /api/v1/schedules/{schedule_id}, DELETE /api/v1/schedules/{schedule_id}, "
        "GET /api/v1/schedules/{schedule_id}/overrides, "
        "POST /api/v1/schedules/{schedule_id}/overrides, "
        "DELETE /api/v1/schedules/{schedule_id}/overrides/{override_id}, GET /api/v1/oncall, "
        "GET /api/v1/schedules/{schedule_id}/oncall, GET /api/v1/schedules/{schedule_id}/shifts, "
        "POST /api/v1/escalation-policies, GET /api/v1/escalation-policies, "
        "GET /api/v1/escalation-policies/{policy_id}, "
        "PATCH /api/v1/escalation-policies/{policy_id}, "
        "DELETE /api/v1/escalation-policies/{policy_id}, "
        "GET /schedules, GET /schedules/new, GET /schedules/{schedule_id}, "
        "POST /schedules/{schedule_id}/overrides, POST /schedules/{schedule_id}/slack-user-group, "
        "POST /schedules/{schedule_id}/overrides/{override_id}/delete, POST /schedules, "
        "GET /escalation-policies, GET /escalation-policies/new, "
        "GET /escalation-policies/{policy_id}, POST /escalation-policies/{policy_id}/delete, "
        "POST /escalation-policies"
    ),
    "runbook documents (their runs, previews and the editor's pages are above)": (
        "POST /api/v1/runbooks, GET /api/v1/runbooks, GET /api/v1/runbooks/{runbook_id}, "
        "PUT /api/v1/runbooks/{runbook_id}, PATCH /api/v1/runbooks/{runbook_id}, "
        "DELETE /api/v1/runbooks/{runbook_id}, POST /runbooks/{runbook_id}/enabled, "
        "POST /runbooks/{runbook_id}/delete"
    ),
    "Slack connections of teams (connectors)": (
        "POST /api/v1/connectors, GET /api/v1/connectors, "
        "GET /api/v1/connectors/{connector_id}, PATCH /api/v1/connectors/{connector_id}, "
        "DELETE /api/v1/connectors/{connector_id}, POST /api/v1/connectors/{connector_id}/test, "
        "GET /settings/connectors, GET /settings/connectors/new, "
        "GET /settings/connectors/{connector_id}, POST /settings/connectors, "
        "POST /settings/connectors/{connector_id}, "
        "POST /settings/connectors/{connector_id}/delete, "
        "POST /settings/connectors/{connector_id}/test"
    ),
    "the Slack connection": (
        "GET /api/v1/integrations/slack, PUT /api/v1/integrations/slack, "
        "GET /api/v1/integrations/slack/workspaces/{workspace_id}, "
        "PUT /api/v1/integrations/slack/workspaces/{workspace_id}, "
        "DELETE /api/v1/integrations/slack/workspaces/{workspace_id}, "
        "POST /api/v1/integrations/slack/test, GET /api/v1/integrations/slack/channels, "
        "GET /settings/integrations/slack, POST /settings/integrations/slack/app, "
        "GET /settings/integrations/slack/workspaces/{workspace_id}, "
        "GET /settings/integrations/slack/workspaces/{workspace_id}/preferences, "
        "POST /settings/integrations/slack/workspaces/{workspace_id}/preferences, "
        "POST /settings/integrations/slack/workspaces/{workspace_id}/test, "
        "POST /settings/integrations/slack/workspaces/{workspace_id}/delete, "
        "POST /settings/integrations/slack/install, GET /api/settings/slack-oauth/callback"
    ),
}
EXEMPT = {name.strip(): why for why, names in UNRELATED.items() for name in names.split(",")}


def everything_answered(runtime: Runtime) -> set[str]:
    """Every route of the app, subcommand and Slack listener, as the table names them."""
    app = create_app(runtime, run_worker=False)
    routes = {
        f"{method} {context.path}"
        for context in iter_route_contexts(app.routes)
        if getattr(context.route, "endpoint", None) is not None
        and context.route.endpoint.__module__.startswith("watchkeep.")  # not /docs
        for method in context.methods or ()
    }
    dispatch = slack_dispatch(runtime)
    commands = {f"command:{name}" for name in dispatch.commands.handlers}
    return routes | commands | set(dispatch.interactions.listeners)


def test_every_route_has_an_entry(runtime: Runtime) -> None:
    answered = everything_answered(runtime)
    missing = sorted(answered - CASES.keys() - EXEMPT.keys())
    assert missing == [], "add each to CASES (it reads or changes incidents) or UNRELATED"
    assert sorted((CASES.keys() | EXEMPT.keys()) - answered) == [], "entries for nothing"
    assert not CASES.keys() & EXEMPT.keys()


@pytest.mark.parametrize("name", CASES)
def test_the_rule_on(name: str, world: World) -> None:
    case = CASES[name]
    got, want = {}, {}
    for who in case.people:
        pair = world.fresh_pair(case.state)
        before = world.incident(pair.owned["id"])
        total = world.admin.get("/api/v1/incidents").json()["total"]
        got[who] = case.run(world, who, pair)
        want[who] = expected(case, who)
        if got[who] is not Got.SEEN and case.kind is Kind.ACT:
            assert world.incident(pair.owned["id"]) == before, f"{who}: nothing changes"
            assert world.admin.get("/api/v1/incidents").json()["total"] == total
    assert got == want


def test_a_private_team_hides_its_services_from_everyone_else(world: World) -> None:
    admin, checkout = world.admin, world.services["checkout"]
    teams = {t["name"]: t for t in admin.get("/api/v1/teams").json()["items"]}
    assert teams["payments"]["private"] is False
    made = admin.patch(f"/api/v1/teams/{teams['payments']['id']}", {"private": True})
    assert made.json()["private"] is True
    pair = world.fresh_pair()
    for who in (Who.ADMIN, Who.OWNER, Who.OTHER):
        listed = [s["name"] for s in world.api[who].get("/api/v1/services").json()["items"]]
        one = world.api[who].get(f"/api/v1/services/{checkout}")
        about = [
            world.api[who].get(f"/api/v1/services/{checkout}/{part}").status_code
            for part in ("alert-settings", "changes")
        ]
        page = world.browser(who).get("/services").text
        seen = who is not Who.OTHER
        assert listed == (["checkout", "shared"] if seen else ["shared"])
        assert one.status_code == (200 if seen else 404)
        assert about == [200 if seen else 404] * 2, "its alert settings and change events too"
        assert (f'href="/services/{checkout}"' in page) is seen
        assert world.browser(who).get(f"/services/{checkout}").status_code == (200 if seen else 404)
        assert api_list(world, who, pair) is (Got.SEEN if seen else Got.HIDDEN)
    world.agent.shortcut("create_incident", world.users[Who.OTHER])
    assert not _offers_checkout(_create_form(world))


def test_an_unmapped_slack_user_lists_only_organisation_wide_incidents(world: World) -> None:
    pair = world.fresh_pair()
    sam = world.users[Who.UNMAPPED]
    assert typed_incidents(world, Who.UNMAPPED, pair) is Got.HIDDEN  # shared: listed
    world.admin.put("/api/v1/integrations/slack", {"require_mapped_user": True})
    for text in ("incidents", "status", f"ack #{pair.shared['number']}"):
        reply = world.agent.command(sam, f"/watchkeep {text}", channel="#incidents").json()
        assert reply == {
            "response_type": "ephemeral",
            "text": "Your Slack account is not linked to an active Watchkeep user, and this "
            "workspace requires one. Ask an admin to add a Watchkeep user with your Slack email.",
        }
    assert world.incident(pair.shared["id"])["status"] == "TRIGGERED"


def test_in_a_runbook_channel_run_needs_no_number_but_still_the_rule(world: World) -> None:
    """`/watchkeep run` in the channel a runbook opened for an incident means that one:
    to its team; to another team's member the channel is no way in."""
    pair = world.fresh_pair()
    assert world.admin.post(f"/api/v1/runbook-runs/{pair.run_id}/retry").status_code == 200
    world.deliver()
    [step] = world.admin.get(f"/api/v1/runbook-runs/{pair.run_id}").json()["steps"]
    channel = "#" + step["result"]["channel_name"]
    number = pair.owned["number"]
    answers = {
        who: world.agent.command(
            world.users[who], "/watchkeep run Status note", channel=channel
        ).json()["text"]
        for who in (Who.OTHER, Who.OWNER)
    }
    assert answers[Who.OTHER] == "Name the incident, e.g. `#12`: none is open in this channel."
    assert answers[Who.OWNER].startswith(f"Started runbook *Status note* for incident #{number}")
    runs = world.admin.get(f"/api/v1/incidents/{pair.owned['id']}/runbook-runs").json()["items"]
    assert [run["runbook_id"] for run in runs] == [world.manual_runbook_id, world.runbook_id]
