"""`/watchkeep …` slash commands: typed in a channel, signed, answered ephemeral in
Block Kit within Slack's deadline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from watchkeep.fakeslack import SlackState, SlackUserAgent, User, Workspace, sign
from watchkeep.slack.render import slack_date

from slack_story import texts
from support import Api, Delivery, FrozenClock

BASE = "https://watchkeep.example.com"


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


@pytest.fixture
def types(agent: SlackUserAgent, ada: User) -> Callable[..., dict]:
    """Ada types `/watchkeep <text>` in a channel (#incidents unless told); Slack's answer."""

    def run(text: str, channel: str = "#incidents", **kwargs: str) -> dict:
        reply = agent.command(ada, f"/watchkeep {text}", channel=channel, **kwargs)
        assert reply.status == 200, reply.text
        answer = reply.json()
        assert answer["response_type"] == "ephemeral"
        return answer

    return run


def trigger(api: Api, service_id: int, title: str, urgency: str = "HIGH") -> dict:
    return api.post(
        "/api/v1/incidents", {"title": title, "service_id": service_id, "urgency": urgency}
    ).json()


def test_incidents_lists_the_open_ones_newest_first(
    types: Callable[..., dict], admin_api: Api, service_id: int, clock: FrozenClock
) -> None:
    old = trigger(admin_api, service_id, "old one")
    new = trigger(admin_api, service_id, "new <b>one</b>", "LOW")
    gone = trigger(admin_api, service_id, "done")
    admin_api.post(f"/api/v1/incidents/{gone['id']}/resolve")
    when = slack_date(clock.now())
    assert texts(types("incidents")) == [
        "Open incidents (2)",
        f"🔵 <{BASE}/incidents/{new['id']}|#2> new &lt;b&gt;one&lt;/b&gt; · checkout · "
        f"🚨 Triggered · {when}",
        f"🔴 <{BASE}/incidents/{old['id']}|#1> old one · checkout · 🚨 Triggered · {when}",
    ]


def test_status_counts_and_names_the_oldest_unacknowledged(
    types: Callable[..., dict], admin_api: Api, service_id: int, clock: FrozenClock
) -> None:
    first = trigger(admin_api, service_id, "first")
    second = trigger(admin_api, service_id, "second", "MEDIUM")
    admin_api.post(f"/api/v1/incidents/{first['id']}/acknowledge")
    header, summary = texts(types("status"))
    assert header == "Watchkeep status"
    assert summary.splitlines() == [
        "🚨 Triggered: *1* · 👀 Acknowledged: *1* · 💤 Snoozed: *0* · ✅ Resolved: *0*",
        "Open by urgency: 🔴 High: *1* · 🟡 Medium: *1* · 🔵 Low: *0*",
        f"Oldest unacknowledged: 🟡 <{BASE}/incidents/{second['id']}|#2> second · checkout · "
        f"🚨 Triggered · {slack_date(clock.now())}",
    ]


def test_ack_resolve_and_snooze_by_number(
    types: Callable[..., dict], admin_api: Api, service_id: int
) -> None:
    incident = trigger(admin_api, service_id, "by number")
    number = incident["number"]
    assert types(f"ack #{number}")["text"] == f"Acknowledged incident #{number}."
    assert types(f"snooze 1h30m {number}")["text"] == f"Snoozed incident #{number} for 1h30m."
    now = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert now["snoozed_until"] == "2026-03-02T10:30:00Z"
    resolved = types(f"resolve #{number} the payload queue drained")
    assert resolved["text"] == f"Resolved incident #{number}."
    now = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert now["resolution_note"] == "the payload queue drained"
    assert now["resolved_by"]["name"] == "Ada Admin"
    again = types(f"ack {number}")
    assert again["text"] == f"Incident #{number} is already resolved by Ada Admin."


def test_inside_an_incidents_channel_no_number_is_needed(
    types: Callable[..., dict], admin_api: Api, service_id: int, deliver: Delivery
) -> None:
    incident = trigger(admin_api, service_id, "in channel")
    deliver()
    types("ack", channel="#ops")
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "ACKNOWLEDGED"
    trigger(admin_api, service_id, "second in channel")
    deliver()
    assert types("resolve", channel="#ops")["text"] == (
        "Several incidents are open in this channel (#1, #2): name one."
    )
    assert types("ack", channel="#payments")["text"] == (
        "Name the incident, e.g. `#12`: none is open in this channel."
    )


def test_create_opens_the_form_prefilled(
    types: Callable[..., dict], service_id: int, slack: SlackState
) -> None:
    assert types("create Checkout is down")["text"] == "Opening the create-incident form…"
    [modal] = slack.open_views()
    assert modal.view["blocks"][0]["element"]["initial_value"] == "Checkout is down"


def test_create_when_slack_will_not_open_the_form_creates_directly(
    types: Callable[..., dict], service_id: int, admin_api: Api, slack: SlackState
) -> None:
    slack.faults.fail_next("views.open", "expired_trigger_id")
    assert types("create Queue stuck")["text"] == "Created incident #1: Queue stuck"
    [made] = admin_api.get("/api/v1/incidents").json()["items"]
    assert (made["title"], made["source"]) == ("Queue stuck", "slack")


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("", "Watchkeep commands"),
        ("help", "Watchkeep commands"),
        ("dance", "Unknown command: dance"),
        ("snooze", "Say for how long, up to 30 days: `/watchkeep snooze 2h #12`"),
        ("snooze forever #1", "Say for how long, up to 30 days: `/watchkeep snooze 2h #12`"),
        ("ack #999", "There is no incident #999."),
    ],
)
def test_help_unknown_and_bad_arguments_get_usage_or_a_reason(
    types: Callable[..., dict], text: str, told: str, service_id: int
) -> None:
    assert types(text)["text"] == told


