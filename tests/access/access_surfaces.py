"""How each surface answers a person: a request, a page, a typed command or a click on
the posted message, read back as seen, hidden or refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any

from watchkeep.fakeslack import User

from access_world import Got, Kind, Pair, Who, World

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


def shown_create_form(world: World) -> Any:
    return [v for v in world.slack.open_views() if v.view["callback_id"] == "create_incident"][-1]


def offers_checkout(view: Any) -> bool:
    [service] = [b for b in view.view["blocks"] if b.get("block_id") == "service"]
    return "checkout" in [o["text"]["text"] for o in service["element"]["options"]]


def create_form(open_it: Callable[[World, User], Any]) -> Run:
    """Open the create-incident form: does it offer the owning team's service?"""

    def run(world: World, who: Who, pair: Pair) -> Got:
        open_it(world, world.users[who])
        return Got.SEEN if offers_checkout(shown_create_form(world)) else Got.HIDDEN

    return run


def create_submitted(world: World, who: Who, pair: Pair) -> Got:
    world.agent.shortcut("create_incident", world.users[who])
    form = shown_create_form(world)
    if not offers_checkout(form):
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
