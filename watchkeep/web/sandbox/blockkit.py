"""Block Kit as the Slack client draws it, in HTML the sandbox page can show.

Messages: header, section (text, fields, accessory), divider, context, image,
actions, and secondary attachments with their colour bar (drawn as an SVG
rectangle: the page's CSP allows no inline styles). Interactive elements are
small forms that post to `/sandbox/act`, naming the element by the
`action_id` Slack reports for it, so the fake Slack's user agent presses the
real element. Modals: the same blocks plus input blocks, whose fields are
named `v:<block_id>` for `/sandbox/submit`.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from watchkeep.web.sandbox.mrkdwn import Reader, mrkdwn, plain

NAMED_COLOURS = {"good": "#2EB67D", "warning": "#ECB22E", "danger": "#E01E5A"}
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class Where:
    """The hidden fields that say what a click acts on; None in a modal (display only)."""

    def __init__(self, fields: dict[str, str], csrf: str) -> None:
        self.fields = {**fields, "csrf_token": csrf}

    def hidden(self) -> Markup:
        return Markup("").join(
            Markup('<input type="hidden" name="{}" value="{}">').format(k, v)
            for k, v in self.fields.items()
        )


def colour(value: str | None) -> str | None:
    """A safe `#rrggbb` for an attachment's `color`, or None."""
    if not value:
        return None
    value = NAMED_COLOURS.get(value, value)
    match = _HEX.match(value)
    return f"#{match.group(1)}" if match else None


def text_object(obj: Any, reader: Reader) -> Markup:
    if not isinstance(obj, dict):
        return Markup("")
    raw = str(obj.get("text", ""))
    return mrkdwn(raw, reader) if obj.get("type") == "mrkdwn" else plain(raw)


def blocks(items: list[Any], reader: Reader, where: Where | None) -> Markup:
    return Markup("").join(block(b, reader, where) for b in items if isinstance(b, dict))


def block(b: dict[str, Any], reader: Reader, where: Where | None) -> Markup:
    kind = b.get("type")
    if kind == "header":
        return Markup('<div class="bk-header">{}</div>').format(text_object(b.get("text"), reader))
    if kind == "divider":
        return Markup('<hr class="bk-divider">')
    if kind == "section":
        return _section(b, reader, where)
    if kind == "context":
        parts = [
            _image(e, "bk-context-img") if e.get("type") == "image" else text_object(e, reader)
            for e in b.get("elements") or []
            if isinstance(e, dict)
        ]
        return Markup('<div class="bk-context">{}</div>').format(
            Markup("").join(Markup("<span>{}</span>").format(p) for p in parts)
        )
    if kind == "image":
        title = text_object(b.get("title"), reader) if b.get("title") else Markup("")
        return Markup('<figure class="bk-image">{}<figcaption>{}</figcaption></figure>').format(
            _image(b, ""), title
        )
    if kind == "actions":
        return Markup('<div class="bk-actions">{}</div>').format(
            Markup("").join(element(e, reader, where) for e in b.get("elements") or [])
        )
    if kind == "input":
        return _input(b, reader)
    if kind == "rich_text":
        return Markup('<div class="bk-section">{}</div>').format(_rich_text(b))
    return Markup('<div class="bk-unknown muted">[{} block]</div>').format(kind)


def _section(b: dict[str, Any], reader: Reader, where: Where | None) -> Markup:
    body = Markup("")
    if b.get("text"):
        body += Markup('<div class="bk-text">{}</div>').format(text_object(b["text"], reader))
    if b.get("fields"):
        body += Markup('<div class="bk-fields">{}</div>').format(
            Markup("").join(
                Markup("<div>{}</div>").format(text_object(f, reader)) for f in b["fields"]
            )
        )
    accessory = b.get("accessory")
    side = Markup("")
    if isinstance(accessory, dict):
        side = Markup('<div class="bk-accessory">{}</div>').format(
            _image(accessory, "bk-thumb")
            if accessory.get("type") == "image"
            else element(accessory, reader, where)
        )
    return Markup('<div class="bk-section"><div class="bk-main">{}</div>{}</div>').format(
        body, side
    )


def _image(e: dict[str, Any], css: str) -> Markup:
    url = str(e.get("image_url") or "")
    if not url.startswith(("https://", "http://")):
        return Markup('<span class="muted">[image]</span>')
    return Markup('<img class="{}" src="{}" alt="{}" loading="lazy">').format(
        css, url, e.get("alt_text", "")
    )


def _rich_text(b: dict[str, Any]) -> Markup:
    def walk(node: Any) -> str:
        if isinstance(node, dict):
            if node.get("type") == "text":
                return str(node.get("text", ""))
            if node.get("type") == "link":
                return str(node.get("text") or node.get("url", ""))
            return "".join(walk(child) for child in node.get("elements") or [])
        return ""

    return plain(walk(b))


