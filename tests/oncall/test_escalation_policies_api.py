"""Escalation policies over the API, and services that name one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from watchkeep.core.models import Role

from oncall_support import make_user

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


def bad_fields(response) -> set[tuple]:
    assert response.status_code == 422, response.text
    return {tuple(error["loc"][1:]) for error in response.json()["detail"]}


def test_create_read_change_and_attach_to_a_service(admin_api: Api) -> None:
    ana = make_user(admin_api, "Ana")
    team = admin_api.post("/api/v1/teams", {"name": "SRE", "member_ids": [ana]}).json()
    schedule = admin_api.post("/api/v1/schedules", {"name": "Primary", "time_zone": "UTC"}).json()
    created = admin_api.post(
        "/api/v1/escalation-policies",
        {
            "name": "Payments",
            "repeat": 2,
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "schedule", "id": schedule["id"]}]},
                {
                    "delay_minutes": 10,
                    "targets": [{"type": "user", "id": ana}, {"type": "team", "id": team["id"]}],
                },
            ],
        },
    )
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["steps"] == [
        {
            "delay_minutes": 5,
            "targets": [{"type": "schedule", "id": schedule["id"], "name": "Primary"}],
        },
        {
            "delay_minutes": 10,
            "targets": [
                {"type": "user", "id": ana, "name": "Ana"},
                {"type": "team", "id": team["id"], "name": "SRE"},
            ],
        },
    ]
    assert (policy["repeat"], policy["services"]) == (2, [])
    service = admin_api.post(
        "/api/v1/services", {"name": "payments", "escalation_policy_id": policy["id"]}
    ).json()
    assert service["escalation_policy_id"] == policy["id"]
    path = f"/api/v1/escalation-policies/{policy['id']}"
    assert admin_api.get(path).json()["services"] == [{"id": service["id"], "name": "payments"}]
    patched = admin_api.patch(path, {"repeat": 0, "name": "Payments v2"}).json()
    assert (patched["name"], patched["repeat"], len(patched["steps"])) == ("Payments v2", 0, 2)
    one = [{"delay_minutes": 1, "targets": [{"type": "user", "id": ana}]}]
    assert len(admin_api.patch(path, {"steps": one}).json()["steps"]) == 1
    assert [p["name"] for p in admin_api.get("/api/v1/escalation-policies").json()["items"]] == [
        "Payments v2"
    ]


def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    admin_api: Api, make_token: Callable[..., str]
) -> None:
    ana = make_user(admin_api, "Ana")
    step = {"delay_minutes": 5, "targets": [{"type": "user", "id": ana}]}

    def refused(**changes: object) -> set[tuple]:
        body = {"name": "P", "steps": [step], **changes}
        return bad_fields(admin_api.post("/api/v1/escalation-policies", body))

    assert refused(steps=[]) == {("steps",)}
    assert refused(repeat=10) == {("repeat",)}
    assert refused(steps=[{**step, "delay_minutes": 0}]) == {("steps", 0, "delay_minutes")}
    assert refused(steps=[{**step, "targets": []}]) == {("steps", 0, "targets")}
    assert refused(steps=[step, {**step, "targets": [{"type": "user", "id": 999}]}]) == {
        ("steps", 1, "targets", 0, "id")
    }
    assert refused(steps=[{**step, "targets": [{"type": "schedule", "id": 1}]}]) == {
        ("steps", 0, "targets", 0, "id")
    }
    assert refused(steps=[{**step, "targets": [{"type": "channel", "id": 1}]}]) == {
        ("steps", 0, "targets", 0, "type")
    }
    assert admin_api.get("/api/v1/escalation-policies").json()["total"] == 0
    assert (
        admin_api.post("/api/v1/escalation-policies", {"name": "P", "steps": [step]}).status_code
        == 201
    )
    assert (
        admin_api.post("/api/v1/escalation-policies", {"name": "P", "steps": [step]}).status_code
        == 409
    )
    assert admin_api.get("/api/v1/escalation-policies/999").status_code == 404
    assert admin_api.patch("/api/v1/escalation-policies/999", {"repeat": 1}).status_code == 404
    assert bad_fields(
        admin_api.post("/api/v1/services", {"name": "s", "escalation_policy_id": 999})
    ) == {("escalation_policy_id",)}
    assert admin_api.get("/api/v1/services").json()["total"] == 0
    responder = admin_api.as_(make_token(Role.RESPONDER))
    assert responder.get("/api/v1/escalation-policies").status_code == 200
    assert (
        responder.post("/api/v1/escalation-policies", {"name": "Q", "steps": [step]}).status_code
        == 403
    )
