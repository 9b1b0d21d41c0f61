"""`/sandbox`: the fake Slack drawn like Slack, for signed-in users, and the forms
that act in it as one of its people.

The page is server-rendered; three regions (the channel, the open thread, the
modal) poll for changes once a second and are swapped only when what they
show changed (a digest of their HTML), so a half-typed modal survives a new
message. Every action goes through `actor.Sandbox`, i.e. the fake Slack's user
agent, to Watchkeep's own Slack endpoints; acting takes a role that may act
(a viewer could otherwise act in Slack as a responder). Without a built-in fake Slack (not
`--demo`, not `WATCHKEEP_SANDBOX=true`) every path here is a 404.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from watchkeep.fakeslack import Ephemeral, Message, User, View
from watchkeep.web import session as web_session
from watchkeep.web.auth import Responder, Viewer, WebUser, verify_csrf
from watchkeep.web.rendering import finish, render, templates
from watchkeep.web.sandbox import reading
from watchkeep.web.sandbox.actor import Refused, Sandbox
from watchkeep.web.slack_manifest import manifest

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PARTS = ("messages", "thread", "modal")
AS_COOKIE = "watchkeep_sandbox_as"
# Inputs whose emptied value is sent as typed; an untouched menu keeps its initial option.
TEXT_INPUTS = ("plain_text_input", "email_text_input", "url_text_input", "number_input")
# Images in messages come from anywhere, as in Slack; nothing else is relaxed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def shortcuts(request: Request, kind: str) -> dict[str, str]:
    """The app's shortcuts of `kind` (global, message) as its manifest declares them."""
    declared = manifest(request.app.state.runtime.settings)["features"]["shortcuts"]
    return {s["callback_id"]: s["name"] for s in declared if s["type"] == kind}


def sandbox_of(request: Request) -> Sandbox:
    sandbox = getattr(request.app.state, "sandbox", None)
    if sandbox is None:
        raise HTTPException(404, "The Slack sandbox runs only with the built-in fake Slack.")
    return sandbox


