"""Incidents over the API: trigger, list, read, transitions and every kind of refusal."""

from __future__ import annotations

from datetime import timedelta

from support import Api, FrozenClock


def trigger(api: Api, service_id: int, **fields: object) -> dict:
    response = api.post(
        "/api/v1/incidents", {"title": "API down", "service_id": service_id, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_trigger_and_read_back_with_timeline_and_notes(admin_api: Api, service_id: int) -> None:
    incident = trigger(admin_api, service_id, urgency="LOW", description="5xx > 10%")
    assert incident["number"] == 1
    assert incident["status"] == "TRIGGERED"
    assert incident["url"] == f"https://watchkeep.example.com/incidents/{incident['id']}"
    assert incident["created_by"]["name"] == "Ada Admin"
    path = f"/api/v1/incidents/{incident['id']}"
    assert admin_api.post(f"{path}/notes", {"text": "looking"}).status_code == 201
    assert admin_api.post(f"{path}/acknowledge").json()["acknowledged_by"]["name"] == "Ada Admin"
    resolved = admin_api.post(f"{path}/resolve", {"note": "rolled back"}).json()
    assert (resolved["status"], resolved["resolution_note"]) == ("RESOLVED", "rolled back")
    detail = admin_api.get(path).json()
    assert [e["type"] for e in detail["timeline"]] == [
        "triggered",
        "note_added",
        "acknowledged",
        "resolved",
    ]
    assert {e["source"] for e in detail["timeline"]} == {"api"}
    assert [n["text"] for n in detail["notes"]] == ["looking"]


def test_snooze_by_minutes_or_until(admin_api: Api, service_id: int, clock: FrozenClock) -> None:
    first, second = trigger(admin_api, service_id), trigger(admin_api, service_id)
    snoozed = admin_api.post(f"/api/v1/incidents/{first['id']}/snooze", {"minutes": 30}).json()
    assert snoozed["status"] == "SNOOZED"
    assert snoozed["snoozed_until"].startswith(
        (clock.now() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )
    until = (clock.now() + timedelta(hours=4)).isoformat()
    response = admin_api.post(f"/api/v1/incidents/{second['id']}/snooze", {"until": until})
    assert response.status_code == 200
    assert (
        admin_api.post(f"/api/v1/incidents/{second['id']}/unsnooze").json()["status"] == "TRIGGERED"
    )


def test_a_bad_transition_is_409_with_the_current_state(admin_api: Api, service_id: int) -> None:
    incident = trigger(admin_api, service_id)
    path = f"/api/v1/incidents/{incident['id']}"
    admin_api.post(f"{path}/resolve")
    refused = admin_api.post(f"{path}/acknowledge")
    assert refused.status_code == 409
    assert refused.json()["status"] == "RESOLVED"
    assert refused.json()["action"] == "acknowledge"
    assert len(admin_api.get(path).json()["timeline"]) == 2


def test_unknown_ids_are_404(admin_api: Api, service_id: int) -> None:
    assert admin_api.get("/api/v1/incidents/999").status_code == 404
    assert admin_api.post("/api/v1/incidents/999/acknowledge").status_code == 404
    assert admin_api.post("/api/v1/incidents/999/notes", {"text": "x"}).status_code == 404


def test_bad_fields_are_422_and_named(admin_api: Api, service_id: int) -> None:
    def bad_fields(path: str, body: object) -> set[str]:
        response = admin_api.post(path, body)
        assert response.status_code == 422, response.text
        return {str(error["loc"][-1]) for error in response.json()["detail"]}

    base = {"title": "x", "service_id": service_id}
    assert bad_fields("/api/v1/incidents", {**base, "urgency": "CRITICAL"}) == {"urgency"}
    assert bad_fields("/api/v1/incidents", {"service_id": service_id}) == {"title"}
    assert bad_fields("/api/v1/incidents", {**base, "title": ""}) == {"title"}
    assert bad_fields("/api/v1/incidents", {**base, "sevrity": "x"}) == {"sevrity"}
    assert bad_fields("/api/v1/incidents", {**base, "service_id": 404}) == {"service_id"}
    incident = trigger(admin_api, service_id)
    snooze = f"/api/v1/incidents/{incident['id']}/snooze"
    assert bad_fields(snooze, {"minutes": 0}) == {"minutes"}
    both = admin_api.post(snooze, {"minutes": 5, "until": "2030-01-01T00:00:00Z"})
    assert both.status_code == 422
    assert "exactly one of minutes or until" in both.text
    assert bad_fields(snooze, {"until": "2030-01-01T00:00:00"}) == {"until"}
    assert bad_fields(snooze, {"until": "2000-01-01T00:00:00Z"}) == {"until"}
    assert bad_fields(f"/api/v1/incidents/{incident['id']}/notes", {"text": ""}) == {"text"}
    assert admin_api.get("/api/v1/incidents").json()["total"] == 1
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "TRIGGERED"


def test_malformed_json_is_422_not_500(admin_api: Api, service_id: int) -> None:
    response = admin_api.client.post(
        "/api/v1/incidents",
        content=b'{"title": "x", "service_id": ',
        headers={**admin_api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_an_oversized_body_is_413_and_writes_nothing(admin_api: Api, service_id: int) -> None:
    huge = {"title": "x", "service_id": service_id, "description": "a" * (2 * 1024 * 1024)}
    assert admin_api.post("/api/v1/incidents", huge).status_code == 413
    streamed = admin_api.client.post(
        "/api/v1/incidents",
        content=iter([b'{"title": "x", "description": "', b"a" * 700_000, b"a" * 700_000, b'"}']),
        headers={**admin_api.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert admin_api.get("/api/v1/incidents").json()["total"] == 0


def test_a_repeated_dedup_key_answers_the_open_incident(admin_api: Api, service_id: int) -> None:
    first = trigger(admin_api, service_id, dedup_key="disk/web-1")
    again = admin_api.post(
        "/api/v1/incidents", {"title": "again", "service_id": service_id, "dedup_key": "disk/web-1"}
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    admin_api.post(f"/api/v1/incidents/{first['id']}/resolve")
    assert trigger(admin_api, service_id, dedup_key="disk/web-1")["id"] != first["id"]


def test_list_filters_and_pages_newest_first(admin_api: Api, service_id: int) -> None:
    other = admin_api.post("/api/v1/services", {"name": "search"}).json()["id"]
    made = [
        trigger(admin_api, service_id if i % 2 else other, urgency=["HIGH", "LOW"][i % 2])
        for i in range(7)
    ]
    admin_api.post(f"/api/v1/incidents/{made[0]['id']}/acknowledge")

    def numbers(query: str) -> list[int]:
        response = admin_api.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert numbers("") == [7, 6, 5, 4, 3, 2, 1]
    assert numbers("limit=3") == [7, 6, 5]
    assert numbers("limit=3&offset=3") == [4, 3, 2]
    assert numbers("limit=3&offset=6") == [1]
    assert numbers("status=ACKNOWLEDGED") == [1]
    assert numbers("status=ACKNOWLEDGED&status=TRIGGERED") == [7, 6, 5, 4, 3, 2, 1]
    assert numbers("urgency=LOW") == [6, 4, 2]
    assert numbers(f"service_id={other}") == [7, 5, 3, 1]
    assert numbers(f"service_id={other}&urgency=LOW") == []
    page = admin_api.get("/api/v1/incidents?limit=2&urgency=HIGH").json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 0)
    assert admin_api.get("/api/v1/incidents?status=OPEN").status_code == 422
    assert admin_api.get("/api/v1/incidents?limit=0").status_code == 422
    assert admin_api.get("/api/v1/incidents?limit=201").status_code == 422


def test_deep_pages_follow_the_cursor(admin_api: Api, service_id: int) -> None:
    made = [trigger(admin_api, service_id) for _ in range(7)]
    admin_api.post(f"/api/v1/incidents/{made[3]['id']}/acknowledge")
    admin_api.post(f"/api/v1/incidents/{made[5]['id']}/snooze", {"minutes": 30})

    def walk(query: str) -> list[list[int]]:
        pages, cursor = [], None
        while True:
            path = f"/api/v1/incidents?{query}" + (f"&cursor={cursor}" if cursor else "")
            page = admin_api.get(path).json()
            pages.append([item["number"] for item in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                return pages

    assert walk("limit=3") == [[7, 6, 5], [4, 3, 2], [1]]
    assert walk("limit=2&status=TRIGGERED&status=SNOOZED") == [[7, 6], [5, 3], [2, 1], []]
    first = admin_api.get("/api/v1/incidents?limit=3").json()
    assert (first["total"], first["offset"]) == (7, 0)
    later = admin_api.get(f"/api/v1/incidents?limit=3&cursor={first['next_cursor']}").json()
    assert later["total"] == 7, "the total counts the whole filter on every page"


def test_a_cursor_the_api_never_gave_is_422(admin_api: Api, service_id: int) -> None:
    trigger(admin_api, service_id)
    for query in (
        "cursor=not-base64!",
        "cursor=aTox&offset=2",
        "cursor=aTow",
        "cursor=" + "A" * 65,
    ):
        response = admin_api.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"][-1] == "cursor"
