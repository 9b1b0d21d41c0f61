"""The Slack app's own credentials (client id, client secret, signing secret, and the
app-level token that turns on Socket Mode), kept encrypted in one row and shared by
every workspace.

A rotated signing secret leaves the previous one accepted for a grace period, so
requests Slack signed just before the rotation still count.

Values given in the environment (`WATCHKEEP_SLACK_*`) follow one rule: the
environment sets the first value, and a later change through the API or the
web UI wins until the environment's value itself changes. Each start compares
the environment with a keyed digest of what it last applied, and applies only
what differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from watchkeep.crypto import SecretBox, mask
from watchkeep.slack.models import SlackApp

ROTATION_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class MaskedCredentials:
    """What admins may see of the credentials: the client id, and that secrets are set."""

    client_id: str
    client_secret: str | None
    signing_secret: str | None
    app_token: str | None = None

    @property
    def can_install(self) -> bool:
        return bool(self.client_id and self.client_secret)


def masked(session: Session, box: SecretBox) -> MaskedCredentials:
    app = session.get(SlackApp, 1)
    if app is None:
        return MaskedCredentials("", None, None, None)

    def shown(value: str | None) -> str | None:
        return mask(box.decrypt(value)) if value else None

    return MaskedCredentials(
        app.client_id or "",
        shown(app.client_secret_encrypted),
        shown(app.signing_secret_encrypted),
        shown(app.app_token_encrypted),
    )


def app_credentials(session: Session, *, now: datetime) -> SlackApp:
    app = session.get(SlackApp, 1)
    if app is None:
        app = SlackApp(id=1, updated_at=now)
        session.add(app)
        session.flush()
    return app


def set_app_credentials(
    session: Session, box: SecretBox, changes: Mapping[str, str | None], *, now: datetime
) -> SlackApp:
    app = app_credentials(session, now=now)
    if "client_id" in changes:
        app.client_id = changes["client_id"] or None
    if "client_secret" in changes:
        value = changes["client_secret"]
        app.client_secret_encrypted = box.encrypt(value) if value else None
    if "app_token" in changes:
        value = changes["app_token"]
        app.app_token_encrypted = box.encrypt(value) if value else None
    if "signing_secret" in changes:
        value = changes["signing_secret"]
        current = (
            box.decrypt(app.signing_secret_encrypted) if app.signing_secret_encrypted else None
        )
        if value != current:
            app.previous_signing_secret_encrypted = app.signing_secret_encrypted
            app.signing_secret_rotated_at = now
            app.signing_secret_encrypted = box.encrypt(value) if value else None
    app.updated_at = now
    return app


def environment_changes(
    session: Session, box: SecretBox, given: Mapping[str, str], *, now: datetime
) -> dict[str, str]:
    """Of the values the environment gives (by name), those to apply at this start:
    the ones that differ from what the environment gave when last applied. They are
    remembered as applied."""
    app = app_credentials(session, now=now)
    digests = dict(app.environment_digests or {})
    changed = {}
    for name, value in given.items():
        digest = box.digest(f"{name}:{value}")
        if digests.get(name) != digest:
            changed[name], digests[name] = value, digest
    if changed:
        app.environment_digests = digests
    return changed


def accepted_signing_secrets(session: Session, box: SecretBox, now: datetime) -> list[str]:
    """The current secret, and for a grace period after a rotation the previous one.

    No secret at all means nothing is accepted: unsigned Slack requests never act.
    """
    app = session.get(SlackApp, 1)
    if app is None or not app.signing_secret_encrypted:
        return []
    accepted = [box.decrypt(app.signing_secret_encrypted)]
    rotated = app.signing_secret_rotated_at
    if app.previous_signing_secret_encrypted and rotated and now - rotated < ROTATION_GRACE:
        accepted.append(box.decrypt(app.previous_signing_secret_encrypted))
    return accepted


def app_token(session: Session, box: SecretBox) -> str | None:
    """The app-level token (xapp-…) if Socket Mode is on."""
    app = session.get(SlackApp, 1)
    if app is None or not app.app_token_encrypted:
        return None
    return box.decrypt(app.app_token_encrypted)
