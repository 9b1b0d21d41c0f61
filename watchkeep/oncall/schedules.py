"""Schedules in the database: their layers and overrides (`roster` answers who is on call).

Times given without a zone (layer starts, overrides) are wall-clock times in
the schedule's zone. A schedule may name a Slack user group handle to keep equal
to who is on call; every change of its people tells `handoffs` at once. Changing
a schedule's zone keeps each layer's start as an instant; give the layers again to
re-anchor them to the new zone's clock.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from watchkeep.core import naming
from watchkeep.core.actors import Actor
from watchkeep.core.errors import ConflictError, InvalidInputError, NotFoundError
from watchkeep.core.models import User
from watchkeep.oncall import handoffs, rotation
from watchkeep.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
)
from watchkeep.oncall.rotation import Restriction

MAX_OVERRIDE = timedelta(days=366)
# Slack's mention handles: lowercase letters, digits, dots, hyphens and underscores.
HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class LayerSpec:
    name: str
    user_ids: Sequence[int]
    rotation_length_hours: int
    start: datetime  # naive: wall-clock time in the schedule's zone
    restriction: Restriction | None = None


# Layers and their members, for showing a schedule (the roster loads rotations itself).
WITH_LAYERS = (selectinload(Schedule.layers).selectinload(ScheduleLayer.members),)


def get_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id, options=WITH_LAYERS)
    if schedule is None:
        raise NotFoundError("schedule", schedule_id)
    return schedule


def list_schedules(session: Session, *, limit: int, offset: int) -> tuple[Sequence[Schedule], int]:
    total = session.scalar(select(func.count()).select_from(Schedule)) or 0
    query = select(Schedule).options(*WITH_LAYERS).order_by(Schedule.name)
    query = query.limit(limit).offset(offset)
    return session.scalars(query).all(), total


def create_schedule(
    session: Session,
    *,
    name: str,
    time_zone: str,
    layers: Sequence[LayerSpec],
    now: datetime,
    description: str = "",
    slack_user_group: str | None = None,
) -> Schedule:
    name = naming.free_name(session, Schedule, name, "a schedule")
    schedule = Schedule(
        name=name,
        description=description,
        time_zone=_zone_name(time_zone),
        slack_user_group=_handle(session, None, slack_user_group),
        created_at=now,
        updated_at=now,
    )
    schedule.layers = _layers(session, layers, schedule.time_zone)
    session.add(schedule)
    session.flush()
    handoffs.changed(session, schedule, now)
    return schedule


def update_schedule(
    session: Session,
    schedule: Schedule,
    *,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    time_zone: str | None = None,
    layers: Sequence[LayerSpec] | None = None,
    slack_user_group: str | None = None,
) -> Schedule:
    """Change the named fields; `layers` replaces every layer; `slack_user_group=""`
    stops keeping a user group."""
    naming.rename(session, schedule, name, description, "a schedule")
    if time_zone is not None:
        schedule.time_zone = _zone_name(time_zone)
    if layers is not None:
        schedule.layers = _layers(session, layers, schedule.time_zone)
    if slack_user_group is not None:
        schedule.slack_user_group = _handle(session, schedule.id, slack_user_group)
    schedule.updated_at = now
    session.flush()
    handoffs.changed(session, schedule, now)
    return schedule


def delete_schedule(session: Session, schedule: Schedule) -> None:
    """Delete a schedule with its layers and overrides; refuse while a policy pages it."""
    policies = session.scalars(
        select(EscalationPolicy.name)
        .join(EscalationStep, EscalationStep.policy_id == EscalationPolicy.id)
        .join(EscalationTarget, EscalationTarget.step_id == EscalationStep.id)
        .where(EscalationTarget.schedule_id == schedule.id)
        .distinct()
        .order_by(EscalationPolicy.name)
    ).all()
    if policies:
        raise ConflictError(
            f"schedule {schedule.name!r} is a target of escalation policies {list(policies)};"
            " remove it from them first"
        )
    session.delete(schedule)
    session.flush()


def add_override(
    session: Session,
    schedule: Schedule,
    *,
    user_id: int,
    start: datetime,
    end: datetime,
    actor: Actor,
    now: datetime,
) -> ScheduleOverride:
    tz = rotation.zone(schedule.time_zone)
    start, end = rotation.localize(start, tz), rotation.localize(end, tz)
    if end <= start:
        raise InvalidInputError("end", "must be after start")
    if end - start > MAX_OVERRIDE:
        raise InvalidInputError("end", f"an override may last at most {MAX_OVERRIDE.days} days")
    if session.get(User, user_id) is None:
        raise InvalidInputError("user_id", f"no user with id {user_id}")
    override = ScheduleOverride(
        schedule_id=schedule.id,
        user_id=user_id,
        start=start,
        end=end,
        created_at=now,
        created_by_name=actor.name,
    )
    session.add(override)
    session.flush()
    handoffs.changed(session, schedule, now)
    return override


def list_overrides(
    session: Session, schedule: Schedule, *, start: datetime, end: datetime
) -> Sequence[ScheduleOverride]:
    """Overrides overlapping [start, end), oldest first (a later one wins)."""
    return _overrides(session, [schedule.id], start, end)[schedule.id]


def delete_override(
    session: Session, schedule: Schedule, override_id: int, *, now: datetime
) -> None:
    override = session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFoundError("override", override_id)
    session.delete(override)
    session.flush()
    handoffs.changed(session, schedule, now)


def _overrides(
    session: Session, schedule_ids: Sequence[int], start: datetime, end: datetime
) -> defaultdict[int, list[ScheduleOverride]]:
    found: defaultdict[int, list[ScheduleOverride]] = defaultdict(list)
    query = (
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id.in_(schedule_ids),
            ScheduleOverride.end > start,
            ScheduleOverride.start < end,
        )
        .order_by(ScheduleOverride.id)
    )
    for override in session.scalars(query):
        found[override.schedule_id].append(override)
    return found


def _layers(session: Session, specs: Sequence[LayerSpec], time_zone: str) -> list[ScheduleLayer]:
    tz = rotation.zone(time_zone)
    wanted = {user_id for spec in specs for user_id in spec.user_ids}
    known = set(session.scalars(select(User.id).where(User.id.in_(wanted)))) if wanted else set()
    layers = []
    for index, spec in enumerate(specs):
        missing = sorted(set(spec.user_ids) - known)
        if missing:
            raise InvalidInputError(f"layers.{index}.user_ids", f"unknown user ids: {missing}")
        layer = ScheduleLayer(
            position=index,
            name=spec.name.strip(),
            start=rotation.localize(spec.start, tz),
            rotation_length_hours=spec.rotation_length_hours,
            restrictions=spec.restriction.to_json() if spec.restriction else None,
        )
        layer.members = [
            ScheduleLayerMember(position=turn, user_id=user_id)
            for turn, user_id in enumerate(spec.user_ids)
        ]
        layers.append(layer)
    return layers


def _handle(session: Session, schedule_id: int | None, value: str | None) -> str | None:
    """A Slack handle ("payments-oncall"; a leading @ is dropped), kept by one schedule."""
    handle = (value or "").strip().removeprefix("@")
    if not handle:
        return None
    if not HANDLE.match(handle):
        raise InvalidInputError(
            "slack_user_group",
            "a Slack handle is 1 to 80 lowercase letters, digits, '.', '-' or '_'",
        )
    holder = session.scalar(
        select(Schedule.name).where(Schedule.slack_user_group == handle, Schedule.id != schedule_id)
    )
    if holder is not None:
        raise InvalidInputError("slack_user_group", f"schedule {holder!r} keeps @{handle} already")
    return handle


def _zone_name(name: str) -> str:
    try:
        return rotation.zone(name.strip()).key
    except ValueError as exc:
        raise InvalidInputError("time_zone", str(exc)) from None
