"""What a person can press in a message and fill in on a modal, read from the
blocks the app sent, and the shapes Slack reports those elements in.

A click can only reach an element that is really on the message, and a choice
only an option that is really in its menu: a wrong ``action_id`` or ``value``
on a posted message fails the test that presses it.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Elements whose action carries the chosen option rather than a value of their own.
CHOOSING = {"static_select", "overflow", "radio_buttons"}
PRESSABLE = {"button"} | CHOOSING

# Input elements read as one field of the submitted state: (state key, initial key).
_SINGLE = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
}
_TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_ONE_OPTION = {"static_select", "radio_buttons"}
_MANY_OPTIONS = {"multi_static_select", "checkboxes"}


class ImpossibleInteraction(Exception):
    """The person could not do this in Slack: no such element, option or field."""


@dataclass(frozen=True)
class Located:
    """An element found on a message, with where Slack says it sat."""

    element: dict[str, Any]
    block_id: str
    attachment_id: int | None  # set when the block sat inside a secondary attachment


def with_slack_ids(blocks: list[Any], seed: str) -> list[Any]:
    """A copy of ``blocks`` with a ``block_id`` and ``action_id`` everywhere, as Slack
    assigns them to blocks and elements sent without one (stable per message)."""
    filled = copy.deepcopy(blocks)
    for i, block in enumerate(filled):
        block.setdefault("block_id", _slack_id(f"{seed}/{i}"))
        for j, element in enumerate(_elements(block)):
            element.setdefault("action_id", _slack_id(f"{seed}/{i}/{j}"))
    return filled


def _slack_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:5]


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    accessory = block.get("accessory")
    return [accessory] if isinstance(accessory, dict) and "type" in accessory else []


def _label(element: dict[str, Any]) -> str | None:
    """What the person sees on the element: a button's text, a menu's placeholder."""
    shown = element.get("text") if element.get("type") == "button" else element.get("placeholder")
    return shown.get("text") if isinstance(shown, dict) else None


def find_element(sources: list[tuple[int | None, list[Any]]], target: str) -> Located:
    """The one element named ``target`` (its ``action_id`` or its visible label)."""
    found = [
        Located(element, block["block_id"], attachment_id)
        for attachment_id, blocks in sources
        for block in blocks
        for element in _elements(block)
        if target in (element.get("action_id"), _label(element))
    ]
    if len(found) == 1:
        return found[0]
    shown = [
        f"{e.get('action_id')} ({_label(e)!r})"
        for _, blocks in sources
        for block in blocks
        for e in _elements(block)
    ]
    problem = "several elements" if found else "no element"
    raise ImpossibleInteraction(f"{problem} named {target!r} on the message; it has {shown}")


def _options(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def choose(element: dict[str, Any], choice: str) -> dict[str, Any]:
    """The option of ``element`` whose value or text is ``choice``, as Slack reports it."""
    for option in _options(element):
        if choice in (option.get("value"), (option.get("text") or {}).get("text")):
            return {"text": option["text"], "value": option["value"]}
    offered = [option.get("value") for option in _options(element)]
    raise ImpossibleInteraction(f"{element.get('action_id')} offers no {choice!r}: {offered}")


def action(located: Located, option: str | None, action_ts: str) -> dict[str, Any]:
    """The ``actions[0]`` of a ``block_actions`` payload for pressing ``located``."""
    element, kind = located.element, located.element.get("type")
    if kind not in PRESSABLE:
        raise ImpossibleInteraction(f"the fake cannot operate a {kind} element")
    if (kind in CHOOSING) != (option is not None):
        raise ImpossibleInteraction(
            f"a {kind} needs an option to choose" if option is None else f"a {kind} has no options"
        )
    pressed: dict[str, Any] = {
        "type": kind,
        "block_id": located.block_id,
        "action_id": element["action_id"],
    }
    if option is not None:
        pressed["selected_option"] = choose(element, option)
    for key in ("text", "value", "style", "url", "placeholder"):
        if key in element:
            pressed[key] = element[key]
    pressed["action_ts"] = action_ts
    return pressed


def submitted_values(blocks: list[Any], values: dict[str, Any]) -> dict[str, Any]:
    """A modal's ``state.values`` once the person typed or chose ``values``.

    Keys name an input block by ``block_id`` (or its element's ``action_id``);
    fields left alone keep their initial value, as in Slack. Slack's client
    refuses to submit an empty required field, and so does this.
    """
    inputs = {b["block_id"]: b for b in blocks if b.get("type") == "input"}
    given: dict[str, Any] = {}
    for key, value in values.items():
        given[_input_named(inputs, key)] = value
    state: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block["element"]
        entry = _field(element, given.get(block_id))
        if not block.get("optional") and not any(v for k, v in entry.items() if k != "type"):
            raise ImpossibleInteraction(f"Slack does not submit a form with {block_id!r} empty")
        state[block_id] = {element["action_id"]: entry}
    return state


def _input_named(inputs: dict[str, dict[str, Any]], key: str) -> str:
    if key in inputs:
        return key
    by_action = [b for b, block in inputs.items() if block["element"].get("action_id") == key]
    if len(by_action) != 1:
        raise ImpossibleInteraction(f"the modal has no one input {key!r}; it has {list(inputs)}")
    return by_action[0]


def _field(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element.get("type", "")
    if kind in _SINGLE:
        key, initial = _SINGLE[kind]
        chosen = element.get(initial) if value is None else value
        if kind in _TEXT_INPUTS and chosen is not None:
            _check_length(element, str(chosen))
        return {"type": kind, key: chosen or None}
    if kind in _ONE_OPTION:
        option = element.get("initial_option") if value is None else choose(element, value)
        return {"type": kind, "selected_option": option}
    if kind in _MANY_OPTIONS:
        options = (
            element.get("initial_options") or []
            if value is None
            else [choose(element, v) for v in value]
        )
        return {"type": kind, "selected_options": options}
    raise ImpossibleInteraction(f"the fake cannot fill in a {kind} element")


def _check_length(element: dict[str, Any], text: str) -> None:
    if text and len(text) < element.get("min_length", 0):
        raise ImpossibleInteraction(f"{element['action_id']} needs {element['min_length']}+ chars")
    if len(text) > element.get("max_length", 3000):
        raise ImpossibleInteraction(f"{element['action_id']} takes {element['max_length']} chars")
