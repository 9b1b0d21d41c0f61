"""Group commit for the receivers (`watchkeep.db.group`): the requests waiting go through
`intake.ingest` together, one transaction per batch.

Requests stay independent: admission refuses a request without writing, so a
refusal never touches the rest of its batch; a batch that fails for another
reason (a database error) runs again one request at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeep.db.group import GroupCommit
from watchkeep.ingest import intake
from watchkeep.ingest.admission import IngestRequest

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime


class IngestWriter:
    def __init__(self, runtime: Runtime, *, max_batch: int = 64, idle_seconds: float = 5.0) -> None:
        self.runtime = runtime
        self._group: GroupCommit[IngestRequest, list[intake.Result]] = GroupCommit(
            lambda requests: intake.ingest(runtime, requests),
            name="watchkeep-ingest",
            max_batch=max_batch,
            idle_seconds=idle_seconds,
        )

    async def apply(self, request: IngestRequest) -> list[intake.Result]:
        """The request's results; raises its refusal (UnknownKeyError, RateLimitedError, …)."""
        return await self._group.apply(request)
