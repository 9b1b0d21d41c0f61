"""Who is on call, and when: `/api/v1/oncall` for every schedule, and
`/api/v1/schedules/{id}/oncall` and `/shifts` for one.

Times without a zone (`at`, `start`, `end` of one schedule) are wall-clock times
in the schedule's zone; `/oncall` takes an aware `at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from watchkeep.api.deps import Reader, RuntimeDep
from watchkeep.api.schedules import UserRef, time_range, user_ref
from watchkeep.api.schemas import OutModel
from watchkeep.core.ids import Id
from watchkeep.oncall import roster, rotation, schedules

router = APIRouter(tags=["schedules"])
DEFAULT_SHIFTS = timedelta(days=7)


class ScheduleRef(OutModel):
    id: int
    name: str
    time_zone: str


class ShiftOut(OutModel):
    user: UserRef
    start: datetime
    end: datetime


class OnCallOut(OutModel):
    """Who is on call at `at`; `start`/`end` are the edges of their shift, null when
    further than the few days looked at either side."""

    schedule: ScheduleRef
    at: datetime
    user: UserRef | None
    start: datetime | None
    end: datetime | None


class OnCallList(BaseModel):
    at: datetime
    items: list[OnCallOut]


def render_on_call(found: roster.OnCall) -> OnCallOut:
    return OnCallOut(
        schedule=ScheduleRef.model_validate(found.schedule),
        at=found.at,
        user=user_ref(found.user) if found.user else None,
        start=found.start,
        end=found.end,
    )


@router.get("/oncall", response_model=OnCallList)
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


@router.get("/schedules/{schedule_id}/oncall", response_model=OnCallOut)
def on_call(
    schedule_id: Id,
    runtime: RuntimeDep,
    _: Reader,
    at: Annotated[datetime | None, Query(description="Default: now")] = None,
) -> OnCallOut:
    with runtime.db.read() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        moment = rotation.localize(at, rotation.zone(schedule.time_zone)) if at else None
        return render_on_call(roster.on_call(session, schedule, moment or runtime.clock.now()))


@router.get("/schedules/{schedule_id}/shifts", response_model=list[ShiftOut])
def shifts(
    schedule_id: Id,
    runtime: RuntimeDep,
    _: Reader,
    start: Annotated[datetime | None, Query(description="Default: now")] = None,
    end: Annotated[datetime | None, Query(description="Default: a week after start")] = None,
) -> list[ShiftOut]:
    """Who is on call from `start` to `end` (at most 366 days), layers and overrides
    applied, one entry per shift; stretches with nobody on call are absent."""
    with runtime.db.read() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        low, high = time_range(schedule, start, end, runtime.clock.now(), DEFAULT_SHIFTS)
        return [
            ShiftOut(user=user_ref(shift.user), start=shift.start, end=shift.end)
            for shift in roster.shifts(session, schedule, start=low, end=high)
        ]
