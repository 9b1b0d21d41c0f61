"""Escalation policy pages: admins create a policy of up to three steps over
people, schedules and teams; a policy a service uses is not deleted."""

from __future__ import annotations

from collections.abc import Callable

from watchkeep.core import accounts, services, teams
from watchkeep.core.models import Role
from watchkeep.oncall import policies, schedules
from watchkeep.runtime import Runtime

from web_support import Pages, text_of


def _ids(runtime: Runtime, make_user: Callable[..., str]) -> tuple[int, int, int]:
    email = make_user(Role.RESPONDER, "Alice Ames")
    with runtime.db.write() as db:
        alice = accounts.find_user_by_email(db, email)
        assert alice is not None
        team = teams.create_team(db, name="Payments", now=runtime.clock.now())
        layer = schedules.LayerSpec("Layer 1", [alice.id], 168, runtime.clock.now())
        schedule = schedules.create_schedule(
            db, name="Primary", time_zone="UTC", layers=[layer], now=runtime.clock.now()
        )
        return alice.id, schedule.id, team.id


def test_an_admin_creates_a_policy_and_reads_its_steps(
    pages: Pages, make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice, schedule, team = _ids(runtime, make_user)
    form = pages.get("/escalation-policies/new")
    assert "Step 3" in text_of(form)
    created = pages.submit(
        "/escalation-policies",
        {
            "name": "Payments urgent",
            "repeat": "2",
            "step0_delay": "5",
            "step0_schedules": [str(schedule)],
            "step1_delay": "15",
            "step1_users": [str(alice)],
            "step1_teams": [str(team)],
            "step2_delay": "",
        },
    )
    page = text_of(created)
    assert "Escalation policy Payments urgent saved." in page
    assert "Page whoever is on call on Primary ; then after 5 minutes escalate" in page
    assert "Page Alice Ames, team Payments; and after 15 minutes start again from step 1" in page
    assert "Repeats 2 times" in page

    listed = text_of(pages.get("/escalation-policies"))
    assert "Payments urgent 2 2 —" in listed


def test_bad_policy_input_is_explained_next_to_each_field(
    pages: Pages, make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice, _, _ = _ids(runtime, make_user)
    pages.get("/escalation-policies/new")
    refused = pages.submit(
        "/escalation-policies",
        {"name": "", "repeat": "12", "step0_delay": "0", "step1_delay": "5"},
    )
    assert refused.status_code == 422
    assert 'id="name-error">must not be empty' in refused.text
    assert 'id="repeat-error">must be a whole number from 0 to 9' in refused.text
    assert 'id="step0_delay-error">must be a whole number of minutes' in refused.text
    assert 'id="step1_targets-error">choose at least one person' in refused.text

    empty = pages.submit("/escalation-policies", {"name": "P", "repeat": "0"})
    assert 'id="step0_targets-error">a policy needs at least one step' in empty.text
    gone = pages.submit(
        "/escalation-policies",
        {"name": "P", "repeat": "0", "step1_delay": "5", "step1_users": ["999", str(alice)]},
    )
    assert 'id="step1_targets-error">no user with id 999' in gone.text
    assert f'value="{alice}" selected' in gone.text
    with runtime.db.read() as db:
        assert policies.list_policies(db, limit=10, offset=0)[1] == 0


def test_a_policy_in_use_is_not_deleted(
    pages_as: Callable[..., Pages], make_user: Callable[..., str], runtime: Runtime
) -> None:
    alice, _, _ = _ids(runtime, make_user)
    with runtime.db.write() as db:
        step = policies.StepSpec(10, [policies.TargetSpec("user", alice)])
        policy = policies.create_policy(db, name="Default", steps=[step], now=runtime.clock.now())
        policy_id = policy.id
        service = services.create_service(db, name="checkout", now=runtime.clock.now())
        policies.assign_policy(db, service, policy_id)

    vic = pages_as(Role.VIEWER, "Vic Viewer")
    page = vic.get(f"/escalation-policies/{policy_id}")
    assert "Used by checkout" in text_of(page)
    assert "<form" not in page.text.split("<main", 1)[1]
    assert vic.get("/escalation-policies/new").status_code == 403
    assert vic.submit("/escalation-policies", {"name": "Mine"}).status_code == 403
    assert vic.submit(f"/escalation-policies/{policy_id}/delete").status_code == 403

    ada = pages_as(Role.ADMIN, "Ada Admin")
    ada.get(f"/escalation-policies/{policy_id}")
    refused = ada.submit(f"/escalation-policies/{policy_id}/delete")
    assert refused.status_code == 409
    assert "Not deleted: escalation policy &#39;Default&#39; is used by services" in refused.text

    with runtime.db.write() as db:
        service = services.get_service_by_name(db, "checkout")
        assert service is not None
        services.delete_service(db, service)
    deleted = ada.submit(f"/escalation-policies/{policy_id}/delete")
    assert "Escalation policy Default deleted." in text_of(deleted)
    assert "No escalation policies yet." in text_of(deleted)
