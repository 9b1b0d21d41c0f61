"""A service's escalation policy and integrations on its page: admins pick the
policy, create integrations (the key shown once), rotate and revoke keys."""

from __future__ import annotations

import re
from collections.abc import Callable

from watchkeep.core import accounts, services
from watchkeep.core.models import Role
from watchkeep.ingest import integrations, keys
from watchkeep.oncall import policies
from watchkeep.runtime import Runtime

from web_support import Pages, text_of

_KEY = re.compile(r'<code id="integration-key">([^<]+)</code>')


def _service(runtime: Runtime) -> int:
    with runtime.db.write() as db:
        return services.create_service(db, name="checkout", now=runtime.clock.now()).id


def test_an_admin_gives_a_service_an_escalation_policy(
    pages: Pages,
    runtime: Runtime,
    make_user: Callable[..., str],
    pages_as: Callable[..., Pages],
) -> None:
    email = make_user(Role.RESPONDER, "Alice Ames")
    with runtime.db.write() as db:
        alice = accounts.find_user_by_email(db, email)
        assert alice is not None
        step = policies.StepSpec(10, [policies.TargetSpec("user", alice.id)])
        policy_id = policies.create_policy(
            db, name="Default", steps=[step], now=runtime.clock.now()
        ).id
    service_id = _service(runtime)
    form = pages.get(f"/services/{service_id}")
    assert f'<option value="{policy_id}" >Default</option>' in form.text
    saved = pages.submit(
        f"/services/{service_id}", {"name": "checkout", "escalation_policy_id": str(policy_id)}
    )
    assert "Service checkout saved." in text_of(saved)
    assert f'<option value="{policy_id}" selected>Default</option>' in saved.text
    with runtime.db.read() as db:
        assert services.get_service(db, service_id).escalation_policy_id == policy_id

    bad = pages.submit(
        f"/services/{service_id}", {"name": "checkout", "escalation_policy_id": "99"}
    )
    assert bad.status_code == 422
    assert 'id="escalation_policy_id-error">no escalation policy with id 99' in bad.text
    odd = pages.submit(f"/services/{service_id}", {"name": "checkout", "escalation_policy_id": "x"})
    assert 'id="escalation_policy_id-error">choose a policy from the list' in odd.text

    vic = pages_as(Role.VIEWER, "Vic Viewer")
    assert "Escalation policy Default" in text_of(vic.get(f"/services/{service_id}"))


def test_an_admin_creates_rotates_and_revokes_an_integration(
    pages: Pages, runtime: Runtime
) -> None:
    service_id = _service(runtime)
    page = pages.get(f"/services/{service_id}")
    assert "No integrations yet" in text_of(page)

    created = pages.submit(
        f"/services/{service_id}/integrations", {"type": "alertmanager", "name": "Prometheus"}
    )
    assert created.status_code == 201
    match = _KEY.search(created.text)
    assert match, "the new key is shown"
    key = match.group(1)
    assert f"/ingest/alertmanager/{key}</code>" in created.text
    assert "shown only this once" in text_of(created)
    listed = text_of(created)
    assert "alertmanager Prometheus" in listed
    assert "/ingest/alertmanager/<key>" in listed
    assert keys.key_id(key) in listed

    again = pages.get(f"/services/{service_id}")
    assert key not in again.text, "the key is never shown again"

    with runtime.db.read() as db:
        (integration,) = integrations.list_integrations(db, service_id, limit=5, offset=0)[0]
    rotated = pages.submit(f"/services/{service_id}/integrations/{integration.id}/rotate")
    new_match = _KEY.search(rotated.text)
    assert new_match
    assert new_match.group(1) != key

    revoked = pages.submit(f"/services/{service_id}/integrations/{integration.id}/revoke")
    assert "Integration Prometheus revoked" in text_of(revoked)
    assert "No integrations yet" in text_of(revoked)


def test_bad_integration_input_is_explained(
    pages: Pages, runtime: Runtime, pages_as: Callable[..., Pages]
) -> None:
    service_id = _service(runtime)
    pages.get(f"/services/{service_id}")
    bad = pages.submit(f"/services/{service_id}/integrations", {"type": "smoke", "name": " "})
    assert bad.status_code == 422
    assert 'id="integration-type-error">choose a type' in bad.text
    assert 'id="integration-name-error">must not be empty' in bad.text
    hook = pages.submit(f"/services/{service_id}/integrations", {"type": "webhook", "name": "CI"})
    assert 'id="integration-summary_path-error">a webhook needs' in hook.text
    ok = pages.submit(
        f"/services/{service_id}/integrations",
        {"type": "webhook", "name": "CI", "summary_path": "alert.title"},
    )
    assert ok.status_code == 201

    vic = pages_as(Role.VIEWER, "Vic Viewer")
    page = vic.get(f"/services/{service_id}")
    assert "Admins manage the integrations" in text_of(page)
    assert "CI" not in text_of(page).split("Integrations", 1)[1]
    refused = vic.submit(
        f"/services/{service_id}/integrations", {"type": "alertmanager", "name": "Mine"}
    )
    assert refused.status_code == 403
    with runtime.db.read() as db:
        assert integrations.list_integrations(db, service_id, limit=5, offset=0)[1] == 1
