"""Users, teams and services: create, read, change, delete, and refusals."""

from __future__ import annotations

from support import Api


def test_users_email_is_unique_whatever_its_case(admin_api: Api) -> None:
    created = admin_api.post("/api/v1/users", {"email": "Grace@Example.com", "name": "Grace"})
    assert created.status_code == 201
    assert created.json()["email"] == "grace@example.com"
    assert created.json()["role"] == "responder"
    clash = admin_api.post("/api/v1/users", {"email": "GRACE@example.COM", "name": "G2"})
    assert clash.status_code == 409
    assert admin_api.post("/api/v1/users", {"email": "nope", "name": "x"}).status_code == 422
    assert admin_api.get("/api/v1/users").json()["total"] == 2


def test_patch_changes_only_the_named_fields(admin_api: Api) -> None:
    user = admin_api.post(
        "/api/v1/users", {"email": "lin@example.com", "name": "Lin", "role": "viewer"}
    ).json()
    changed = admin_api.patch(f"/api/v1/users/{user['id']}", {"role": "responder"}).json()
    assert (changed["name"], changed["role"], changed["email"]) == (
        "Lin",
        "responder",
        "lin@example.com",
    )
    assert admin_api.patch(f"/api/v1/users/{user['id']}", {"role": "god"}).status_code == 422
    assert admin_api.patch("/api/v1/users/999", {"name": "x"}).status_code == 404
    assert admin_api.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/users/{user['id']}").status_code == 404


def test_the_last_active_admin_cannot_be_removed(admin_api: Api) -> None:
    me = next(u for u in admin_api.get("/api/v1/users").json()["items"] if u["role"] == "admin")
    assert admin_api.patch(f"/api/v1/users/{me['id']}", {"role": "viewer"}).status_code == 409
    assert admin_api.patch(f"/api/v1/users/{me['id']}", {"status": "DISABLED"}).status_code == 409
    assert admin_api.delete(f"/api/v1/users/{me['id']}").status_code == 409
    assert admin_api.get(f"/api/v1/users/{me['id']}").json()["role"] == "admin"


def test_teams_with_members(admin_api: Api) -> None:
    ids = [
        admin_api.post("/api/v1/users", {"email": f"u{i}@example.com", "name": f"U{i}"}).json()[
            "id"
        ]
        for i in range(3)
    ]
    team = admin_api.post("/api/v1/teams", {"name": "SRE", "member_ids": ids[:2]}).json()
    assert [m["name"] for m in team["members"]] == ["U0", "U1"]
    patched = admin_api.patch(f"/api/v1/teams/{team['id']}", {"member_ids": [ids[2]]}).json()
    assert [m["name"] for m in patched["members"]] == ["U2"]
    unknown = admin_api.patch(f"/api/v1/teams/{team['id']}", {"member_ids": [999]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "member_ids"]
    assert admin_api.post("/api/v1/teams", {"name": "SRE"}).status_code == 409
    assert admin_api.delete(f"/api/v1/teams/{team['id']}").status_code == 204
    assert admin_api.get("/api/v1/teams").json()["items"] == []


def test_team_memberships_carry_a_role(admin_api: Api) -> None:
    ids = [
        admin_api.post("/api/v1/users", {"email": f"r{i}@example.com", "name": f"R{i}"}).json()[
            "id"
        ]
        for i in range(3)
    ]
    body = {
        "name": "Payments",
        "member_ids": [ids[0]],
        "members": [{"user_id": ids[1], "role": "admin"}, {"user_id": ids[2]}],
    }
    team = admin_api.post("/api/v1/teams", body).json()
    assert [(m["name"], m["role"]) for m in team["members"]] == [
        ("R0", "member"),
        ("R1", "admin"),
        ("R2", "member"),
    ]
    path = f"/api/v1/teams/{team['id']}"
    promoted = admin_api.patch(path, {"members": [{"user_id": ids[2], "role": "admin"}]}).json()
    assert [(m["name"], m["role"]) for m in promoted["members"]] == [("R2", "admin")]
    plain = admin_api.patch(path, {"member_ids": [ids[2]]}).json()
    assert [(m["name"], m["role"]) for m in plain["members"]] == [("R2", "member")]
    bad = admin_api.patch(path, {"members": [{"user_id": ids[0], "role": "owner"}]})
    assert bad.status_code == 422
    unknown = admin_api.patch(path, {"members": [{"user_id": 999, "role": "admin"}]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "members"]
    assert admin_api.get(path).json()["members"] == plain["members"]


def test_services_belong_to_teams_and_name_a_channel(admin_api: Api) -> None:
    team = admin_api.post("/api/v1/teams", {"name": "Payments"}).json()
    service = admin_api.post(
        "/api/v1/services",
        {
            "name": "billing",
            "team_id": team["id"],
            "slack_channel": "pay-alerts",
            "ack_sla_minutes": 5,
            "resolve_sla_minutes": 60,
        },
    ).json()
    assert service["team"] == {"id": team["id"], "name": "Payments"}
    assert service["slack_channel"] == "#pay-alerts"
    path = f"/api/v1/services/{service['id']}"
    assert (
        admin_api.patch(path, {"slack_channel": "C0123ABCDEF"}).json()["slack_channel"]
        == "C0123ABCDEF"
    )
    cleared = admin_api.patch(path, {"team_id": None}).json()
    assert cleared["team"] is None
    assert cleared["ack_sla_minutes"] == 5
    for bad in [{"slack_channel": "#Bad Name!"}, {"team_id": 999}, {"ack_sla_minutes": 0}]:
        response = admin_api.patch(path, bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == next(iter(bad))
    assert admin_api.get(path).json()["slack_channel"] == "C0123ABCDEF"


def test_a_service_with_open_incidents_cannot_be_deleted(admin_api: Api, service_id: int) -> None:
    incident = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()
    assert admin_api.delete(f"/api/v1/services/{service_id}").status_code == 409
    admin_api.post(f"/api/v1/incidents/{incident['id']}/resolve")
    assert admin_api.delete(f"/api/v1/services/{service_id}").status_code == 204
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").status_code == 404
