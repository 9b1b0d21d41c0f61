"""Rotations: handoffs, layers, restrictions, overrides, and daylight saving in Berlin."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest

from watchkeep.oncall.rotation import (
    Layer,
    Override,
    Restriction,
    Shift,
    final_shifts,
    layer_shifts,
    localize,
    on_call_at,
    zone,
)

BERLIN = zone("Europe/Berlin")
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4
WEEKDAYS = frozenset(range(5))


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock time, as an aware UTC instant."""
    return localize(datetime(*args), BERLIN)


def local(shifts: list[Shift]) -> list[tuple[int, str, str]]:
    """Shifts as (user, start, end) in Berlin wall-clock time, for readable asserts."""
    fmt = "%a %d %H:%M"
    return [
        (
            s.user_id,
            s.start.astimezone(BERLIN).strftime(fmt),
            s.end.astimezone(BERLIN).strftime(fmt),
        )
        for s in shifts
    ]


def test_a_daily_rotation_hands_off_in_turn() -> None:
    layer = Layer((ALICE, BOB, CAROL), berlin(2026, 1, 5, 9), 24)
    shifts = layer_shifts(layer, BERLIN, berlin(2026, 1, 5, 0), berlin(2026, 1, 9, 0))
    assert local(shifts) == [
        (ALICE, "Mon 05 09:00", "Tue 06 09:00"),
        (BOB, "Tue 06 09:00", "Wed 07 09:00"),
        (CAROL, "Wed 07 09:00", "Thu 08 09:00"),
        (ALICE, "Thu 08 09:00", "Fri 09 00:00"),
    ]


def test_nobody_is_on_call_before_a_layer_starts() -> None:
    layer = Layer((ALICE,), berlin(2026, 1, 5, 9), 24)
    assert on_call_at([layer], [], BERLIN, berlin(2026, 1, 5, 8, 59)) is None
    assert on_call_at([layer], [], BERLIN, berlin(2026, 1, 5, 9)) == ALICE
    assert local(layer_shifts(layer, BERLIN, berlin(2026, 1, 1), berlin(2026, 1, 6))) == [
        (ALICE, "Mon 05 09:00", "Tue 06 00:00")
    ]


def test_handoffs_keep_the_local_time_across_both_dst_changes() -> None:
    # Berlin: 29 March 2026 02:00 CET -> 03:00 CEST; 25 October 03:00 CEST -> 02:00 CET.
    layer = Layer((ALICE, BOB), berlin(2026, 3, 23, 9), 24)
    spring = layer_shifts(layer, BERLIN, berlin(2026, 3, 28, 9), berlin(2026, 3, 30, 9))
    assert local(spring) == [
        (BOB, "Sat 28 09:00", "Sun 29 09:00"),
        (ALICE, "Sun 29 09:00", "Mon 30 09:00"),
    ]
    assert [s.end - s.start for s in spring] == [timedelta(hours=23), timedelta(hours=24)]
    assert spring[0].start == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert spring[1].start == datetime(2026, 3, 29, 7, tzinfo=UTC)
    autumn = layer_shifts(layer, BERLIN, berlin(2026, 10, 24, 9), berlin(2026, 10, 26, 9))
    assert [s.end - s.start for s in autumn] == [timedelta(hours=25), timedelta(hours=24)]
    assert local(autumn)[1][1] == "Sun 25 09:00"


def test_a_weekly_rotation_and_a_12_hour_one_stay_on_the_clock_through_dst() -> None:
    weekly = Layer((ALICE, BOB), berlin(2026, 3, 16, 10), 7 * 24)
    shifts = layer_shifts(weekly, BERLIN, berlin(2026, 3, 16, 10), berlin(2026, 4, 6, 10))
    assert [s.start.astimezone(BERLIN).strftime("%d %H:%M") for s in shifts] == [
        "16 10:00",
        "23 10:00",
        "30 10:00",
    ]
    assert shifts[1].end - shifts[1].start == timedelta(hours=7 * 24 - 1)
    halves = Layer((ALICE, BOB), berlin(2026, 3, 27, 9), 12)
    shifts = layer_shifts(halves, BERLIN, berlin(2026, 3, 28, 21), berlin(2026, 3, 30, 9))
    assert [s.start.astimezone(BERLIN).strftime("%H:%M") for s in shifts] == [
        "21:00",
        "09:00",
        "21:00",
    ]


