"""Bearer tokens and roles: viewers read, responders act, admins configure."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from watchkeep.core.models import Role

from support import Api


def test_no_token_or_a_bad_one_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/incidents").status_code == 401
    for header in ["Bearer wk_nope", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer " + "x" * 5000]:
        response = client.get("/api/v1/incidents", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_disabled_users_token_stops_working(
    admin_api: Api, make_token: Callable[..., str]
) -> None:
    token = make_token(Role.RESPONDER)
    me = admin_api.as_(token)
    assert me.get("/api/v1/incidents").status_code == 200
    user_id = next(
        u["id"] for u in admin_api.get("/api/v1/users").json()["items"] if u["role"] == "responder"
    )
    assert admin_api.patch(f"/api/v1/users/{user_id}", {"status": "DISABLED"}).status_code == 200
    assert me.get("/api/v1/incidents").status_code == 401


def test_viewers_read_but_may_not_act(
    admin_api: Api, make_token: Callable[..., str], service_id: int
) -> None:
    viewer = admin_api.as_(make_token(Role.VIEWER))
    incident = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()
    assert viewer.get(f"/api/v1/incidents/{incident['id']}").status_code == 200
    for path in ["acknowledge", "resolve", "reopen"]:
        refused = viewer.post(f"/api/v1/incidents/{incident['id']}/{path}")
        assert refused.status_code == 403
        assert "viewer" in refused.json()["detail"]
    assert (
        viewer.post("/api/v1/incidents", {"title": "y", "service_id": service_id}).status_code
        == 403
    )
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "TRIGGERED"


def test_responders_act_but_may_not_configure(
    admin_api: Api, make_token: Callable[..., str], service_id: int
) -> None:
    responder = admin_api.as_(make_token(Role.RESPONDER))
    created = responder.post("/api/v1/incidents", {"title": "x", "service_id": service_id})
    assert created.status_code == 201
    assert responder.post("/api/v1/services", {"name": "new"}).status_code == 403
    assert responder.post("/api/v1/users", {"email": "a@b.co", "name": "A"}).status_code == 403
    assert responder.delete(f"/api/v1/services/{service_id}").status_code == 403
    assert responder.get("/api/v1/services").json()["total"] == 1


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/incidents/{incident_id}/acknowledge" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_a_change_made_by_another_process_takes_effect_within_seconds(
    admin_api: Api, make_token: Callable[..., str], runtime, monkeypatch
) -> None:
    import time as real_time

    from watchkeep.api import deps
    from watchkeep.core import accounts
    from watchkeep.core.models import UserStatus

    token = make_token(Role.RESPONDER)
    me = admin_api.as_(token)
    assert me.get("/api/v1/incidents").status_code == 200
    with runtime.db.write() as session:  # as `watchkeep` in another process would
        accounts.find_user_by_email(session, "responder1@example.com").status = UserStatus.DISABLED
    assert me.get("/api/v1/incidents").status_code == 200, "cached for a few seconds"
    later = real_time.monotonic() + deps.PrincipalCache().ttl + 0.1
    monkeypatch.setattr(deps.time, "monotonic", lambda: later)
    assert me.get("/api/v1/incidents").status_code == 401
