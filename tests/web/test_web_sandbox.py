"""/sandbox over the real app: only with the built-in fake Slack, what each
Slack user may see (channels, ephemeral answers for them only), and a slash
command typed in the composer reaching Watchkeep signed as Slack signs it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core import incidents, services
from watchkeep.core.access import EVERYTHING
from watchkeep.core.models import Role
from watchkeep.fakeslack import (
    Ephemeral,
    FakeSlackServer,
    Reply,
    SignedRequest,
    SlackState,
    Workspace,
)
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials, workspaces
from watchkeep.slack.workspaces import CheckedToken
from watchkeep.web.sandbox.actor import Sandbox

from support import Delivery, FrozenClock
from web_support import Pages, text_of


def send_through(client: TestClient) -> Callable[[SignedRequest], Reply]:
    """Slack's requests to the app under test, as Slack would send them."""

    def send(request: SignedRequest) -> Reply:
        answer = client.post(request.path, content=request.body, headers=request.headers)
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    return send


class SharedClock:
    """The fake Slack reads the test's frozen clock: its signatures are fresh to Watchkeep."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@pytest.fixture
def demo_slack(slack_server: FakeSlackServer, clock: FrozenClock) -> Workspace:
    slack = slack_server.reset(SlackState(clock=SharedClock(clock)))
    ws = slack.create_workspace("Watchkeep Demo")
    alice = slack.add_user(ws, "alice", email="ada@example.com", real_name="Alice Ng")
    bob = slack.add_user(ws, "bob", email="bob@example.com", real_name="Bob Osei")
    slack.add_channel(ws, "incidents", members=[alice, bob])
    slack.add_channel(ws, "sre-oncall", private=True, bot_member=True, members=[alice])
    slack.add_channel(ws, "vault", private=True, bot_member=False, members=[bob])
    slack.add_channel(ws, "old-incident", archived=True)
    return ws


@pytest.fixture
def sandbox_pages(
    runtime: Runtime,
    slack_server: FakeSlackServer,
    demo_slack: Workspace,
    make_user: Callable[..., str],
) -> Iterator[tuple[Pages, SlackState]]:
    state = slack_server.state
    now = runtime.clock.now()
    with runtime.db.write() as db:
        credentials.set_app_credentials(
            db, runtime.secrets, {"signing_secret": state.signing_secret}, now=now
        )
        workspaces.store_token(
            db,
            runtime.secrets,
            CheckedToken(demo_slack.token),
            now=now,
            team={"id": demo_slack.team_id, "name": demo_slack.name},
        )
    runtime.slack.settings_changed()
    sandbox = Sandbox(slack_server, "http://unused.invalid")
    app = create_app(runtime, run_worker=False, sandbox=sandbox)
    with TestClient(app, base_url="https://testserver") as client:
        sandbox.send = send_through(client)
        pages = Pages(client)
        pages.sign_in(make_user(Role.ADMIN, "Ada Admin"))
        yield pages, state


def test_without_the_built_in_fake_there_is_no_sandbox(pages: Pages) -> None:
    assert pages.get("/sandbox").status_code == 404
    assert "Slack sandbox" not in text_of(pages.get("/incidents"))


def test_each_slack_user_sees_their_channels_and_only_their_ephemeral_messages(
    sandbox_pages: tuple[Pages, SlackState],
) -> None:
    pages, state = sandbox_pages
    alice, bob = (state.users[u] for u in state.users if not state.users[u].is_bot)
    incidents = state.channel("#incidents")
    state.ephemerals.append(Ephemeral(incidents.id, alice.id, "1700000000.000100", "for Alice"))

    # The signed-in admin's email is Alice's: the page acts as her unless told otherwise.
    shown = pages.get("/sandbox")
    assert shown.status_code == 200
    text = text_of(shown)
    assert "Act as Slack user" in text
    assert "# incidents" in text
    assert "🔒 sre-oncall" in text  # private, with the bot
    assert "vault" not in text  # private, without the bot or Alice
    assert 'class="sb-channel-link archived"' in shown.text  # archived, greyed
    assert "for Alice" in text
    assert "Only visible to you" in text

    as_bob = text_of(pages.get(f"/sandbox?as={bob.id}&channel={incidents.id}"))
    assert "for Alice" not in as_bob
    assert "🔒 vault" in as_bob
    # A link without a person (the incident page's) keeps acting as Bob.
    again = pages.get(f"/sandbox?channel={incidents.id}")
    assert f'<option value="{bob.id}" selected>' in again.text


def test_a_slash_command_in_the_composer_is_answered_privately(
    sandbox_pages: tuple[Pages, SlackState],
) -> None:
    pages, state = sandbox_pages
    incidents = state.channel("#incidents")
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    pages.get(f"/sandbox?as={alice.id}&channel={incidents.id}")
    answer = pages.submit(
        "/sandbox/compose",
        {"as": alice.id, "channel": incidents.id, "text": "/watchkeep incidents"},
    )
    assert answer.status_code == 200
    [call] = [e for e in state.ephemerals if e.user == alice.id]
    assert call.text == "No open incidents. 🎉"
    assert "No open incidents. 🎉" in text_of(answer)
    # Slack signed it and Watchkeep verified it: the request went to the real endpoint.
    assert state.calls("chat.postMessage") == []


def test_a_click_on_an_element_that_is_not_there_changes_nothing(
    sandbox_pages: tuple[Pages, SlackState],
) -> None:
    pages, state = sandbox_pages
    incidents = state.channel("#incidents")
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    message = state.post_as_user(incidents, alice, "hello")
    pages.get("/sandbox")
    answer = pages.submit(
        "/sandbox/act",
        {
            "as": alice.id,
            "kind": "message",
            "channel": incidents.id,
            "ts": message.ts,
            "target": "incident_acknowledge",
        },
    )
    assert "Slack would not do that: no element named 'incident_acknowledge'" in text_of(answer)


def test_a_polled_part_is_sent_again_only_when_what_it_shows_changed(
    sandbox_pages: tuple[Pages, SlackState],
) -> None:
    pages, state = sandbox_pages
    page = pages.get("/sandbox")
    poll = re.search(r'id="sb-messages" class="[^"]+" hx-get="([^"]+)"', page.text)
    assert poll
    url = html.unescape(poll.group(1))
    assert pages.get(url).status_code == 204
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    state.post_as_user("#incidents", alice, "anyone there?")
    changed = pages.get(url)
    assert changed.status_code == 200
    assert "anyone there?" in text_of(changed)


def test_the_shortcut_opens_watchkeeps_modal_and_submitting_it_creates_the_incident(
    sandbox_pages: tuple[Pages, SlackState], runtime: Runtime
) -> None:
    pages, state = sandbox_pages
    with runtime.db.write() as db:
        services.create_service(db, name="checkout", now=runtime.clock.now())
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    pages.get("/sandbox")
    shown = pages.submit("/sandbox/shortcut", {"as": alice.id, "callback_id": "create_incident"})
    assert 'role="dialog"' in shown.text
    assert "Create incident" in text_of(shown)
    [view] = state.open_views()

    # Slack's client refuses an empty required field: the modal stays, nothing is sent.
    refused = pages.submit("/sandbox/submit", {"as": alice.id, "view": view.id, "v:title": ""})
    assert "Slack would not do that: Slack does not submit a form with 'title' empty" in (
        text_of(refused)
    )
    service = re.search(r'<option value="(\d+)">checkout</option>', refused.text)
    assert service
    pages.submit(
        "/sandbox/submit",
        {
            "as": alice.id,
            "view": view.id,
            "decision": "submit",
            "v:title": "Card payments failing",
            "v:service": service.group(1),
            "v:urgency": "HIGH",
            "v:description": "",
        },
    )
    assert state.open_views() == []
    with runtime.db.read() as db:
        found, _ = incidents.list_incidents(
            db, incidents.IncidentFilter(), scope=EVERYTHING, limit=5, offset=0
        )
        assert [(i.title, i.urgency.value) for i in found] == [("Card payments failing", "HIGH")]


def test_a_link_button_opens_its_own_url_only(sandbox_pages: tuple[Pages, SlackState]) -> None:
    pages, state = sandbox_pages
    incidents = state.channel("#incidents")
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    ws = state.workspaces[incidents.team_id]
    button = {
        "type": "button",
        "action_id": "incident_view",
        "text": {"type": "plain_text", "text": "View"},
        "url": "https://watchkeep.example.com/incidents/1",
    }
    message = state.post_as_user(incidents, ws.bot_user_id, "card")
    message.blocks = [{"type": "actions", "elements": [button]}]
    pages.get("/sandbox")
    form = {"as": alice.id, "kind": "message", "channel": incidents.id, "ts": message.ts}
    form["target"] = "incident_view"
    opened = pages.submit("/sandbox/act", {**form, "open": button["url"]}, follow_redirects=False)
    assert opened.headers["location"] == button["url"]
    pages.get("/sandbox")
    elsewhere = pages.submit(
        "/sandbox/act", {**form, "open": "https://evil.example/"}, follow_redirects=False
    )
    assert elsewhere.headers["location"].startswith("/sandbox?")


def test_a_viewer_may_look_but_not_act(
    runtime: Runtime,
    slack_server: FakeSlackServer,
    demo_slack: Workspace,
    make_user: Callable[..., str],
) -> None:
    sandbox = Sandbox(slack_server, "http://unused.invalid")
    with TestClient(
        create_app(runtime, run_worker=False, sandbox=sandbox), base_url="https://testserver"
    ) as client:
        pages = Pages(client)
        pages.sign_in(make_user(Role.VIEWER, "Vic Viewer"))
        assert pages.get("/sandbox").status_code == 200
        state = slack_server.state
        [alice] = [u for u in state.users.values() if u.name == "alice"]
        refused = pages.submit(
            "/sandbox/compose",
            {"as": alice.id, "channel": state.channel("#incidents").id, "text": "/watchkeep ack"},
        )
        assert refused.status_code == 403
        assert state.ephemerals == []


def test_a_message_shortcut_is_offered_on_messages_and_sent_for_that_message(
    sandbox_pages: tuple[Pages, SlackState], deliver: Delivery
) -> None:
    pages, state = sandbox_pages
    incidents = state.channel("#incidents")
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    message = state.post_as_user(incidents, alice, "is checkout down?")
    page = pages.get("/sandbox")
    assert "⚡ Run runbook" in text_of(page)
    answer = pages.submit(
        "/sandbox/shortcut",
        {"as": alice.id, "channel": incidents.id, "ts": message.ts, "callback_id": "run_runbook"},
    )
    assert answer.status_code == 200
    # Not an incident's message: Watchkeep says so, privately, through the response_url.
    deliver()
    [told] = state.response_urls.posts()
    assert told["response_type"] == "ephemeral"
    assert told["text"] in text_of(pages.get(f"/sandbox?as={alice.id}"))
    [bob] = [u for u in state.users.values() if u.name == "bob"]
    assert told["text"] not in text_of(pages.get(f"/sandbox?as={bob.id}"))


def test_the_home_tab_is_published_on_opening_and_pressed_as_a_view(
    sandbox_pages: tuple[Pages, SlackState], deliver: Delivery
) -> None:
    pages, state = sandbox_pages
    [alice] = [u for u in state.users.values() if u.name == "alice"]
    pages.get("/sandbox")
    opened = pages.submit("/sandbox/home", {"as": alice.id})
    assert "watchkeep · Home" in text_of(opened)
    deliver()  # Watchkeep publishes the Home tab from its outbox
    home = pages.get(f"/sandbox?as={alice.id}&home=1")
    assert "You are not on call right now." in text_of(home)
    view = state.home_view(alice)
    assert view is not None
    refused = pages.submit(
        "/sandbox/act", {"as": alice.id, "kind": "view", "view": view.id, "target": "nothing"}
    )
    assert "Slack would not do that: no element named 'nothing'" in text_of(refused)