def test_a_handoff_in_the_skipped_hour_happens_when_that_hour_would_have_been() -> None:
    layer = Layer((ALICE, BOB), berlin(2026, 3, 27, 2, 30), 24)
    starts = [
        s.start
        for s in layer_shifts(layer, BERLIN, berlin(2026, 3, 28, 2, 30), berlin(2026, 3, 31))
    ]
    # 02:30 does not exist on the 29th: it is 01:30 UTC, i.e. 03:30 by the summer clock.
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in starts] == [
        "28 02:30",
        "29 03:30",
        "30 02:30",
    ]


def test_an_hourly_turn_squeezed_out_by_spring_forward_is_skipped() -> None:
    layer = Layer((ALICE, BOB, CAROL, DAVE), berlin(2026, 3, 29, 0), 1)
    shifts = layer_shifts(layer, BERLIN, berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 5))
    assert local(shifts) == [
        (ALICE, "Sun 29 00:00", "Sun 29 01:00"),
        (BOB, "Sun 29 01:00", "Sun 29 03:00"),  # 01:00 to 02:00 CET is one hour
        (DAVE, "Sun 29 03:00", "Sun 29 04:00"),  # CAROL's 02:00 never happened
        (ALICE, "Sun 29 04:00", "Sun 29 05:00"),
    ]
    assert all(s.end - s.start == timedelta(hours=1) for s in shifts)


def test_a_later_layer_wins_and_restrictions_let_the_base_show_through() -> None:
    base = Layer((ALICE,), berlin(2026, 1, 1), 24 * 7)
    business = Layer(
        (BOB, CAROL), berlin(2026, 1, 5, 9), 24 * 7, Restriction(WEEKDAYS, time(9), time(17))
    )
    shifts = final_shifts([base, business], [], BERLIN, berlin(2026, 1, 9), berlin(2026, 1, 13))
    assert local(shifts) == [
        (ALICE, "Fri 09 00:00", "Fri 09 09:00"),
        (BOB, "Fri 09 09:00", "Fri 09 17:00"),
        (ALICE, "Fri 09 17:00", "Mon 12 09:00"),
        (CAROL, "Mon 12 09:00", "Mon 12 17:00"),
        (ALICE, "Mon 12 17:00", "Tue 13 00:00"),
    ]
    # Order matters: put the business-hours layer first and the 24/7 one hides it.
    assert local(
        final_shifts([business, base], [], BERLIN, berlin(2026, 1, 9), berlin(2026, 1, 10))
    ) == [(ALICE, "Fri 09 00:00", "Sat 10 00:00")]


def test_a_night_window_wraps_past_midnight_and_belongs_to_its_first_day() -> None:
    nights = Layer((DAVE,), berlin(2026, 1, 1), 24, Restriction(frozenset({4}), time(22), time(6)))
    shifts = final_shifts([nights], [], BERLIN, berlin(2026, 1, 8), berlin(2026, 1, 12))
    assert local(shifts) == [(DAVE, "Fri 09 22:00", "Sat 10 06:00")]
    assert on_call_at([nights], [], BERLIN, berlin(2026, 1, 10, 5, 59)) == DAVE
    assert on_call_at([nights], [], BERLIN, berlin(2026, 1, 10, 22)) is None


def test_a_whole_day_restriction_merges_into_one_weekend_shift() -> None:
    weekends = Layer((CAROL,), berlin(2026, 1, 1), 24 * 14, Restriction(frozenset({5, 6})))
    shifts = final_shifts([weekends], [], BERLIN, berlin(2026, 1, 8), berlin(2026, 1, 13))
    assert local(shifts) == [(CAROL, "Sat 10 00:00", "Mon 12 00:00")]


