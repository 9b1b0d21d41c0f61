"""`/api/v1/tokens`: own tokens for everyone, anyone's for admins; names, expiry, and a
last-used time written at most once a minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from watchkeep.core.models import Role
from watchkeep.runtime import Runtime

from support import Api, FrozenClock


def forget_cached_tokens(client: TestClient) -> None:
    """What the five seconds of another process's token cache would do."""
    client.app.state.principals.clear()  # type: ignore[attr-defined]


def test_a_token_is_shown_once_and_listed_without_its_secret(
    client: TestClient, make_token: Callable[..., str], clock: FrozenClock
) -> None:
    viewer = Api(client, make_token(Role.VIEWER))
    made = viewer.post("/api/v1/tokens", {"name": "grafana"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["token"].startswith("wk_")
    assert body["name"] == "grafana"
    assert body["expires_at"] is None
    assert body["last_used_at"] is None
    assert body["expired"] is False

    listed = viewer.get("/api/v1/tokens").json()
    assert listed["total"] == 2, "the fixture's token and the new one"
    assert [t["name"] for t in listed["items"]] == ["grafana", "test"]
    assert all("token" not in t for t in listed["items"])

    own = viewer.as_(body["token"]).get("/api/v1/tokens")
    assert own.status_code == 200
    assert own.json()["items"][0]["last_used_at"] == clock.now().isoformat().replace("+00:00", "Z")


def test_last_used_is_written_at_most_once_a_minute(
    client: TestClient, make_token: Callable[..., str], clock: FrozenClock
) -> None:
    api = Api(client, make_token(Role.RESPONDER))
    start = clock.now()

    def last_used() -> str:
        forget_cached_tokens(client)
        return api.get("/api/v1/tokens").json()["items"][0]["last_used_at"]

    first = last_used()
    assert first == start.isoformat().replace("+00:00", "Z")
    clock.advance(seconds=59)
    assert last_used() == first, "a use within the minute writes nothing"
    clock.advance(seconds=1)
    later = (start + timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
    assert last_used() == later


def test_an_expired_token_is_refused_even_from_the_cache(
    client: TestClient, make_token: Callable[..., str], clock: FrozenClock
) -> None:
    api = Api(client, make_token(Role.RESPONDER))
    expires = clock.now() + timedelta(hours=1)
    made = api.post("/api/v1/tokens", {"name": "ci", "expires_at": expires.isoformat()}).json()
    short = api.as_(made["token"])
    assert short.get("/api/v1/incidents").status_code == 200
    clock.advance(minutes=59, seconds=59)
    assert short.get("/api/v1/incidents").status_code == 200
    clock.advance(seconds=1)
    refused = short.get("/api/v1/incidents")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "invalid, expired or revoked token, or disabled user"}
    listed = api.get("/api/v1/tokens").json()["items"]
    assert [(t["name"], t["expired"]) for t in listed] == [("ci", True), ("test", False)]


def test_an_expiry_in_the_past_is_refused_naming_the_field(
    client: TestClient, make_token: Callable[..., str], clock: FrozenClock, runtime: Runtime
) -> None:
    api = Api(client, make_token(Role.RESPONDER))
    past = (clock.now() - timedelta(seconds=1)).isoformat()
    refused = api.post("/api/v1/tokens", {"name": "old", "expires_at": past})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "expires_at"]
    assert refused.json()["detail"][0]["msg"] == "must be in the future"
    naive = api.post("/api/v1/tokens", {"name": "naive", "expires_at": "2030-01-01T00:00:00"})
    assert naive.status_code == 422
    assert api.get("/api/v1/tokens").json()["total"] == 1


def test_deleting_a_token_refuses_it_at_once(
    client: TestClient, make_token: Callable[..., str]
) -> None:
    api = Api(client, make_token(Role.RESPONDER))
    made = api.post("/api/v1/tokens", {"name": "laptop"}).json()
    other = api.as_(made["token"])
    assert other.get("/api/v1/incidents").status_code == 200
    assert api.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
    assert other.get("/api/v1/incidents").status_code == 401
    assert api.delete(f"/api/v1/tokens/{made['id']}").status_code == 404


def test_people_handle_only_their_own_tokens_and_admins_anyones(
    client: TestClient, make_token: Callable[..., str]
) -> None:
    rita = Api(client, make_token(Role.RESPONDER, "Rita"))
    vic = Api(client, make_token(Role.VIEWER, "Vic"))
    admin = Api(client, make_token(Role.ADMIN, "Ada"))
    rita_id = rita.get("/api/v1/tokens").json()["items"][0]["user_id"]
    rita_token = rita.get("/api/v1/tokens").json()["items"][0]["id"]

    assert vic.get(f"/api/v1/tokens?user_id={rita_id}").status_code == 403
    assert vic.post("/api/v1/tokens", {"name": "x", "user_id": rita_id}).status_code == 403
    assert vic.delete(f"/api/v1/tokens/{rita_token}").status_code == 404, "hidden, not 403"
    assert vic.get("/api/v1/tokens").json()["total"] == 1

    listed = admin.get(f"/api/v1/tokens?user_id={rita_id}").json()
    assert [t["id"] for t in listed["items"]] == [rita_token]
    made = admin.post("/api/v1/tokens", {"name": "for rita", "user_id": rita_id})
    assert made.status_code == 201
    assert made.json()["user_id"] == rita_id
    as_rita = admin.as_(made.json()["token"]).get("/api/v1/tokens?user_id=" + str(rita_id))
    assert as_rita.status_code == 200, "the new token acts as Rita"
    assert admin.delete(f"/api/v1/tokens/{rita_token}").status_code == 204
    assert rita.get("/api/v1/incidents").status_code == 401
    assert admin.post("/api/v1/tokens", {"name": "x", "user_id": 999}).status_code == 404
