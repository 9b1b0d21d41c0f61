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

import pytest
from fastapi.routing import iter_route_contexts

from watchkeep.app import create_app
from watchkeep.runtime import Runtime
from watchkeep.slack.interactive.wiring import slack_dispatch

from access_surfaces import (
    Case,
    api_call,
    api_create,
    api_list,
    api_preview,
    api_run,
    api_runbook_runs,
    clicked,
    create_form,
    create_submitted,
    offers_checkout,
    run_shortcut,
    run_submitted,
    shown_create_form,
    told_who_acknowledged,
    typed,
    typed_incidents,
    typed_status,
    web_editor,
    web_last_run,
    web_list,
    web_page,
    web_preview,
    web_services,
)
from access_world import Got, Kind, Who, World


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
    assert not offers_checkout(shown_create_form(world))


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