def test_both_command_paths_answer_and_the_word_payload_is_harmless(
    types: Callable[..., dict], admin_api: Api, service_id: int
) -> None:
    incident = trigger(admin_api, service_id, "payload service down")
    for path in ("/api/slack/commands", "/api/integrations/slack/commands"):
        [_, line] = texts(types("incidents payload", path=path))
        assert line.startswith(f"🔴 <{BASE}/incidents/{incident['id']}|#1> payload service down")


def test_unsigned_or_malformed_commands_are_refused(
    agent: SlackUserAgent, ada: User, slack: SlackState
) -> None:
    signed = agent.requests.command(ada, "/watchkeep status", channel="#incidents")
    unsigned = replace(signed, headers={"Content-Type": signed.headers["Content-Type"]})
    assert agent.send(unsigned).status == 401
    no_command = sign(
        signed.path, "text=status", secret=slack.signing_secret, timestamp=slack.clock.now()
    )
    assert agent.send(no_command).status == 400


def test_oncall_says_who_is_on_call_and_until_when(
    types: Callable[..., dict], admin_api: Api
) -> None:
    users = [
        admin_api.post("/api/v1/users", {"email": f"{n}@example.com", "name": n}).json()["id"]
        for n in ("Noor", "Omar")
    ]
    for name in ("Platform primary", "Database"):
        created = admin_api.post(
            "/api/v1/schedules",
            {
                "name": name,
                "time_zone": "Europe/Berlin",
                "layers": [
                    {
                        "user_ids": users,
                        "rotation_length_hours": 24,
                        "start": "2026-03-01T09:00:00+01:00",
                    }
                ],
            },
        )
        assert created.status_code == 201, created.text
    # Omar's shift started 2026-03-02 09:00 Berlin and lasts a day.
    until = "until <!date^1772524800^{date_short_pretty} {time}|2026-03-03 08:00 UTC>"
    assert texts(types("oncall")) == [
        "On call now",
        f"📟 Database: *Omar* {until}\n📟 Platform primary: *Omar* {until}",
    ]
    assert texts(types("oncall platform")) == [
        "On call now",
        f"📟 Platform primary: *Omar* {until}",
    ]
    assert types("oncall nope")["text"] == "No schedule is named “nope”."
