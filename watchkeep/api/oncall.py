"""`/api/v1/oncall`: who is on call on every schedule, now or at a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from watchkeep.api.deps import Reader, RuntimeDep
from watchkeep.api.schedules import OnCallOut, render_on_call
from watchkeep.oncall import roster

router = APIRouter(prefix="/oncall", tags=["schedules"])


class OnCallList(BaseModel):
    at: datetime
    items: list[OnCallOut]


@router.get("", response_model=OnCallList)
def who_is_on_call(
    runtime: RuntimeDep,
    _: Reader,
    at: Annotated[AwareDatetime | None, Query(description="Default: now")] = None,
) -> OnCallList:
    """Every schedule, by name, with who is on call (nobody: `user` is null)."""
    moment = at or runtime.clock.now()
    with runtime.db.read() as session:
        items = [render_on_call(found) for found in roster.who_is_on_call(session, at=moment)]
    return OnCallList(at=moment, items=items)
