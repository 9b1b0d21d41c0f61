"""Schedule pages: who is on call now and next, overrides by responders, and
schedules created by admins with bad input explained next to each field."""

from __future__ import annotations

from collections.abc import Callable

from watchkeep.core import accounts
from watchkeep.core.models import Role
from watchkeep.oncall import schedules
from watchkeep.runtime import Runtime

from web_support import Pages, text_of


def _user_id(runtime: Runtime, email: str) -> int:
    with runtime.db.read() as db:
        user = accounts.find_user_by_email(db, email)
        assert user is not None
        return user.id


def test_an_admin_creates_a_schedule_and_sees_who_is_on_call(
    pages: Pages, make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice = _user_id(runtime, make_user(Role.RESPONDER, "Alice Ames"))
    bob = _user_id(runtime, make_user(Role.RESPONDER, "Bob Burns"))
    form = pages.get("/schedules/new")
    assert "Alice Ames" in form.text
    assert 'type="datetime-local"' in form.text
    created = pages.submit(
        "/schedules",
        {
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "user_ids": [str(alice), str(bob)],
            "rotation_length_hours": "24",
            "start": "2026-03-01T10:00",
        },
    )
    page = text_of(created)
    assert "Schedule Primary created." in page
    # The clock reads 2026-03-02 09:00 UTC (10:00 in Berlin): Bob's day has just begun.
    assert "On call now Bob Burns until 2026-03-03 10:00 CET" in page
    assert "Alice Ames 2026-03-03 10:00 CET 2026-03-04 10:00 CET" in page
    assert "every 24h from 2026-03-01 10:00 CET, through Alice Ames, Bob Burns" in page

    listed = text_of(pages.get("/schedules"))
    assert "Primary Europe/Berlin Bob Burns 2026-03-03 10:00 CET" in listed


def test_bad_schedule_input_is_explained_next_to_each_field(
    pages: Pages, make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice = _user_id(runtime, make_user(Role.RESPONDER, "Alice Ames"))
    pages.get("/schedules/new")
    refused = pages.submit(
        "/schedules",
        {"name": " ", "time_zone": "UTC", "rotation_length_hours": "0", "start": "soon"},
    )
    assert refused.status_code == 422
    assert 'id="name-error">must not be empty' in refused.text
    assert 'id="user_ids-error">choose at least one person' in refused.text
    assert 'id="rotation_length_hours-error">must be a whole number' in refused.text
    assert 'id="start-error">must be a date and time' in refused.text
    assert 'value="soon"' in refused.text, "what was typed is kept"

    good = {"user_ids": [str(alice)], "rotation_length_hours": "168", "start": "2026-03-01T09:00"}
    zone = pages.submit("/schedules", {"name": "Primary", "time_zone": "Mars/Olympus", **good})
    assert zone.status_code == 422
    assert 'id="time_zone-error">unknown time zone &#39;Mars/Olympus&#39;' in zone.text
    assert f'value="{alice}" selected' in zone.text
    unknown = pages.submit(
        "/schedules", {"name": "Primary", "time_zone": "UTC", **good, "user_ids": ["999"]}
    )
    assert 'id="user_ids-error">unknown user ids: [999]' in unknown.text
    with runtime.db.read() as db:
        assert schedules.list_schedules(db, limit=10, offset=0)[1] == 0


def _schedule(runtime: Runtime, user_id: int) -> int:
    with runtime.db.write() as db:
        start = runtime.clock.now().replace(tzinfo=None)
        layer = schedules.LayerSpec("Layer 1", [user_id], 168, start)
        schedule = schedules.create_schedule(
            db, name="Primary", time_zone="UTC", layers=[layer], now=runtime.clock.now()
        )
        return schedule.id


def test_a_responder_adds_and_removes_an_override(
    pages_as: Callable[..., Pages], make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice = _user_id(runtime, make_user(Role.RESPONDER, "Alice Ames"))
    schedule_id = _schedule(runtime, alice)
    rita = pages_as(Role.RESPONDER, "Rita Responder")
    rita_id = _user_id(runtime, "rita@example.com")

    page = rita.get(f"/schedules/{schedule_id}")
    assert "No current or upcoming overrides." in text_of(page)
    bad = rita.submit(
        f"/schedules/{schedule_id}/overrides",
        {"user_id": str(rita_id), "start": "2026-03-02T12:00", "end": "2026-03-02T11:00"},
    )
    assert bad.status_code == 422
    assert 'id="end-error">must be after start' in bad.text
    missing = rita.submit(f"/schedules/{schedule_id}/overrides", {"start": "", "end": "x"})
    assert 'id="user_id-error">choose who is on call' in missing.text
    assert 'id="start-error">must be given' in missing.text

    added = rita.submit(
        f"/schedules/{schedule_id}/overrides",
        {"user_id": str(rita_id), "start": "2026-03-02T08:00", "end": "2026-03-02T20:00"},
    )
    text = text_of(added)
    assert "Override added." in text
    assert "On call now Rita Responder until 2026-03-02 20:00 UTC" in text
    assert "Rita Responder 2026-03-02 08:00 UTC 2026-03-02 20:00 UTC Rita Responder" in text

    with runtime.db.read() as db:
        schedule = schedules.get_schedule(db, schedule_id)
        (override,) = schedules.list_overrides(
            db, schedule, start=runtime.clock.now(), end=runtime.clock.now().replace(year=2027)
        )
    removed = rita.submit(f"/schedules/{schedule_id}/overrides/{override.id}/delete")
    assert "Override removed." in text_of(removed)
    assert "On call now Alice Ames" in text_of(removed)


def test_viewers_read_schedules_but_change_nothing(
    pages_as: Callable[..., Pages], make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice = _user_id(runtime, make_user(Role.RESPONDER, "Alice Ames"))
    schedule_id = _schedule(runtime, alice)
    vic = pages_as(Role.VIEWER, "Vic Viewer")
    assert "New schedule" not in vic.get("/schedules").text
    page = vic.get(f"/schedules/{schedule_id}")
    assert "<form" not in page.text.split("<main", 1)[1]
    assert vic.get("/schedules/new").status_code == 403
    assert vic.submit("/schedules", {"name": "Mine"}).status_code == 403
    refused = vic.submit(
        f"/schedules/{schedule_id}/overrides",
        {"user_id": str(alice), "start": "2026-03-02T08:00", "end": "2026-03-02T20:00"},
    )
    assert refused.status_code == 403

    rita = pages_as(Role.RESPONDER, "Rita Responder")
    assert rita.get("/schedules/new").status_code == 403
