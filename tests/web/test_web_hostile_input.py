"""Pages refuse what no database can store, and ids that name nothing: a NUL or a lone
surrogate in any form field is a 422 naming the field, an id beyond the database's
integer range a 404 (path) or a form error, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from watchkeep.core import incidents
from watchkeep.core.actors import Actor
from watchkeep.core.models import Note, Role, Source, Urgency
from watchkeep.runtime import Runtime

from web_support import Pages, text_of

HUGE = "99999999999999999999"


@pytest.fixture
def incident_id(runtime: Runtime, service_id: int) -> int:
    with runtime.db.write() as db:
        incident, _ = incidents.create_incident(
            db,
            title="Checkout 502s",
            service_id=service_id,
            urgency=Urgency.HIGH,
            actor=Actor(name="test", source=Source.API),
            now=runtime.clock.now(),
        )
        return incident.id


def notes(runtime: Runtime) -> int:
    with runtime.db.read() as db:
        return db.query(Note).count()


def test_a_nul_in_a_form_is_refused_naming_the_field(
    pages: Pages, runtime: Runtime, incident_id: int
) -> None:
    pages.get(f"/incidents/{incident_id}")
    refused = pages.submit(f"/incidents/{incident_id}/notes", {"text": "nul\x00here"})
    assert refused.status_code == 422
    assert "Some input was not acceptable: text." in text_of(refused)
    assert notes(runtime) == 0
    pages.get(f"/incidents/{incident_id}")
    assert pages.submit("/services", {"name": "web\x00"}).status_code == 422


def test_bytes_that_are_not_utf8_in_a_form_are_read_as_replacement_characters(
    pages: Pages, browser: TestClient, runtime: Runtime, incident_id: int
) -> None:
    """A browser cannot send a lone surrogate; its UTF-8-like bytes decode to U+FFFD."""
    token = pages.csrf()
    sent = browser.post(
        f"/incidents/{incident_id}/notes",
        content=f"csrf_token={token}&text=a%ED%A0%80b".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 200
    with runtime.db.read() as db:
        assert [note.text for note in db.query(Note)] == ["a\ufffd\ufffd\ufffdb"]


@pytest.mark.parametrize(
    "path",
    [
        f"/incidents/{HUGE}",
        f"/services/{HUGE}",
        f"/schedules/{HUGE}",
        f"/escalation-policies/{HUGE}",
        f"/settings/integrations/slack/workspaces/{HUGE}",
        "/incidents/0",
    ],
)
def test_an_id_out_of_range_in_a_page_path_is_not_found(pages: Pages, path: str) -> None:
    page = pages.get(path)
    assert page.status_code == 404
    assert "Not found" in text_of(page)


def test_an_action_on_an_id_out_of_range_is_not_found(pages: Pages) -> None:
    pages.get("/incidents")
    for action in ("acknowledge", "unsnooze", "reopen"):
        assert pages.submit(f"/incidents/{HUGE}/{action}").status_code == 404
    assert pages.submit(f"/services/{HUGE}/integrations/{HUGE}/rotate").status_code == 404
    assert pages.submit(f"/settings/tokens/{HUGE}/delete").status_code == 404


def test_ids_out_of_range_in_forms_and_filters_name_nothing(pages: Pages) -> None:
    assert pages.get(f"/incidents?service={HUGE}").status_code == 200
    assert pages.get("/incidents?service=²").status_code == 200
    pages.get("/services/new")
    refused = pages.submit("/services", {"name": "web", "team_id": HUGE})
    assert refused.status_code == 422
    assert 'id="team_id-error">choose a team from the list' in refused.text
    refused = pages.submit("/services", {"name": "web", "escalation_policy_id": "²"})
    assert 'id="escalation_policy_id-error">choose a policy from the list' in refused.text
    pages.get("/schedules/new")
    refused = pages.submit(
        "/schedules",
        {
            "name": "primary",
            "time_zone": "UTC",
            "user_ids": [HUGE],
            "rotation_length_hours": "²",
            "start": "2026-03-02T09:00",
        },
    )
    assert refused.status_code == 422
    assert "choose at least one person to rotate through" in text_of(refused)
    assert pages.get("/services").status_code == 200
    assert "No services yet" in text_of(pages.get("/services"))


def test_a_sign_in_target_with_a_control_character_goes_home(
    browser: TestClient, make_user: Callable[..., str]
) -> None:
    pages = Pages(browser)
    assert pages.get("/login?next=/incidents%00x").status_code == 200
    landed = pages.submit(
        "/login",
        {
            "email": make_user(Role.VIEWER),
            "password": "correct horse battery",
            "next": "/x\r\nX: y",
        },
    )
    assert landed.url.path == "/incidents"
