"""`/api/v1/schedules`: rotations and overrides (`oncall.py` answers who is on call).

Times without a zone (layer starts, override windows, `at`, `start`, `end`) are
wall-clock times in the schedule's zone. Admins configure schedules; responders
may add and remove overrides (swapping a shift is a responder's business).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import Field, model_validator

from watchkeep.api.deps import Admin, PageDep, Reader, Responder, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core.ids import Id
from watchkeep.core.models import User
from watchkeep.oncall import roster, rotation, schedules
from watchkeep.oncall.models import Schedule, ScheduleOverride
from watchkeep.oncall.rotation import DAYS, Restriction

router = APIRouter(prefix="/schedules", tags=["schedules"])

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DEFAULT_OVERRIDES = timedelta(days=30)


class RestrictionsIn(StrictModel):
    """On call only on these days (local), and only from start_time to end_time (local;
    an end at or before the start wraps past midnight). No times: the whole day."""

    days: list[Day] = Field(default_factory=lambda: list(DAYS), min_length=1, max_length=7)
    start_time: time | None = None
    end_time: time | None = None

    @model_validator(mode="after")
    def valid(self) -> RestrictionsIn:
        self.restriction()
        return self

    def restriction(self) -> Restriction:
        # Local wall-clock times to the minute: a zone or seconds here would mean nothing.
        start, end = (
            t.replace(tzinfo=None, second=0, microsecond=0) if t else None
            for t in (self.start_time, self.end_time)
        )
        return Restriction(frozenset(DAYS.index(day) for day in self.days), start, end)


class LayerIn(StrictModel):
    name: str = Field(default="", max_length=200)
    user_ids: list[Id] = Field(min_length=1, max_length=100)
    rotation_length_hours: int = Field(ge=1, le=24 * 366)
    start: datetime
    restrictions: RestrictionsIn | None = None

    def spec(self, index: int) -> schedules.LayerSpec:
        return schedules.LayerSpec(
            name=self.name or f"Layer {index + 1}",
            user_ids=self.user_ids,
            rotation_length_hours=self.rotation_length_hours,
            start=self.start,
            restriction=self.restrictions.restriction() if self.restrictions else None,
        )


# A Slack user group handle kept equal to who is on call ("payments-oncall").
Handle = Field(default=None, max_length=81)


class ScheduleIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    time_zone: str = Field(min_length=1, max_length=64)
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)
    slack_user_group: str | None = Handle


class SchedulePatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)
    layers: list[LayerIn] | None = Field(default=None, max_length=20)
    slack_user_group: str | None = Handle


class OverrideIn(StrictModel):
    user_id: Id
    start: datetime
    end: datetime


class UserRef(OutModel):
    id: int
    name: str
    email: str


class LayerOut(OutModel):
    name: str
    user_ids: list[int]
    users: list[UserRef]
    rotation_length_hours: int
    start: datetime
    restrictions: dict[str, Any] | None


class ScheduleOut(OutModel):
    id: int
    name: str
    description: str
    time_zone: str
    layers: list[LayerOut]
    slack_user_group: str | None
    created_at: datetime
    updated_at: datetime


class OverrideOut(OutModel):
    id: int
    user: UserRef
    start: datetime
    end: datetime
    created_at: datetime
    created_by_name: str


def render(schedule: Schedule) -> ScheduleOut:
    layers = [
        LayerOut(
            name=layer.name,
            user_ids=[member.user_id for member in layer.members],
            users=[user_ref(member.user) for member in layer.members],
            rotation_length_hours=layer.rotation_length_hours,
            start=layer.start,
            restrictions=layer.restrictions,
        )
        for layer in schedule.layers
    ]
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        description=schedule.description,
        time_zone=schedule.time_zone,
        layers=layers,
        slack_user_group=schedule.slack_user_group,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


def user_ref(user: User) -> UserRef:
    return UserRef(id=user.id, name=user.name, email=user.email)


def _override(override: ScheduleOverride) -> OverrideOut:
    return OverrideOut(
        id=override.id,
        user=user_ref(override.user),
        start=override.start,
        end=override.end,
        created_at=override.created_at,
        created_by_name=override.created_by_name,
    )


def time_range(
    schedule: Schedule, start: datetime | None, end: datetime | None, now: datetime, span: timedelta
) -> tuple[datetime, datetime]:
    tz = rotation.zone(schedule.time_zone)
    low = rotation.localize(start, tz) if start else now
    high = rotation.localize(end, tz) if end else low + span
    if high <= low:
        raise query_error("end", "must be after start")
    if high - low > roster.MAX_RANGE:
        raise query_error("end", f"the range may span at most {roster.MAX_RANGE.days} days")
    return low, high


def query_error(name: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", name), "msg": message, "type": "value_error"}])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScheduleOut)
def create_schedule(body: ScheduleIn, runtime: RuntimeDep, _: Admin) -> ScheduleOut:
    with runtime.db.write() as session:
        schedule = schedules.create_schedule(
            session,
            name=body.name,
            description=body.description,
            time_zone=body.time_zone,
            layers=[layer.spec(i) for i, layer in enumerate(body.layers)],
            slack_user_group=body.slack_user_group,
            now=runtime.clock.now(),
        )
        return render(schedule)


@router.get("", response_model=Paged[ScheduleOut])
def list_schedules(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[ScheduleOut]:
    with runtime.db.read() as session:
        found, total = schedules.list_schedules(session, limit=page.limit, offset=page.offset)
        items = [render(schedule) for schedule in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: Id, runtime: RuntimeDep, _: Reader) -> ScheduleOut:
    with runtime.db.read() as session:
        return render(schedules.get_schedule(session, schedule_id))


@router.patch("/{schedule_id}", response_model=ScheduleOut)
def update_schedule(
    schedule_id: Id, body: SchedulePatch, runtime: RuntimeDep, _: Admin
) -> ScheduleOut:
    """Change the named fields; `layers`, when given, replaces every layer;
    `slack_user_group: null` stops keeping the user group."""
    fields = body.model_dump(exclude_unset=True, exclude={"layers"})
    if "slack_user_group" in fields:
        fields["slack_user_group"] = fields["slack_user_group"] or ""
    if body.layers is not None:
        fields["layers"] = [layer.spec(i) for i, layer in enumerate(body.layers)]
    with runtime.db.write() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        schedules.update_schedule(session, schedule, now=runtime.clock.now(), **fields)
        return render(schedule)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    """Refused (409) while an escalation policy pages the schedule."""
    with runtime.db.write() as session:
        schedules.delete_schedule(session, schedules.get_schedule(session, schedule_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{schedule_id}/overrides", response_model=list[OverrideOut])
def list_overrides(
    schedule_id: Id,
    runtime: RuntimeDep,
    _: Reader,
    start: Annotated[datetime | None, Query(description="Default: now")] = None,
    end: Annotated[datetime | None, Query(description="Default: 30 days after start")] = None,
) -> list[OverrideOut]:
    with runtime.db.read() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        low, high = time_range(schedule, start, end, runtime.clock.now(), DEFAULT_OVERRIDES)
        found = schedules.list_overrides(session, schedule, start=low, end=high)
        return [_override(override) for override in found]


@router.post(
    "/{schedule_id}/overrides", status_code=status.HTTP_201_CREATED, response_model=OverrideOut
)
def add_override(
    schedule_id: Id, body: OverrideIn, runtime: RuntimeDep, caller: Responder
) -> OverrideOut:
    """Put `user_id` on call from `start` to `end`, over every layer."""
    with runtime.db.write() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        override = schedules.add_override(
            session,
            schedule,
            user_id=body.user_id,
            start=body.start,
            end=body.end,
            actor=caller.actor(),
            now=runtime.clock.now(),
        )
        return _override(override)


@router.delete("/{schedule_id}/overrides/{override_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_override(
    schedule_id: Id, override_id: Id, runtime: RuntimeDep, _: Responder
) -> Response:
    with runtime.db.write() as session:
        schedule = schedules.get_schedule(session, schedule_id)
        schedules.delete_override(session, schedule, override_id, now=runtime.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
