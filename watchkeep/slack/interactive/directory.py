"""Which workspace a request comes from: a short-lived cache over the workspace table,
so authorizing a click costs no Slack call and rarely a query."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.authorization import AuthorizeResult

from watchkeep.crypto import SecretBox
from watchkeep.db.engine import Database
from watchkeep.slack import workspaces

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class KnownWorkspace:
    id: int
    team_id: str
    bot_token: str
    bot_user_id: str | None
    bot_id: str | None
    require_mapped_user: bool


class WorkspaceDirectory:
    """Cached for a few seconds; at once refreshed after a change made in this process."""

    def __init__(self, db: Database, box: SecretBox, generation: Callable[[], int]) -> None:
        self._db, self._box, self._generation = db, box, generation
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, KnownWorkspace | None]] = {}
        self._seen_generation = generation()

    def find(self, team_id: str) -> KnownWorkspace | None:
        now = time.monotonic()
        with self._lock:
            if self._generation() != self._seen_generation:
                self._cache.clear()
                self._seen_generation = self._generation()
            hit = self._cache.get(team_id)
        if hit and hit[0] > now:
            return hit[1]
        with self._db.read() as session:
            row = workspaces.workspace_for_team(session, team_id)
            known = (
                None
                if row is None
                else KnownWorkspace(
                    row.id,
                    team_id,
                    workspaces.bot_token(self._box, row),
                    row.bot_user_id,
                    row.bot_id,
                    row.require_mapped_user,
                )
            )
        with self._lock:
            self._cache[team_id] = (now + CACHE_SECONDS, known)
        return known

    def authorize_result(self, team_id: str) -> AuthorizeResult | None:
        known = self.find(team_id)
        if known is None:
            return None
        return AuthorizeResult(
            enterprise_id=None,
            team_id=team_id,
            bot_token=known.bot_token,
            bot_user_id=known.bot_user_id,
            bot_id=known.bot_id,
        )
