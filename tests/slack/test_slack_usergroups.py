"""On-call user groups over the fake Slack: `@payments-oncall` follows the schedule at
every handoff and override, and Slack's refusals are kept for the schedule's page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchkeep.fakeslack import FakeSlackServer, SlackState, User, Workspace
from watchkeep.runtime import Runtime
from watchkeep.slack import usergroups

from support import Api, Delivery, FrozenClock

DAY = timedelta(hours=24)


@pytest.fixture
def people(admin_api: Api, slack: SlackState, connected: Workspace) -> dict[str, tuple[int, User]]:
    found = {}
    for name in ("alice", "bob"):
        email = f"{name}@example.com"
        made = admin_api.post("/api/v1/users", {"email": email, "name": name.title()})
        found[name] = (made.json()["id"], slack.add_user(connected, name, email=email))
    return found


def make_schedule(api: Api, clock: FrozenClock, people: dict, **fields: object) -> dict:
    layer = {
        "user_ids": [people["alice"][0], people["bob"][0]],
        "rotation_length_hours": 24,
        "start": clock.now().isoformat(),
    }
    body = {"name": "Payments", "time_zone": "UTC", "layers": [layer], **fields}
    made = api.post("/api/v1/schedules", body)
    assert made.status_code == 201, made.text
    return made.json()


def members(slack: SlackState, handle: str) -> list[str]:
    [group] = [g for g in slack.usergroups.values() if g.handle == handle]
    return group.users


def test_a_handoff_changes_the_user_groups_members(
    admin_api: Api, slack: SlackState, people: dict, deliver: Delivery, clock: FrozenClock
) -> None:
    alice, bob = people["alice"][1], people["bob"][1]
    start = clock.now()
    schedule = make_schedule(admin_api, clock, people, slack_user_group="payments-oncall")
    assert schedule["slack_user_group"] == "payments-oncall"
    deliver(until=start + timedelta(hours=1))
    [created] = slack.calls("usergroups.create")
    assert (created.params["handle"], created.params["name"]) == (
        "payments-oncall",
        "Payments on call",
    )
    assert members(slack, "payments-oncall") == [alice.id]

    clock.advance(hours=24)  # Alice hands over to Bob
    deliver(until=start + DAY + timedelta(hours=1))
    assert members(slack, "payments-oncall") == [bob.id]

    # An override for Alice takes the group back to her at once, and gives it back after.
    override = {
        "user_id": people["alice"][0],
        "start": clock.now().isoformat(),
        "end": (clock.now() + timedelta(hours=2)).isoformat(),
    }
    assert admin_api.post(f"/api/v1/schedules/{schedule['id']}/overrides", override).is_success
    deliver(until=start + DAY + timedelta(hours=1))
    assert members(slack, "payments-oncall") == [alice.id]
    clock.advance(hours=2)
    deliver(until=start + DAY + timedelta(hours=3))
    assert members(slack, "payments-oncall") == [bob.id]
    [group] = slack.usergroups.values()
    assert group.history == [[alice.id], [bob.id], [alice.id], [bob.id]]
    assert len(slack.calls("usergroups.create")) == 1, "the group is made once, then kept"


def test_an_existing_disabled_group_is_enabled_and_kept(
    admin_api: Api,
    slack_server: FakeSlackServer,
    slack: SlackState,
    connected: Workspace,
    people: dict,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    client = slack_server.client(connected.token)
    existing = client.usergroups_create(name="Old on call", handle="payments-oncall")["usergroup"]
    client.usergroups_disable(usergroup=existing["id"])
    make_schedule(admin_api, clock, people, slack_user_group="@payments-oncall")
    deliver(until=clock.now() + timedelta(hours=1))
    assert slack.calls("usergroups.create")[-1].params["name"] == "Old on call"
    group = slack.usergroups[existing["id"]]
    assert (group.disabled, group.users) == (False, [people["alice"][1].id])


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("free", "Slack said: usergroups.list: paid_teams_only"),
        (
            "read-only",
            "Slack said: usergroups.create: missing_scope (needs scope usergroups:write)",
        ),
    ],
)
def test_a_group_slack_refuses_is_kept_with_slacks_error(
    setup: str,
    error: str,
    admin_api: Api,
    runtime: Runtime,
    slack: SlackState,
    connected: Workspace,
    people: dict,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    if setup == "free":
        connected.plan = "free"
    else:
        scopes = {"chat:write", "users:read", "users:read.email", "usergroups:read"}
        token = slack.issue_token(connected, scopes)
        assert admin_api.put("/api/v1/integrations/slack", {"bot_token": token}).is_success
    schedule = make_schedule(admin_api, clock, people, slack_user_group="payments-oncall")
    deliver(until=clock.now() + timedelta(hours=1))
    with runtime.db.read() as session:
        [(_, group)] = usergroups.groups_of(session, schedule["id"])
    assert (group.last_error, group.members, group.synced_at) == (error, [], None)
    assert slack.usergroups == {}


def test_nobody_on_call_keeps_the_members_and_says_so(
    admin_api: Api,
    runtime: Runtime,
    slack: SlackState,
    people: dict,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    schedule = make_schedule(admin_api, clock, people, slack_user_group="payments-oncall")
    deliver(until=clock.now() + timedelta(hours=1))
    later = (clock.now() + timedelta(days=3)).isoformat()
    layer = {"user_ids": [people["bob"][0]], "rotation_length_hours": 24, "start": later}
    admin_api.patch(f"/api/v1/schedules/{schedule['id']}", {"layers": [layer]})
    deliver(until=clock.now() + timedelta(hours=1))
    assert members(slack, "payments-oncall") == [people["alice"][1].id]
    with runtime.db.read() as session:
        [(_, group)] = usergroups.groups_of(session, schedule["id"])
    assert group.last_error == "Nobody is on call: @payments-oncall keeps its members."


def test_the_handle_is_checked_and_one_schedule_keeps_it(
    admin_api: Api, people: dict, clock: FrozenClock
) -> None:
    bad = admin_api.post(
        "/api/v1/schedules", {"name": "X", "time_zone": "UTC", "slack_user_group": "Pay Ops!"}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "slack_user_group"
    make_schedule(admin_api, clock, people, slack_user_group="payments-oncall")
    taken = admin_api.post(
        "/api/v1/schedules",
        {"name": "Y", "time_zone": "UTC", "slack_user_group": "payments-oncall"},
    )
    assert taken.status_code == 422
    assert taken.json()["detail"][0]["msg"] == "schedule 'Payments' keeps @payments-oncall already"
