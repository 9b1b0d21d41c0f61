"""Shift arithmetic for schedules: layers, restrictions, overrides, time zones. No database.

Semantics (the schedule API documents the same):

- **Handoffs are wall-clock times in the schedule's time zone.** Handoff k of a
  layer is its start, read as a local time, plus k times the rotation length, read
  back in the zone. A daily rotation that hands off at 09:00 Europe/Berlin does
  so at 09:00 in winter and in summer; the shift that spans a change is an hour
  shorter (spring) or longer (autumn). A handoff whose local time is skipped by
  a spring-forward happens at the instant that time would have had before the
  change (Python's fold=0 rule: 02:30 on a 02:00→03:00 night is 03:30 by the
  clock); an ambiguous one (autumn) happens at its first occurrence. A turn
  that this squeezes to nothing is skipped.
- Turn k belongs to `user_ids[k mod n]`. Before its start a layer has nobody.
- **Restrictions** keep a layer on call only inside daily windows: on the listed
  days (local), from `start_time` to `end_time` (local); an end at or before the
  start wraps past midnight and the window belongs to the day it starts. No
  times means the whole of each listed day. Outside its windows a layer has
  nobody, and the layers below show through.
- **Layers stack**: a later layer wins over earlier ones wherever it has someone
  on call. **Overrides** win over every layer, and a later override (by id) over
  an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def localize(moment: datetime, tz: ZoneInfo) -> datetime:
    """An aware UTC time; a naive one is read as a wall-clock time in `tz`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Restriction:
    days: frozenset[int]  # 0 = Monday
    start_time: time | None = None
    end_time: time | None = None

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("days must name at least one day of the week")
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both start_time and end_time, or neither")
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValueError("start_time and end_time must differ")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Restriction:
        times = [
            time.fromisoformat(data[k]) if data.get(k) else None for k in ("start_time", "end_time")
        ]
        return cls(frozenset(DAYS.index(day) for day in data["days"]), *times)

    def to_json(self) -> dict[str, Any]:
        return {
            "days": [DAYS[day] for day in sorted(self.days)],
            "start_time": self.start_time.strftime("%H:%M") if self.start_time else None,
            "end_time": self.end_time.strftime("%H:%M") if self.end_time else None,
        }

    def windows(
        self, tz: ZoneInfo, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The UTC windows, merged and clipped to [start, end)."""
        out: list[tuple[datetime, datetime]] = []
        # From the day before: a window that wraps past midnight starts on it.
        day = start.astimezone(tz).date() - _DAY
        last = end.astimezone(tz).date()
        while day <= last:
            if day.weekday() in self.days:
                opens, closes = self._window(day, tz)
                opens, closes = max(opens, start), min(closes, end)
                if opens < closes:
                    if out and out[-1][1] >= opens:
                        out[-1] = (out[-1][0], max(out[-1][1], closes))
                    else:
                        out.append((opens, closes))
            day += _DAY
        return out

    def _window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        if self.start_time is None or self.end_time is None:
            return _at(day, time(), tz), _at(day + _DAY, time(), tz)
        closes_on = day if self.end_time > self.start_time else day + _DAY
        return _at(day, self.start_time, tz), _at(closes_on, self.end_time, tz)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Layer:
    user_ids: tuple[int, ...]
    start: datetime  # aware
    rotation_length_hours: int
    restriction: Restriction | None = None


@dataclass(frozen=True)
class Override:
    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    user_id: int
    start: datetime
    end: datetime


class _Rotation:
    """A layer's handoffs, computed on local wall-clock time."""

    def __init__(self, layer: Layer, tz: ZoneInfo) -> None:
        self.layer = layer
        self.tz = tz
        self.local_start = layer.start.astimezone(tz).replace(tzinfo=None)
        self.length = timedelta(hours=layer.rotation_length_hours)

    def handoff(self, turn: int) -> datetime:
        return (self.local_start + turn * self.length).replace(tzinfo=self.tz).astimezone(UTC)

    def turn_at(self, moment: datetime) -> int:
        """The turn under way at `moment` (at or after the start)."""
        local = moment.astimezone(self.tz).replace(tzinfo=None)
        turn = max(0, (local - self.local_start) // self.length)
        # The local estimate is off by one near a DST change; the handoffs decide.
        while self.handoff(turn + 1) <= moment:
            turn += 1
        while turn > 0 and self.handoff(turn) > moment:
            turn -= 1
        return turn


def layer_shifts(layer: Layer, tz: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own shifts within [start, end), restrictions applied."""
    users = layer.user_ids
    begin = max(start, layer.start)
    if not users or begin >= end:
        return []
    rotation = _Rotation(layer, tz)
    turn = rotation.turn_at(begin)
    opens = rotation.handoff(turn)
    shifts: list[Shift] = []
    while opens < end:
        closes = rotation.handoff(turn + 1)
        if closes > opens:
            shifts.append(Shift(users[turn % len(users)], max(opens, begin), min(closes, end)))
        opens = max(opens, closes)
        turn += 1
    if layer.restriction is None:
        return shifts
    return _intersect(shifts, layer.restriction.windows(tz, begin, end))


def _intersect(shifts: list[Shift], windows: list[tuple[datetime, datetime]]) -> list[Shift]:
    out: list[Shift] = []
    w = 0
    for shift in shifts:
        while w < len(windows) and windows[w][1] <= shift.start:
            w += 1
        i = w
        while i < len(windows) and windows[i][0] < shift.end:
            opens, closes = max(shift.start, windows[i][0]), min(shift.end, windows[i][1])
            if opens < closes:
                out.append(Shift(shift.user_id, opens, closes))
            i += 1
    return out


def final_shifts(
    layers: Sequence[Layer],
    overrides: Sequence[Override],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[Shift]:
    """Who is on call over [start, end): layers stacked, overrides on top, adjacent
    shifts of one person merged. Gaps (nobody on call) are absent."""
    stacks = [layer_shifts(layer, tz, start, end) for layer in layers]
    if overrides:
        # Overrides first settle among themselves (later wins), then go on top.
        own = [
            [Shift(o.user_id, max(o.start, start), min(o.end, end))]
            for o in overrides
            if o.start < end and o.end > start
        ]
        stacks.append(_compose(own, start, end, merge=False))
    return _compose(stacks, start, end, merge=True)


def _compose(
    stacks: list[list[Shift]], start: datetime, end: datetime, *, merge: bool
) -> list[Shift]:
    """For each moment, the shift of the highest stack that has one."""
    points = sorted({start, end, *_bounds(stacks)})
    cursor = [0] * len(stacks)
    out: list[Shift] = []
    for opens, closes in pairwise(points):
        user = None
        for i in range(len(stacks) - 1, -1, -1):
            shifts, c = stacks[i], cursor[i]
            while c < len(shifts) and shifts[c].end <= opens:
                c += 1
            cursor[i] = c
            # Every boundary is a point, so a shift covering `opens` covers [opens, closes).
            if c < len(shifts) and shifts[c].start <= opens:
                user = shifts[c].user_id
                break
        if user is None:
            continue
        if merge and out and out[-1].user_id == user and out[-1].end == opens:
            out[-1] = Shift(user, out[-1].start, closes)
        else:
            out.append(Shift(user, opens, closes))
    return out


def _bounds(stacks: Iterable[list[Shift]]) -> Iterable[datetime]:
    for shifts in stacks:
        for shift in shifts:
            yield shift.start
            yield shift.end


def on_call_at(
    layers: Sequence[Layer], overrides: Sequence[Override], tz: ZoneInfo, at: datetime
) -> int | None:
    """Who is on call at `at`, without computing any shift (the fast path)."""
    for override in reversed(overrides):
        if override.start <= at < override.end:
            return override.user_id
    for layer in reversed(layers):
        if not layer.user_ids or at < layer.start:
            continue
        if layer.restriction is not None and not layer.restriction.windows(
            tz, at, at + timedelta(microseconds=1)
        ):
            continue
        return layer.user_ids[_Rotation(layer, tz).turn_at(at) % len(layer.user_ids)]
    return None


def horizon(layers: Sequence[Layer]) -> timedelta:
    """How far around a moment to look for the edges of the shift under way: a turn
    plus a day for restrictions, at least two days and at most five weeks."""
    longest = max((layer.rotation_length_hours for layer in layers), default=24)
    return min(timedelta(days=35), max(timedelta(days=2), timedelta(hours=longest) + _DAY))
