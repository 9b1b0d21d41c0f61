"""`notification_rules` on `/api/v1/users/{id}`: shown on every user, changed by admins
or by the user themselves (nothing else of their record), refused when out of range."""

from __future__ import annotations

from collections.abc import Callable

from watchkeep.core.models import Role

from support import Api

DEFAULTS = {"slack_dm": True, "repeat_after_minutes": None}


def me(api: Api) -> dict:
    [found] = [u for u in api.get("/api/v1/users").json()["items"] if u["name"] == "Vic"]
    return found


def test_rules_default_and_are_set_when_a_user_is_made(admin_api: Api) -> None:
    plain = admin_api.post("/api/v1/users", {"email": "a@example.com", "name": "A"}).json()
    assert plain["notification_rules"] == DEFAULTS
    quiet = admin_api.post(
        "/api/v1/users",
        {"email": "b@example.com", "name": "B", "notification_rules": {"slack_dm": False}},
    ).json()
    assert quiet["notification_rules"] == {"slack_dm": False, "repeat_after_minutes": None}
    assert (
        admin_api.get(f"/api/v1/users/{quiet['id']}").json()["notification_rules"]
        == (quiet["notification_rules"])
    )


def test_a_user_changes_their_own_rules_only(
    admin_api: Api, make_token: Callable[..., str]
) -> None:
    viewer = admin_api.as_(make_token(Role.VIEWER, "Vic"))
    mine = me(viewer)
    changed = viewer.patch(
        f"/api/v1/users/{mine['id']}", {"notification_rules": {"repeat_after_minutes": 10}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["notification_rules"] == {"slack_dm": True, "repeat_after_minutes": 10}
    off = viewer.patch(
        f"/api/v1/users/{mine['id']}", {"notification_rules": {"repeat_after_minutes": None}}
    )
    assert off.json()["notification_rules"] == DEFAULTS
    more = viewer.patch(
        f"/api/v1/users/{mine['id']}", {"name": "Victor", "notification_rules": {"slack_dm": False}}
    )
    assert more.status_code == 403
    assert more.json()["detail"] == "role viewer may change only its own notification_rules"
    other = admin_api.post("/api/v1/users", {"email": "o@example.com", "name": "O"}).json()
    theirs = viewer.patch(
        f"/api/v1/users/{other['id']}", {"notification_rules": {"slack_dm": False}}
    )
    assert theirs.status_code == 403
    assert me(viewer)["notification_rules"] == DEFAULTS
    assert me(viewer)["name"] == "Vic"


def test_out_of_range_rules_are_refused_and_change_nothing(admin_api: Api) -> None:
    user = admin_api.post("/api/v1/users", {"email": "c@example.com", "name": "C"}).json()
    for rules, where in (
        ({"repeat_after_minutes": 0}, "repeat_after_minutes"),
        ({"repeat_after_minutes": 1441}, "repeat_after_minutes"),
        ({"slack_dm": "sometimes"}, "slack_dm"),
        ({"sms": True}, "sms"),
    ):
        refused = admin_api.patch(f"/api/v1/users/{user['id']}", {"notification_rules": rules})
        assert refused.status_code == 422, rules
        assert refused.json()["detail"][0]["loc"][-1] == where
    assert admin_api.get(f"/api/v1/users/{user['id']}").json()["notification_rules"] == DEFAULTS