class Scene:
    """Who acts, where, and which thread is open, as read from the query or form."""

    def __init__(
        self,
        sandbox: Sandbox,
        viewer: WebUser,
        who: str,
        channel: str,
        thread: str,
        home: bool = False,
    ) -> None:
        state = sandbox.state
        self.home = home
        everyone = reading.people(state)
        if not everyone:
            raise HTTPException(404, "The fake Slack has nobody in it yet.")
        with state.lock:
            wanted_team = state.channels[channel].team_id if channel in state.channels else None
        # The person asked for, unless the channel asked for is in another workspace.
        chosen = next(
            (u for u in everyone if u.id == who and wanted_team in (None, u.team_id)), None
        )
        self.user: User = chosen or _default(everyone, viewer, wanted_team)
        self.people = everyone
        self.channels = reading.channels_for(state, self.user)
        found = reading.visible(state, self.user, channel) if channel else None
        if found is None:
            first = next(
                (c for c in self.channels if not c.direct and c.label == "incidents"), None
            )
            first = first or (self.channels[0] if self.channels else None)
            found = reading.visible(state, self.user, first.id) if first else None
        self.channel = found
        self.thread = thread if found and state.find_message(found.id, thread) else ""

    def query(self, **changes: str) -> str:
        values = {
            "as": self.user.id,
            "channel": self.channel.id if self.channel else "",
            "thread": self.thread,
            "home": "1" if self.home else "",
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _default(everyone: list[User], viewer: WebUser, team: str | None) -> User:
    """The Slack person with the signed-in user's email, in the channel's workspace."""
    candidates = [u for u in everyone if team in (None, u.team_id)] or everyone
    mine = [u for u in candidates if (u.email or "").lower() == viewer.email.lower()]
    return (mine or candidates)[0]


def _context(
    request: Request, sandbox: Sandbox, scene: Scene, only: str | None = None
) -> dict[str, Any]:
    """What the page shows; `only` one polled part (each poll reads no more than its own)."""
    csrf = web_session.current(request).csrf
    state = sandbox.state
    channel = scene.channel if only in (None, "messages", "thread") else None
    wanted = {"items": only in (None, "messages"), "replies": only in (None, "thread")}
    view = reading.open_view(state, scene.user) if only in (None, "modal") else None
    return {
        "nav": "sandbox",
        "scene": scene,
        "workspace": reading.workspace_name(state, scene.user),
        "workspaces": {u.team_id: reading.workspace_name(state, u) for u in scene.people},
        "items": reading.timeline(state, scene.user, channel.id, csrf)
        if channel and wanted["items"]
        else [],
        "replies": reading.thread(state, scene.user, channel.id, scene.thread, csrf)
        if channel and scene.thread and wanted["replies"]
        else [],
        "modal": reading.modal(state, scene.user, view) if view else None,
        "home": reading.home(state, scene.user, csrf)
        if scene.home and only in (None, "messages")
        else None,
        "events": sandbox.can("pin"),
        "shortcuts": shortcuts(request, "global"),
        "message_shortcuts": shortcuts(request, "message"),
        "sample_alerts": sandbox.sample_alert_key is not None,
        "can": sandbox.can,
    }


def _scene(request: Request, user: WebUser, values: Any) -> tuple[Sandbox, Scene]:
    sandbox = sandbox_of(request)
    scene = Scene(
        sandbox,
        user,
        str(values.get("as", "")),
        str(values.get("channel", "")),
        str(values.get("thread", "")),
        home=values.get("home") == "1",
    )
    return sandbox, scene


@router.get("/sandbox")
def sandbox_page(request: Request, user: Viewer) -> Response:
    values = dict(request.query_params)
    # Links from elsewhere (the incident page) keep the person last acted as.
    values.setdefault("as", request.cookies.get(AS_COOKIE, ""))
    sandbox, scene = _scene(request, user, values)
    context = _context(request, sandbox, scene)
    context["parts"] = {part: _part(request, part, context) for part in PARTS}
    response = render(
        request, "sandbox/page.html", context, headers={"Content-Security-Policy": CSP}
    )
    response.set_cookie(AS_COOKIE, scene.user.id, httponly=True, samesite="lax", path="/sandbox")
    return response


@router.get("/sandbox/part/{part}")
def sandbox_part(request: Request, part: str, user: Viewer, v: str = "") -> Response:
    """One polled region; 204 (nothing swapped) while it shows the same thing."""
    if part not in PARTS:
        raise HTTPException(404, "No such part of the sandbox.")
    sandbox, scene = _scene(request, user, request.query_params)
    html, digest = _part(request, part, _context(request, sandbox, scene, only=part))
    if digest == v:
        return finish(request, Response(status_code=204))
    return finish(
        request, Response(html, media_type="text/html", headers={"Content-Security-Policy": CSP})
    )


def _part(request: Request, part: str, context: dict[str, Any]) -> tuple[Markup, str]:
    inner = templates.get_template(f"sandbox/{part}.html").render(
        {**context, "request": request, "csrf_token": web_session.current(request).csrf}
    )
    digest = hashlib.sha256(inner.encode()).hexdigest()[:16]
    scene: Scene = context["scene"]
    url = f"/sandbox/part/{part}?{scene.query(v=digest)}"
    wrapped = Markup(
        '<div id="sb-{}" class="sb-part sb-{}" hx-get="{}" hx-trigger="every 1s" '
        'hx-swap="outerHTML">{}</div>'
    ).format(part, part, url, Markup(inner))  # noqa: S704 - a template's autoescaped output
    return wrapped, digest


def _back(request: Request, scene: Scene, notice: str | None = None, **changes: str) -> Response:
    if notice:
        web_session.flash(request, notice)
    url = f"/sandbox?{scene.query(**changes)}"
    if request.headers.get("HX-Request") == "true":
        return finish(request, Response(status_code=204, headers={"HX-Redirect": url}))
    return finish(request, RedirectResponse(url, status_code=303))


def _target(sandbox: Sandbox, scene: Scene, form: FormData) -> Message | Ephemeral:
    state, channel, ts = sandbox.state, str(form.get("channel", "")), str(form.get("ts", ""))
    with state.lock:
        if form.get("kind") == "ephemeral":
            for e in state.ephemerals:
                if (e.channel, e.user, e.message_ts) == (channel, scene.user.id, ts):
                    return e
        else:
            found = state.find_message(channel, ts)
            if found is not None:
                return found
    raise Refused("That message is no longer there.")


@router.post("/sandbox/act")
async def act(request: Request, user: Responder) -> Response:
    """Press a button or choose from a menu on a message, as the chosen Slack user."""
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    option = str(form.get("option") or "") or None
    if form.get("kind") == "view":
        return await _act_in_view(request, sandbox, scene, form, option)
    try:
        message = _target(sandbox, scene, form)
        notice = await _run(sandbox.click, scene.user, message, str(form.get("target", "")), option)
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    opened = str(form.get("open") or "")
    if opened and _links_to(message, opened):
        return finish(request, RedirectResponse(opened, status_code=303))
    # Acting on a message opens its thread beside, where the app's answer lands.
    thread = message.ts if isinstance(message, Message) and not message.is_reply else scene.thread
    return _back(request, scene, notice, thread=thread or "")


async def _act_in_view(
    request: Request, sandbox: Sandbox, scene: Scene, form: FormData, option: str | None
) -> Response:
    try:
        view = _view(sandbox, form)
        target = str(form.get("target", ""))
        notice = await _run(sandbox.click_in_view, scene.user, view, target, option)
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    return _back(request, scene, notice)


@router.post("/sandbox/home")
async def open_home(request: Request, user: Responder) -> Response:
    """Open the app's Home tab: `app_home_opened` goes to Watchkeep, which publishes it."""
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    try:
        notice = await _run(sandbox.open_home, scene.user)
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    return _back(request, scene, notice, home="1", thread="")


@router.post("/sandbox/event")
async def event(request: Request, user: Responder) -> Response:
    """Pin a message, or react to it with 📌: the event Slack sends the app."""
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    kind = str(form.get("event", ""))
    try:
        message = _target(sandbox, scene, form)
        if not isinstance(message, Message):
            raise Refused("An ephemeral message cannot be pinned or reacted to.")
        if kind == "pin":
            notice = await _run(sandbox.pin, scene.user, message)
        elif kind == "react":
            notice = await _run(sandbox.react, scene.user, message)
        else:
            raise Refused("Slack has no such event.")
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    thread = message.thread_ts or message.ts
    return _back(request, scene, notice or "📌 Sent to Watchkeep.", thread=thread)


def _links_to(message: Message | Ephemeral, url: str) -> bool:
    """Whether a link button on `message` opens `url` (never a redirect to anywhere else)."""

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            if node.get("type") == "button" and node.get("url") == url:
                return True
            return any(walk(value) for value in node.values())
        if isinstance(node, list):
            return any(walk(value) for value in node)
        return False

    return url.startswith(("https://", "http://")) and walk(
        [message.blocks or [], message.attachments or []]
    )


def _view(sandbox: Sandbox, form: FormData) -> View:
    with sandbox.state.lock:
        view = sandbox.state.views.get(str(form.get("view", "")))
    if view is None or view.closed:
        raise Refused("That modal is closed.")
    return view


def _values(view: View, form: FormData) -> dict[str, Any]:
    """What the person filled in, by block_id; untouched menus keep their initial value."""
    values: dict[str, Any] = {}
    for b in view.view.get("blocks") or []:
        if b.get("type") != "input":
            continue
        block_id = str(b.get("block_id", ""))
        kind = (b.get("element") or {}).get("type")
        name = f"v:{block_id}"
        if kind in ("multi_static_select", "checkboxes"):
            values[block_id] = [str(v) for v in form.getlist(name)]
        elif name in form:
            chosen = str(form.get(name) or "")
            if (
                kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input")
                or chosen
            ):
                values[block_id] = chosen
    return values


@router.post("/sandbox/submit")
async def submit(request: Request, user: Responder) -> Response:
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    try:
        view = _view(sandbox, form)
        if form.get("decision") == "close":
            sandbox.close(scene.user, view)
            return _back(request, scene)
        notice = await _run(sandbox.submit, scene.user, view, _values(view, form))
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    return _back(request, scene, notice)


@router.post("/sandbox/compose")
async def compose(request: Request, user: Responder) -> Response:
    """The message box: `/watchkeep …` runs the slash command, anything else is said."""
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    text = str(form.get("text", "")).strip()
    in_thread = str(form.get("in_thread", "")) or None
    if not text or scene.channel is None:
        return _back(request, scene)
    try:
        if text.startswith("/") and not in_thread:
            await _run(sandbox.command, scene.user, scene.channel.id, text)
        else:
            sandbox.say(scene.user, scene.channel.id, text, in_thread)
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    return _back(request, scene)


@router.post("/sandbox/shortcut")
async def shortcut(request: Request, user: Responder) -> Response:
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    callback_id = str(form.get("callback_id", ""))
    on_message = bool(form.get("ts"))
    if callback_id not in shortcuts(request, "message" if on_message else "global"):
        return _back(request, scene, "The app has no such shortcut.")
    try:
        if on_message:
            message = _target(sandbox, scene, form)
            if not isinstance(message, Message):
                raise Refused("Slack offers no shortcuts on an ephemeral message.")
            notice = await _run(sandbox.message_shortcut, scene.user, message, callback_id)
        else:
            notice = await _run(sandbox.shortcut, scene.user, callback_id)
    except Refused as exc:
        return _back(request, scene, f"Slack would not do that: {exc}")
    return _back(request, scene, notice)


SAMPLE_ALERTS = (
    ("Checkout error rate above 2%", "critical", "checkout-7f9c"),
    ("Disk 91% full on db-2", "warning", "db-2"),
    ("Payment provider timeouts", "error", "payments-gw"),
)


@router.post("/sandbox/sample-alert")
async def sample_alert(request: Request, user: Responder) -> Response:
    """The demo's "Trigger a sample alert": a real Events API v2 request to this
    Watchkeep's own integration, as a monitoring tool would send it."""
    form = await request.form()
    sandbox, scene = _scene(request, user, form)
    if sandbox.sample_alert_key is None:
        return _back(request, scene, "Only the demo has a sample alert integration.")
    summary, severity, source = secrets.choice(SAMPLE_ALERTS)
    event = {
        "routing_key": sandbox.sample_alert_key,
        "event_action": "trigger",
        "dedup_key": f"sample-{secrets.token_hex(4)}",
        "payload": {"summary": summary, "severity": severity, "source": source},
        "client": "Watchkeep sandbox",
    }

    def send() -> httpx.Response:
        with httpx.Client(timeout=10, trust_env=False) as http:
            return http.post(f"{sandbox.app_url}/v2/enqueue", json=event)

    try:
        answer = await _run(send)
    except httpx.HTTPError as exc:
        return _back(request, scene, f"The alert did not arrive: {exc}")
    if answer.status_code != 202:
        return _back(request, scene, f"Watchkeep answered {answer.status_code}: {answer.text}")
    return _back(request, scene, f"Sent a sample alert: “{summary}” ({severity}).")


async def _run(function: Any, *args: Any) -> Any:
    # The agent waits for Watchkeep's answer over HTTP: off the event loop that serves it.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args)