def _options(e: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(e.get("options") or [])
    for group in e.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return [o for o in found if isinstance(o, dict)]


def _option_text(option: dict[str, Any]) -> str:
    return str((option.get("text") or {}).get("text", ""))


def element(e: dict[str, Any], reader: Reader, where: Where | None) -> Markup:
    """One interactive element; pressing it posts the click through the user agent."""
    kind, action_id = e.get("type"), str(e.get("action_id", ""))
    disabled = Markup("") if where is not None else Markup(" disabled")
    hidden = where.hidden() if where is not None else Markup("")
    target = Markup('<input type="hidden" name="target" value="{}">').format(action_id)
    if kind == "button":
        style = e.get("style") if e.get("style") in ("primary", "danger") else "plain"
        label = plain(str((e.get("text") or {}).get("text", "")))
        url = str(e.get("url") or "")
        if url.startswith(("https://", "http://")) and where is not None:
            # Slack opens the link and also tells the app about the click.
            return Markup(
                '<form class="bk-el" method="post" action="/sandbox/act" target="_blank">'
                '{}{}<input type="hidden" name="open" value="{}">'
                '<button class="bk-btn {}" type="submit">{} ↗</button></form>'
            ).format(hidden, target, url, style, label)
        return Markup(
            '<form class="bk-el" method="post" action="/sandbox/act">{}{}'
            '<button class="bk-btn {}" type="submit"{}>{}</button></form>'
        ).format(hidden, target, style, disabled, label)
    if kind in ("static_select", "radio_buttons"):
        placeholder = plain(str((e.get("placeholder") or {}).get("text", "Select")))
        options = Markup("").join(
            Markup('<option value="{}">{}</option>').format(o.get("value", ""), _option_text(o))
            for o in _options(e)
        )
        return Markup(
            '<form class="bk-el" method="post" action="/sandbox/act" '
            'hx-post="/sandbox/act" hx-trigger="change">{}{}'
            '<select class="bk-select" name="option" aria-label="{}"{}>'
            '<option value="" selected disabled>{}</option>{}</select></form>'
        ).format(hidden, target, placeholder, disabled, placeholder, options)
    if kind == "overflow":
        items = Markup("").join(
            Markup(
                '<button class="bk-menu-item" type="submit" name="option" value="{}"{}>{}</button>'
            ).format(o.get("value", ""), disabled, _option_text(o))
            for o in _options(e)
        )
        return Markup(
            '<details class="bk-overflow"><summary aria-label="More actions">⋯</summary>'
            '<form class="bk-menu" method="post" action="/sandbox/act">{}{}{}</form></details>'
        ).format(hidden, target, items)
    if kind == "image":
        return _image(e, "bk-thumb")
    return Markup('<span class="bk-el muted">[{}]</span>').format(kind)


def _input(b: dict[str, Any], reader: Reader) -> Markup:
    """An input block of a modal: its label, hint and field, named `v:<block_id>`."""
    e = b.get("element") or {}
    name = f"v:{b.get('block_id', '')}"
    label = text_object(b.get("label"), reader)
    optional = Markup(' <span class="muted">(optional)</span>') if b.get("optional") else ""
    field = _field(e, name, str(b.get("block_id", "")))
    hint = (
        Markup('<div class="bk-hint">{}</div>').format(text_object(b["hint"], reader))
        if b.get("hint")
        else Markup("")
    )
    return Markup('<div class="bk-input"><label for="{}">{}{}</label>{}{}</div>').format(
        name, label, optional, field, hint
    )


def _field(e: dict[str, Any], name: str, block_id: str) -> Markup:
    kind = e.get("type")
    placeholder = str((e.get("placeholder") or {}).get("text", ""))
    if kind == "plain_text_input":
        initial = str(e.get("initial_value") or "")
        if e.get("multiline"):
            return Markup(
                '<textarea id="{}" name="{}" rows="4" placeholder="{}">{}</textarea>'
            ).format(name, name, placeholder, initial)
        return Markup('<input type="text" id="{}" name="{}" placeholder="{}" value="{}">').format(
            name, name, placeholder, initial
        )
    if kind in ("email_text_input", "url_text_input", "number_input"):
        html_type = {"email_text_input": "email", "url_text_input": "url"}.get(kind, "text")
        return Markup('<input type="{}" id="{}" name="{}" placeholder="{}" value="{}">').format(
            html_type, name, name, placeholder, e.get("initial_value") or ""
        )
    if kind in ("static_select", "radio_buttons"):
        initial = (e.get("initial_option") or {}).get("value")
        options = Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                o.get("value", ""),
                Markup(" selected") if o.get("value") == initial else "",
                _option_text(o),
            )
            for o in _options(e)
        )
        return Markup('<select id="{}" name="{}"><option value="">{}</option>{}</select>').format(
            name, name, placeholder or "Choose…", options
        )
    if kind in ("multi_static_select", "checkboxes"):
        initial = {o.get("value") for o in e.get("initial_options") or []}
        boxes = Markup("").join(
            Markup(
                '<label class="check"><input type="checkbox" name="{}" value="{}"{}> {}</label>'
            ).format(
                name,
                o.get("value", ""),
                Markup(" checked") if o.get("value") in initial else "",
                _option_text(o),
            )
            for o in _options(e)
        )
        return Markup('<div id="{}">{}</div>').format(name, boxes)
    if kind in ("datepicker", "timepicker"):
        html_type = "date" if kind == "datepicker" else "time"
        initial = e.get("initial_date") or e.get("initial_time") or ""
        return Markup('<input type="{}" id="{}" name="{}" value="{}">').format(
            html_type, name, name, initial
        )
    return Markup('<span class="muted" id="{}">[{} in {}]</span>').format(name, kind, block_id)