def test_overrides_win_over_layers_and_a_later_override_over_an_earlier_one() -> None:
    layer = Layer((ALICE, BOB), berlin(2026, 1, 5, 9), 24)
    overrides = [
        Override(CAROL, berlin(2026, 1, 5, 12), berlin(2026, 1, 5, 18)),
        Override(DAVE, berlin(2026, 1, 5, 15), berlin(2026, 1, 5, 16)),
        Override(ALICE, berlin(2026, 1, 6, 0), berlin(2026, 1, 6, 10)),
    ]
    shifts = final_shifts([layer], overrides, BERLIN, berlin(2026, 1, 5, 9), berlin(2026, 1, 6, 12))
    assert local(shifts) == [
        (ALICE, "Mon 05 09:00", "Mon 05 12:00"),
        (CAROL, "Mon 05 12:00", "Mon 05 15:00"),
        (DAVE, "Mon 05 15:00", "Mon 05 16:00"),
        (CAROL, "Mon 05 16:00", "Mon 05 18:00"),
        # Alice's own turn runs into her override of Bob's first hour: one shift.
        (ALICE, "Mon 05 18:00", "Tue 06 10:00"),
        (BOB, "Tue 06 10:00", "Tue 06 12:00"),
    ]
    assert on_call_at([layer], overrides, BERLIN, berlin(2026, 1, 5, 15, 30)) == DAVE
    # An override fills a gap where no layer has anyone.
    assert on_call_at([], overrides, BERLIN, berlin(2026, 1, 5, 13)) == CAROL


@pytest.mark.parametrize("seed", range(3))
def test_the_fast_answer_agrees_with_the_shifts_at_every_moment(seed: int) -> None:
    """Many layers and overrides over a year with both DST changes: at random moments,
    `on_call_at` (no shifts computed) says what `final_shifts` says."""
    rng = random.Random(seed)
    start = berlin(2026, 1, 1)
    layers = [
        Layer(
            tuple(rng.sample(range(1, 20), rng.randint(1, 5))),
            start + timedelta(hours=rng.randint(0, 300), minutes=rng.choice([0, 30])),
            rng.choice([1, 8, 12, 24, 24 * 7]),
            rng.choice(
                [
                    None,
                    Restriction(WEEKDAYS, time(9), time(17)),
                    Restriction(frozenset({5, 6})),
                    Restriction(frozenset(range(7)), time(22), time(2, 30)),
                ]
            ),
        )
        for _ in range(4)
    ]
    overrides = []
    for _ in range(30):
        opens = start + timedelta(hours=rng.randint(0, 8700))
        overrides.append(
            Override(rng.randint(1, 20), opens, opens + timedelta(hours=rng.randint(1, 72)))
        )
    end = start + timedelta(days=365)
    shifts = final_shifts(layers, overrides, BERLIN, start, end)
    assert all(s.start < s.end for s in shifts)
    for a, b in pairwise(shifts):
        assert a.end <= b.start
        assert a.user_id != b.user_id or a.end < b.start, "touching shifts of one user merge"
    for _ in range(2000):
        at = start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds()) - 1))
        expected = next((s.user_id for s in shifts if s.start <= at < s.end), None)
        assert on_call_at(layers, overrides, BERLIN, at) == expected, at


def test_zones_and_restrictions_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Europe/Atlantis")
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("../../etc/passwd")
    with pytest.raises(ValueError, match="both"):
        Restriction(WEEKDAYS, time(9), None)
    with pytest.raises(ValueError, match="differ"):
        Restriction(WEEKDAYS, time(9), time(9))
    with pytest.raises(ValueError, match="at least one day"):
        Restriction(frozenset())
    assert Restriction.from_json(
        Restriction(WEEKDAYS, time(9), time(17, 30)).to_json()
    ) == Restriction(WEEKDAYS, time(9), time(17, 30))
