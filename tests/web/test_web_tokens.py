"""Settings → API tokens: anyone makes, sees and deletes their own tokens; a new one
is shown once."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from watchkeep.core.models import Role

from support import Api
from web_support import Pages, text_of


def test_a_viewer_makes_a_token_sees_it_once_and_deletes_it(
    pages_as: Callable[..., Pages], browser: TestClient
) -> None:
    vic = pages_as(Role.VIEWER, "Vic Viewer")
    page = vic.get("/incidents")
    assert 'href="/settings/tokens"' in page.text, "linked from the navigation"
    assert "No tokens yet." in text_of(vic.get("/settings/tokens"))

    made = vic.submit("/settings/tokens", {"name": "grafana", "lifetime": "30"})
    assert made.status_code == 201
    match = re.search(r'<code id="new-token">(wk_[^<]+)</code>', made.text)
    assert match, "the new token is on the page"
    token = match.group(1)
    assert "shown only this once" in text_of(made)
    assert "2026-04-01 09:00 UTC" in text_of(made), "expires 30 days after the clock's now"

    api = Api(browser, token)
    assert api.get("/api/v1/incidents").status_code == 200
    again = vic.get("/settings/tokens")
    assert token not in again.text
    assert "grafana" in text_of(again)

    token_id = api.get("/api/v1/tokens").json()["items"][0]["id"]
    gone = vic.submit(f"/settings/tokens/{token_id}/delete")
    assert gone.url.path == "/settings/tokens"
    assert "Token grafana deleted: it no longer works." in text_of(gone)
    assert api.get("/api/v1/incidents").status_code == 401


def test_the_form_names_what_is_wrong_and_makes_nothing(pages: Pages) -> None:
    pages.get("/settings/tokens")
    refused = pages.submit("/settings/tokens", {"name": "  ", "lifetime": "12"})
    assert refused.status_code == 422
    assert 'id="name-error">must not be empty' in refused.text
    assert 'id="lifetime-error">choose one of the offered lifetimes' in refused.text
    assert "No tokens yet." in text_of(refused)


def test_someone_elses_token_cannot_be_deleted_from_the_page(
    pages_as: Callable[..., Pages], make_token: Callable[..., str], browser: TestClient
) -> None:
    other = make_token(Role.RESPONDER)
    other_id = Api(browser, other).get("/api/v1/tokens").json()["items"][0]["id"]
    vic = pages_as(Role.VIEWER, "Vic Viewer")
    vic.get("/settings/tokens")
    refused = vic.submit(f"/settings/tokens/{other_id}/delete")
    assert refused.status_code == 404
    assert Api(browser, other).get("/api/v1/incidents").status_code == 200
