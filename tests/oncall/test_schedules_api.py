"""Schedules over the API: configure, ask who is on call, list shifts, override, refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from watchkeep.core.models import Role

from oncall_support import make_user
from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


def bad_fields(response) -> set[tuple]:
    assert response.status_code == 422, response.text
    return {tuple(error["loc"][1:]) for error in response.json()["detail"]}


def make_schedule(api: Api, **fields: object) -> dict:
    response = api.post("/api/v1/schedules", fields)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_weekly_rotation_with_business_hours_across_the_spring_change(admin_api: Api) -> None:
    """Naive times are Berlin wall-clock times; the 09:00 handoff stays at 09:00."""
    ana, ben = make_user(admin_api, "Ana"), make_user(admin_api, "Ben")
    cho = make_user(admin_api, "Cho")
    schedule = make_schedule(
        admin_api,
        name="Payments primary",
        time_zone="Europe/Berlin",
        layers=[
            {
                "name": "Weekly",
                "user_ids": [ana, ben],
                "rotation_length_hours": 168,
                "start": "2026-03-23T09:00:00",
            },
            {
                "name": "Business hours",
                "user_ids": [cho],
                "rotation_length_hours": 24,
                "start": "2026-03-23T09:00:00",
                "restrictions": {
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "start_time": "10:00",
                    "end_time": "16:00",
                },
            },
        ],
    )
    assert schedule["layers"][0]["start"] == "2026-03-23T08:00:00Z"
    assert schedule["layers"][1]["restrictions"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start_time": "10:00",
        "end_time": "16:00",
    }
    assert [u["name"] for u in schedule["layers"][0]["users"]] == ["Ana", "Ben"]
    path = f"/api/v1/schedules/{schedule['id']}"

    def who(at: str) -> str | None:
        response = admin_api.get(f"{path}/oncall", params={"at": at})
        assert response.status_code == 200, response.text
        user = response.json()["user"]
        return user["name"] if user else None

    assert who("2026-03-30T08:59:00") == "Ana"  # Monday after the change, before handoff
    assert who("2026-03-30T09:00:00") == "Ben"
    assert who("2026-03-30T10:30:00") == "Cho"
    assert who("2026-03-30T08:30:00Z") == "Cho"  # 10:30 summer time, given in UTC
    now = admin_api.get(f"{path}/oncall", params={"at": "2026-03-30T12:00:00"}).json()
    assert (now["start"], now["end"]) == ("2026-03-30T08:00:00Z", "2026-03-30T14:00:00Z")
    assert now["user"]["email"] == "cho@example.com"
    shifts = admin_api.get(
        f"{path}/shifts", params={"start": "2026-03-28T00:00:00", "end": "2026-03-31T00:00:00"}
    ).json()
    assert [(s["user"]["name"], s["start"], s["end"]) for s in shifts] == [
        ("Ana", "2026-03-27T23:00:00Z", "2026-03-30T07:00:00Z"),  # 23:00 CET .. 09:00 CEST
        ("Ben", "2026-03-30T07:00:00Z", "2026-03-30T08:00:00Z"),
        ("Cho", "2026-03-30T08:00:00Z", "2026-03-30T14:00:00Z"),
        ("Ben", "2026-03-30T14:00:00Z", "2026-03-30T22:00:00Z"),
    ]


def test_overrides_win_and_responders_may_swap_shifts(
    admin_api: Api, make_token: Callable[..., str], clock: FrozenClock
) -> None:
    ana, ben = make_user(admin_api, "Ana"), make_user(admin_api, "Ben")
    schedule = make_schedule(
        admin_api,
        name="Ops",
        time_zone="UTC",
        layers=[{"user_ids": [ana], "rotation_length_hours": 24, "start": "2026-03-01T00:00:00Z"}],
    )
    path = f"/api/v1/schedules/{schedule['id']}"
    responder = admin_api.as_(make_token(Role.RESPONDER))
    window = {"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T12:00:00Z"}
    created = responder.post(f"{path}/overrides", {"user_id": ben, **window})
    assert created.status_code == 201, created.text
    override = created.json()
    assert override["user"]["name"] == "Ben"
    assert override["created_by_name"].startswith("Responder")
    assert admin_api.get(f"{path}/oncall").json()["user"]["name"] == "Ben"  # 09:00 now
    listed = admin_api.get(f"{path}/overrides", params={"start": "2026-03-01T00:00:00Z"}).json()
    assert [o["id"] for o in listed] == [override["id"]]
    assert responder.delete(f"{path}/overrides/{override['id']}").status_code == 204
    assert responder.delete(f"{path}/overrides/{override['id']}").status_code == 404
    assert admin_api.get(f"{path}/oncall").json()["user"]["name"] == "Ana"
    assert bad_fields(admin_api.post(f"{path}/overrides", {"user_id": 999, **window})) == {
        ("user_id",)
    }
    backwards = {"start": window["end"], "end": window["start"]}
    assert bad_fields(admin_api.post(f"{path}/overrides", {"user_id": ben, **backwards})) == {
        ("end",)
    }
    assert responder.post("/api/v1/schedules", {"name": "x", "time_zone": "UTC"}).status_code == 403


def test_who_is_on_call_everywhere(admin_api: Api, clock: FrozenClock) -> None:
    ana = make_user(admin_api, "Ana")
    make_schedule(
        admin_api,
        name="B-team",
        time_zone="America/New_York",
        layers=[{"user_ids": [ana], "rotation_length_hours": 24, "start": "2026-01-01T00:00:00"}],
    )
    make_schedule(admin_api, name="A-empty", time_zone="Asia/Tokyo")
    answer = admin_api.get("/api/v1/oncall").json()
    assert answer["at"] == "2026-03-02T09:00:00Z"
    assert [(i["schedule"]["name"], i["user"] and i["user"]["name"]) for i in answer["items"]] == [
        ("A-empty", None),
        ("B-team", "Ana"),
    ]
    assert admin_api.get("/api/v1/oncall", params={"at": "2026-03-02T09:00:00"}).status_code == 422


def test_patch_replaces_layers_and_changes_only_what_it_names(admin_api: Api) -> None:
    ana, ben = make_user(admin_api, "Ana"), make_user(admin_api, "Ben")
    schedule = make_schedule(
        admin_api,
        name="Ops",
        time_zone="UTC",
        layers=[{"user_ids": [ana], "rotation_length_hours": 24, "start": "2026-03-01T00:00:00Z"}],
    )
    path = f"/api/v1/schedules/{schedule['id']}"
    renamed = admin_api.patch(path, {"name": "Ops primary"}).json()
    assert (renamed["name"], len(renamed["layers"])) == ("Ops primary", 1)
    layers = [
        {"user_ids": [ben], "rotation_length_hours": 12, "start": "2026-03-01T00:00:00Z"},
        {
            "name": "Nights",
            "user_ids": [ana],
            "rotation_length_hours": 24,
            "start": "2026-03-01T00:00:00Z",
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
    ]
    patched = admin_api.patch(path, {"layers": layers}).json()
    assert [(layer["name"], layer["user_ids"]) for layer in patched["layers"]] == [
        ("Layer 1", [ben]),
        ("Nights", [ana]),
    ]
    assert patched["layers"][1]["restrictions"]["days"] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
    assert admin_api.get(path).json()["name"] == "Ops primary"
    assert admin_api.delete(path).status_code == 204
    assert admin_api.get(path).status_code == 404


def test_bad_input_is_422_naming_the_field_and_writes_nothing(admin_api: Api) -> None:
    ana = make_user(admin_api, "Ana")
    layer = {"user_ids": [ana], "rotation_length_hours": 24, "start": "2026-03-01T00:00:00Z"}
    base = {"name": "Ops", "time_zone": "Europe/Berlin", "layers": [layer]}

    def refused(**changes: object) -> set[tuple]:
        return bad_fields(admin_api.post("/api/v1/schedules", {**base, **changes}))

    assert refused(time_zone="Mars/Olympus") == {("time_zone",)}
    assert refused(layers=[layer, {**layer, "user_ids": [ana, 999]}]) == {("layers", 1, "user_ids")}
    assert refused(layers=[{**layer, "user_ids": []}]) == {("layers", 0, "user_ids")}
    assert refused(layers=[{**layer, "rotation_length_hours": 0}]) == {
        ("layers", 0, "rotation_length_hours")
    }
    assert refused(layers=[{**layer, "restrictions": {"days": ["funday"]}}]) == {
        ("layers", 0, "restrictions", "days", 0)
    }
    assert refused(layers=[{**layer, "restrictions": {"start_time": "09:00"}}]) == {
        ("layers", 0, "restrictions")
    }
    assert refused(colour="red") == {("colour",)}
    assert admin_api.get("/api/v1/schedules").json()["total"] == 0
    make_schedule(admin_api, **base)
    assert admin_api.post("/api/v1/schedules", base).status_code == 409
    assert admin_api.get("/api/v1/schedules/999").status_code == 404
    assert admin_api.get("/api/v1/schedules/999/oncall").status_code == 404
    assert admin_api.post("/api/v1/schedules/999/overrides", {}).status_code == 422
    [schedule] = admin_api.get("/api/v1/schedules").json()["items"]
    shifts = f"/api/v1/schedules/{schedule['id']}/shifts"
    too_long = {"start": "2026-01-01T00:00:00Z", "end": "2027-03-01T00:00:00Z"}
    response = admin_api.get(shifts, params=too_long)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "end"]
    year = admin_api.get(
        shifts, params={"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
    )
    assert len(year.json()) == 1, "one person, one unbroken shift"
