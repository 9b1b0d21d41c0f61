"""The incident pages: a live, filtered list; an incident page with its details,
SLA clocks, notes and timeline; and the actions, as the signed-in user."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core import incidents, services
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Urgency
from watchkeep.runtime import Runtime

from support import FrozenClock
from web_support import Pages, text_of


@pytest.fixture
def trigger(runtime: Runtime) -> Callable[..., int]:
    """Trigger an incident as a monitoring tool would; answers its id."""

    def make(title: str, service: str = "checkout", urgency: Urgency = Urgency.HIGH) -> int:
        with runtime.db.write() as db:
            found = services.get_service_by_name(db, service)
            if found is None:
                found = services.create_service(
                    db,
                    name=service,
                    now=runtime.clock.now(),
                    ack_sla_minutes=15,
                    resolve_sla_minutes=240,
                )
            incident, _ = incidents.create_incident(
                db,
                title=title,
                service_id=found.id,
                urgency=urgency,
                actor=Actor.system(),
                now=runtime.clock.now(),
                description="5xx above 10%",
            )
            return incident.id

    return make


def rows(page_text: str) -> str:
    return page_text.split("Opened", 1)[-1]


def test_the_list_shows_open_incidents_newest_first_and_filters(
    pages: Pages, trigger: Callable[..., int], runtime: Runtime
) -> None:
    trigger("Checkout 502s")
    trigger("Disk almost full", service="db", urgency=Urgency.LOW)
    quiet = trigger("Old news", service="db")
    pages.get(f"/incidents/{quiet}")
    pages.submit(f"/incidents/{quiet}/resolve", {"note": "fixed"})

    listed = text_of(pages.get("/incidents"))
    assert "2 incidents" in listed
    assert rows(listed).index("Disk almost full") < rows(listed).index("Checkout 502s")
    assert "Old news" not in listed, "resolved incidents are not open"

    assert "Old news" in text_of(pages.get("/incidents?status=RESOLVED"))
    low = text_of(pages.get("/incidents?urgency=LOW"))
    assert "Disk almost full" in low
    assert "Checkout 502s" not in low
    with runtime.db.read() as db:
        db_service = services.get_service_by_name(db, "db")
        assert db_service is not None
    by_service = text_of(pages.get(f"/incidents?status=all&service={db_service.id}"))
    assert "Disk almost full" in by_service
    assert "Old news" in by_service
    assert "Checkout 502s" not in by_service
    assert pages.get("/incidents?status=bogus&urgency=nope&service=x").status_code == 200


def test_the_list_refreshes_itself_as_a_fragment(pages: Pages, trigger: Callable[..., int]) -> None:
    page = pages.get("/incidents?urgency=HIGH")
    assert 'hx-trigger="every 3s"' in page.text
    assert 'hx-get="/incidents?status=open&amp;urgency=HIGH&amp;service=&amp;page=1"' in page.text
    trigger("Fresh incident")
    fragment = pages.get(
        "/incidents?status=open&urgency=HIGH",
        headers={"HX-Request": "true", "HX-Target": "incident-list"},
    )
    assert fragment.text.lstrip().startswith("{#") is False
    assert "<html" not in fragment.text
    assert "Fresh incident" in fragment.text


def test_an_unchanged_list_refresh_is_a_304(
    pages: Pages, trigger: Callable[..., int], clock: FrozenClock
) -> None:
    first = trigger("Checkout 502s")
    refresh = {"HX-Request": "true", "HX-Target": "incident-list"}
    fragment = pages.get("/incidents?status=open", headers=refresh)
    etag = fragment.headers["etag"]
    assert fragment.headers["cache-control"] == "private, no-cache"

    again = pages.get("/incidents?status=open", headers={**refresh, "If-None-Match": etag})
    assert (again.status_code, again.text, again.headers["etag"]) == (304, "", etag)

    # Any change the list shows is a new answer, at the same frozen time too.
    pages.get(f"/incidents/{first}")
    pages.submit(f"/incidents/{first}/acknowledge")
    changed = pages.get("/incidents?status=open", headers={**refresh, "If-None-Match": etag})
    assert changed.status_code == 200
    assert "Acknowledged" in changed.text
    assert changed.headers["etag"] != etag
    other_filter = pages.get("/incidents?status=all", headers={**refresh, "If-None-Match": etag})
    assert other_filter.status_code == 200


def test_older_pages_follow_the_last_incident_shown(
    pages: Pages, trigger: Callable[..., int]
) -> None:
    ids = [trigger(f"Incident {n}") for n in range(1, 53)]
    first = pages.get("/incidents")
    assert f'page=2&before={ids[2]}">Older' in first.text
    older = text_of(pages.get(f"/incidents?page=2&before={ids[2]}"))
    assert "Page 2 of 2" in older
    assert rows(older).index("Incident 2") < rows(older).index("Incident 1")
    assert "Incident 3" not in rows(older)
    # A typed page number still works (an offset).
    assert "Incident 2" in rows(text_of(pages.get("/incidents?page=2")))


def test_titles_are_shown_as_text_never_run(pages: Pages, trigger: Callable[..., int]) -> None:
    evil = trigger("<script>alert(1)</script>")
    for page in (pages.get("/incidents"), pages.get(f"/incidents/{evil}")):
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_incident_page_tells_the_whole_story(
    pages: Pages, trigger: Callable[..., int], clock: FrozenClock
) -> None:
    incident = trigger("Checkout 502s")
    clock.advance(minutes=20)
    page = text_of(pages.get(f"/incidents/{incident}"))
    for expected in (
        "#1 Checkout 502s",
        "checkout",
        "High",
        "Triggered",
        "5xx above 10%",
        "Acknowledge within 15m: breached 5m ago",
        "Resolve within 240m: due in 3h 40m",
        "Not posted to Slack",
        "Triggered by Watchkeep",
    ):
        assert expected in page, expected


def test_a_responder_acknowledges_snoozes_resolves_and_reopens(
    pages_as: Callable[..., Pages], trigger: Callable[..., int], clock: FrozenClock
) -> None:
    rita = pages_as(Role.RESPONDER, "Rita Responder")
    incident = trigger("Checkout 502s")
    path = f"/incidents/{incident}"
    rita.get(path)
    clock.advance(minutes=3)
    acked = text_of(rita.submit(f"{path}/acknowledge"))
    assert "Incident acknowledged." in acked
    assert "Acknowledged by Rita Responder" in acked
    assert "Acknowledge within 15m: met in 3m" in acked

    snoozed = text_of(rita.submit(f"{path}/snooze", {"minutes": "60"}))
    assert "Incident snoozed for 1 hour." in snoozed
    assert "Snoozed until 2026-03-02 10:03 UTC" in snoozed

    resolved = text_of(rita.submit(f"{path}/resolve", {"note": "rolled back the deploy"}))
    assert "Incident resolved." in resolved
    assert "Resolution rolled back the deploy" in resolved
    assert "Reopen" in resolved
    assert "Acknowledge" not in resolved.split("Actions", 1)[1].split("Notes", 1)[0]

    reopened = text_of(rita.submit(f"{path}/reopen"))
    assert "Incident reopened." in reopened
    assert "Reopened by Rita Responder" in reopened
    assert "web" in reopened.split("Timeline", 1)[1]


def test_bad_input_is_explained_next_to_the_field(
    pages: Pages, trigger: Callable[..., int]
) -> None:
    incident = trigger("Checkout 502s")
    pages.get(f"/incidents/{incident}")
    empty = pages.submit(f"/incidents/{incident}/notes", {"text": "   "})
    assert empty.status_code == 422
    assert '<span class="field-error" id="text-error">must not be empty</span>' in empty.text
    assert 'aria-invalid="true" aria-describedby="text-error"' in empty.text

    odd = pages.submit(f"/incidents/{incident}/snooze", {"minutes": "7"})
    assert odd.status_code == 422
    assert "choose how long to snooze for" in text_of(odd)

    note = text_of(pages.submit(f"/incidents/{incident}/notes", {"text": "Looking <b>now</b>"}))
    assert "Note added." in note
    assert "Looking <b>now</b>" in note


def test_a_refused_transition_says_why(pages: Pages, trigger: Callable[..., int]) -> None:
    incident = trigger("Checkout 502s")
    pages.get(f"/incidents/{incident}")
    pages.submit(f"/incidents/{incident}/acknowledge")
    again = pages.submit(f"/incidents/{incident}/acknowledge")
    assert again.status_code == 409
    assert "Could not acknowledge: the incident is now acknowledged." in text_of(again)


def test_viewers_read_but_do_not_act(
    pages_as: Callable[..., Pages], trigger: Callable[..., int]
) -> None:
    vic = pages_as(Role.VIEWER, "Vic Viewer")
    incident = trigger("Checkout 502s")
    page = vic.get(f"/incidents/{incident}")
    assert "Viewers can follow incidents" in text_of(page)
    assert "/acknowledge" not in page.text
    refused = vic.submit(f"/incidents/{incident}/acknowledge")
    assert refused.status_code == 403
    assert "Your role (viewer) may not respond." in text_of(refused)
    assert "Triggered" in text_of(vic.get(f"/incidents/{incident}"))


def test_missing_pages_and_crashes_get_friendly_pages(
    pages: Pages, runtime: Runtime, browser: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in ("/incidents/999", "/incidents/abc", "/no/such/page"):
        missing = pages.get(path)
        assert missing.status_code == 404, path
        assert "Not found" in text_of(missing)
    assert browser.get("/api/v1/incidents/999").headers["content-type"] == "application/json"

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(incidents, "list_incidents", explode)
    with TestClient(
        create_app(runtime, run_worker=False),
        base_url="https://testserver",
        raise_server_exceptions=False,
        cookies=browser.cookies,
    ) as fragile:
        crashed = fragile.get("/incidents")
    assert crashed.status_code == 500
    assert "Something went wrong" in text_of(crashed)
    assert "database on fire" not in crashed.text
    assert "Traceback" not in crashed.text
