"""Slack channel lists for the dropdowns, kept for a few minutes.

`conversations.list` is a Tier 2 method (about 20 calls a minute) and a big
workspace needs several pages, so each workspace's list is cached per bot token
and refreshed on request (the ↻ button) or after `TTL_SECONDS`. One lock per
workspace makes concurrent page loads share one listing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from watchkeep.runtime import Runtime
from watchkeep.slack.models import SlackWorkspace

TTL_SECONDS = 300.0


@dataclass
class ChannelCache:
    entries: dict[tuple[int, str], tuple[float, list[dict[str, Any]]]] = field(default_factory=dict)
    locks: dict[int, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def channels(
        self, runtime: Runtime, workspace: SlackWorkspace, *, refresh: bool = False
    ) -> list[dict[str, Any]]:
        """Every channel the dropdown may offer (raises SlackError when Slack refuses)."""
        key = (workspace.id, workspace.bot_token_encrypted)
        with self.guard:
            lock = self.locks.setdefault(workspace.id, threading.Lock())
        with lock:
            cached = self.entries.get(key)
            if cached and not refresh and time.monotonic() - cached[0] < TTL_SECONDS:
                return cached[1]
            found = runtime.slack.admin.channels(workspace)
            self.entries[key] = (time.monotonic(), found)
            return found

    def names(self, workspace_id: int) -> dict[str, str]:
        """Channel id → `#name` from whatever is cached, for showing stored ids."""
        labels: dict[str, str] = {}
        for (cached_id, _), (_, found) in list(self.entries.items()):
            if cached_id == workspace_id:
                labels.update({c["id"]: f"#{c['name']}" for c in found})
        return labels
