"""Keeping a fake Slack's world in a JSON file, so a sandbox survives a restart.

What lasts in a real Slack lasts here: the app's credentials, workspaces,
tokens, people, channels, messages (with their edit history and threads),
modals' records, user groups and app-level tokens. What Slack itself forgets
does not: ephemeral messages, trigger ids, OAuth codes, response_urls, the
call log, rate-limit windows. ``Keeper`` writes the file whenever the world
changed, from a background thread, and once more on ``stop``; each write goes
to a temporary file first so a crash never leaves half a world.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .models import AppToken, Channel, Message, Token, User, UserGroup, View, Workspace
from .state import SlackState

log = logging.getLogger(__name__)
VERSION = 1


def dump(state: SlackState) -> dict[str, Any]:
    """The lasting part of ``state``, as JSON-ready data."""
    with state.lock:
        next_id = next(state._ids)  # consumes one id: harmless, ids need only be unique
        state._ids = itertools.count(next_id)
        rows = dataclasses.asdict
        return {
            "version": VERSION,
            "app": {
                "client_id": state.client_id,
                "client_secret": state.client_secret,
                "signing_secret": state.signing_secret,
                "app_id": state.app_id,
            },
            "next_id": next_id,
            "last_ts": dict(state._last_ts),
            "workspaces": [rows(w) for w in state.workspaces.values()],
            "tokens": [{**rows(t), "scopes": sorted(t.scopes)} for t in state.tokens.values()],
            "app_tokens": [
                {**rows(t), "scopes": sorted(t.scopes)} for t in state.app_tokens.values()
            ],
            "users": [rows(u) for u in state.users.values()],
            "channels": [rows(c) for c in state.channels.values()],
            "messages": [rows(m) for ms in state.messages.values() for m in ms],
            "views": [rows(v) for v in state.views.values()],
            "usergroups": [rows(g) for g in state.usergroups.values()],
        }


def load(data: dict[str, Any], **options: Any) -> SlackState:
    """A state holding what ``dump`` kept; ``options`` as for ``SlackState`` (clock, …)."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown fake Slack state version {data.get('version')!r}")
    state = SlackState(**data["app"], **options)
    state._ids = itertools.count(int(data["next_id"]))
    state._last_ts = {k: int(v) for k, v in data["last_ts"].items()}
    for w in data["workspaces"]:
        state.workspaces[w["team_id"]] = Workspace(**w)
    for t in data["tokens"]:
        state.tokens[t["value"]] = Token(**{**t, "scopes": frozenset(t["scopes"])})
    for t in data["app_tokens"]:
        state.app_tokens[t["value"]] = AppToken(**{**t, "scopes": frozenset(t["scopes"])})
    for u in data["users"]:
        state.users[u["id"]] = User(**u)
    for c in data["channels"]:
        state.channels[c["id"]] = Channel(**c)
        state.messages[c["id"]] = []
    for m in data["messages"]:
        state.messages.setdefault(m["channel"], []).append(Message(**m))
    for v in data["views"]:
        state.views[v["id"]] = View(**v)
    for g in data["usergroups"]:
        state.usergroups[g["id"]] = UserGroup(**g)
    return state


def read(path: Path, **options: Any) -> SlackState | None:
    """The state kept at ``path``, or None when there is none (or it cannot be read)."""
    if not path.exists():
        return None
    try:
        return load(json.loads(path.read_text()), **options)
    except (ValueError, KeyError, TypeError):
        log.exception("the fake Slack's saved state at %s cannot be read; starting afresh", path)
        return None


def write(state: SlackState, path: Path) -> None:
    text = json.dumps(dump(state), separators=(",", ":"))
    temporary = path.with_suffix(".tmp")
    # Tokens and the signing secret are in it: for its owner's eyes only.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


class Keeper:
    """Writes ``state`` to ``path`` every ``interval`` seconds while it changes."""

    def __init__(self, state: SlackState, path: Path, interval: float = 2.0) -> None:
        self.state, self.path, self.interval = state, path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fakeslack-keeper", daemon=True)
        self._last: str | None = None

    def start(self) -> Keeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.save()

    def save(self) -> None:
        fingerprint = self._fingerprint()
        if fingerprint != self._last:
            write(self.state, self.path)
            self._last = fingerprint

    def _fingerprint(self) -> str:
        # Cheap to take: every change the fake makes adds a call, an id or a ts.
        with self.state.lock:
            return (
                f"{len(self.state.call_log)}:{len(self.state.users)}:"
                f"{sum(len(m) for m in self.state.messages.values())}:{self.state._last_ts}:"
                f"{len(self.state.views)}:{sum(1 for v in self.state.views.values() if v.closed)}"
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except OSError:
                log.exception("could not save the fake Slack's state to %s", self.path)
