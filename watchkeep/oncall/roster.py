"""Who is on call, and when: the read side of schedules (see `rotation` for the rules).

Rotations are loaded as plain column values (a few queries for any number of
schedules) rather than as ORM objects, and only the people found on call are
loaded as users: "who is on call" across every schedule stays cheap.

These are the calls for slash commands and other adapters:
`who_is_on_call(session, at=)` for every schedule, `on_call(session, schedule,
at)` for one, `shifts(session, schedule, start=, end=)` for a range, and
`on_call_user(session, schedule, at)` for paging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from watchkeep.core.errors import InvalidInputError
from watchkeep.core.models import User
from watchkeep.oncall import rotation
from watchkeep.oncall.models import Schedule, ScheduleLayer, ScheduleLayerMember, ScheduleOverride
from watchkeep.oncall.rotation import Restriction

MAX_RANGE = timedelta(days=366)
_FIRST_LOOK = timedelta(days=1)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class OnCall:
    """Who is on call on a schedule at `at`, and the edges of that person's shift
    (None when further than the few days looked at either side)."""

    schedule: Schedule
    at: datetime
    user: User | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class ShiftView:
    user: User
    start: datetime
    end: datetime


@dataclass
class Rota:
    """A schedule's rotation as plain values, with the overrides of a window."""

    tz: ZoneInfo
    layers: list[rotation.Layer] = field(default_factory=list)
    overrides: list[rotation.Override] = field(default_factory=list)


def who_is_on_call(session: Session, *, at: datetime) -> list[OnCall]:
    """Every schedule, by name, with who is on call at `at` (for "/watchkeep oncall")."""
    found = session.scalars(
        select(Schedule).options(lazyload(Schedule.layers)).order_by(Schedule.name)
    ).all()
    return _on_call(session, found, at)


def on_call(session: Session, schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call on `schedule` at `at`, with the edges of their shift."""
    return _on_call(session, [schedule], at)[0]


def on_call_user(session: Session, schedule: Schedule, at: datetime) -> User | None:
    """Who is on call at `at`, without the shift's edges: what escalation pages."""
    rota = load_rotas(session, [schedule], at, at + _INSTANT)[schedule.id]
    user_id = rotation.on_call_at(rota.layers, rota.overrides, rota.tz, at)
    return None if user_id is None else session.get(User, user_id)


def shifts(
    session: Session, schedule: Schedule, *, start: datetime, end: datetime
) -> list[ShiftView]:
    """Who is on call over [start, end), as consecutive shifts (gaps are absent)."""
    if end <= start:
        raise InvalidInputError("end", "must be after start")
    if end - start > MAX_RANGE:
        raise InvalidInputError("end", f"the range may span at most {MAX_RANGE.days} days")
    rota = load_rotas(session, [schedule], start, end)[schedule.id]
    found = rotation.final_shifts(rota.layers, rota.overrides, rota.tz, start, end)
    users = _users(session, {shift.user_id for shift in found})
    return [ShiftView(users[shift.user_id], shift.start, shift.end) for shift in found]


def load_rotas(
    session: Session, schedules: Sequence[Schedule], start: datetime, end: datetime
) -> dict[int, Rota]:
    """The rotations of `schedules`, with their overrides overlapping [start, end)."""
    rotas = {s.id: Rota(rotation.zone(s.time_zone)) for s in schedules}
    if not rotas:
        return rotas
    members: defaultdict[int, list[int]] = defaultdict(list)
    for layer_id, user_id in session.execute(
        select(ScheduleLayerMember.layer_id, ScheduleLayerMember.user_id)
        .join(ScheduleLayer, ScheduleLayer.id == ScheduleLayerMember.layer_id)
        .where(ScheduleLayer.schedule_id.in_(rotas))
        .order_by(ScheduleLayerMember.layer_id, ScheduleLayerMember.position)
    ):
        members[layer_id].append(user_id)
    for layer_id, schedule_id, layer_start, hours, restrictions in session.execute(
        select(
            ScheduleLayer.id,
            ScheduleLayer.schedule_id,
            ScheduleLayer.start,
            ScheduleLayer.rotation_length_hours,
            ScheduleLayer.restrictions,
        )
        .where(ScheduleLayer.schedule_id.in_(rotas))
        .order_by(ScheduleLayer.schedule_id, ScheduleLayer.position)
    ):
        restriction = Restriction.from_json(restrictions) if restrictions else None
        rotas[schedule_id].layers.append(
            rotation.Layer(tuple(members[layer_id]), layer_start, hours, restriction)
        )
    for schedule_id, user_id, opens, closes in session.execute(
        select(
            ScheduleOverride.schedule_id,
            ScheduleOverride.user_id,
            ScheduleOverride.start,
            ScheduleOverride.end,
        )
        .where(
            ScheduleOverride.schedule_id.in_(rotas),
            ScheduleOverride.end > start,
            ScheduleOverride.start < end,
        )
        .order_by(ScheduleOverride.id)
    ):
        rotas[schedule_id].overrides.append(rotation.Override(user_id, opens, closes))
    return rotas


def _on_call(session: Session, schedules: Sequence[Schedule], at: datetime) -> list[OnCall]:
    # One load for all, over the widest look-around any of them may need.
    around = timedelta(days=35)
    rotas = load_rotas(session, schedules, at - around, at + around)
    found = [(s, *_shift_at(rotas[s.id], at)) for s in schedules]
    users = _users(session, {user_id for _, user_id, _, _ in found if user_id is not None})
    return [
        OnCall(s, at, users[user_id] if user_id is not None else None, start, end)
        for s, user_id, start, end in found
    ]


def _shift_at(rota: Rota, at: datetime) -> tuple[int | None, datetime | None, datetime | None]:
    """Who is on call at `at` and the edges of their shift. Looks a day either side
    first and further only while the shift runs past what it looked at."""
    limit, span = rotation.horizon(rota.layers), _FIRST_LOOK
    while True:
        low, high = at - span, at + span
        shift = next(
            (
                s
                for s in rotation.final_shifts(rota.layers, rota.overrides, rota.tz, low, high)
                if s.start <= at < s.end
            ),
            None,
        )
        if shift is None:
            return None, None, None
        start = shift.start if shift.start > low else None
        end = shift.end if shift.end < high else None
        if (start and end) or span >= limit:
            return shift.user_id, start, end
        span = min(limit, span * 4)


def _users(session: Session, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids)))}
