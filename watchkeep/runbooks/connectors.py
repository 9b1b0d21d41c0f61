"""Connectors as runbooks see them: create, change and delete them, resolve a runbook's
`connection`, and decide which runbooks may use which connector.

A runbook names its connection: `org` (the organisation's primary workspace)
or a connector by name or id. Only runbooks owned by the connector's team may
use it: checked when the runbook is saved (`check_connection`) and again when
each step runs (`connector_for_run`). A connector some runbook uses cannot be
deleted or renamed (409). Secrets are encrypted with the same key as the
workspace tokens and never answered again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import naming
from watchkeep.core.connector_models import SLACK, Connector
from watchkeep.core.errors import ConflictError, InvalidInputError, NotFoundError
from watchkeep.core.models import Team
from watchkeep.crypto import SecretBox
from watchkeep.runbooks.models import Runbook

ORG = "org"
MAX_ALLOWED_CHANNELS = 200
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_PREFIX = re.compile(r"^[a-z0-9_-]{1,60}$")


class ConnectionRefused(Exception):
    """The runbook may not use this connection (now): `error` says why, Slack-style."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(f"{error}: {detail}")
        self.error, self.detail = error, detail


@dataclass(frozen=True)
class Secrets:
    """Write-only values of a connector (None: leave as it is)."""

    bot_token: str | None = None
    signing_secret: str | None = None
    client_secret: str | None = None


def list_connectors(session: Session, team_ids: set[int] | None = None) -> Sequence[Connector]:
    query = select(Connector).order_by(Connector.name)
    if team_ids is not None:
        query = query.where(Connector.team_id.in_(team_ids))
    return session.scalars(query).all()


def get_connector(session: Session, connector_id: int) -> Connector:
    connector = session.get(Connector, connector_id)
    if connector is None:
        raise NotFoundError("connector", connector_id)
    return connector


def find(session: Session, ref: str | int) -> Connector | None:
    """The connector a runbook's `connection` names: its name, or its id."""
    text = str(ref).strip()
    found = session.scalar(select(Connector).where(Connector.name == text))
    if found is None and text.isdigit() and len(text) < 10:
        found = session.get(Connector, int(text))
    return found


def create_connector(
    session: Session,
    box: SecretBox,
    *,
    name: str,
    team_id: int,
    secrets: Secrets,
    now: datetime,
    type: str = SLACK,
    client_id: str | None = None,
    allowed_channels: Sequence[str] = (),
    channel_prefix: str | None = None,
) -> Connector:
    if type != SLACK:
        raise InvalidInputError("type", "the only connector type is 'slack'")
    if not secrets.bot_token:
        raise InvalidInputError("bot_token", "a Slack connector needs a bot token (xoxb-…)")
    _team(session, team_id)
    connector = Connector(
        name=_name(session, name),
        type=SLACK,
        team_id=team_id,
        client_id=client_id or None,
        allowed_channels=_channels(allowed_channels),
        channel_prefix=_prefix(channel_prefix),
        created_at=now,
        updated_at=now,
    )
    _set_secrets(box, connector, secrets)
    session.add(connector)
    session.flush()
    return connector


def update_connector(
    session: Session,
    box: SecretBox,
    connector: Connector,
    changes: dict[str, Any],
    secrets: Secrets,
    *,
    now: datetime,
) -> Connector:
    """Apply the fields named in `changes` (and any secret given)."""
    if "name" in changes and changes["name"].strip() != connector.name:
        if users_of(session, connector):
            raise ConflictError(f"connector {connector.name!r} is used by runbooks: not renamed")
        connector.name = _name(session, changes["name"])
    if "team_id" in changes and changes["team_id"] != connector.team_id:
        if users_of(session, connector):
            raise ConflictError(f"connector {connector.name!r} is used by runbooks of its team")
        connector.team_id = _team(session, changes["team_id"]).id
    if "allowed_channels" in changes:
        connector.allowed_channels = _channels(changes["allowed_channels"] or ())
    if "channel_prefix" in changes:
        connector.channel_prefix = _prefix(changes["channel_prefix"])
    if "client_id" in changes:
        connector.client_id = changes["client_id"] or None
    if secrets.bot_token:
        # A new token is a new identity until Slack says whose it is.
        connector.slack_team_id = connector.bot_user_id = connector.bot_id = None
        connector.last_error = connector.last_error_at = connector.rate_limited_until = None
    _set_secrets(box, connector, secrets)
    connector.updated_at = now
    session.flush()
    return connector


def delete_connector(session: Session, connector: Connector) -> None:
    used = users_of(session, connector)
    if used:
        names = ", ".join(repr(runbook.name) for runbook in used)
        raise ConflictError(f"connector {connector.name!r} is used by runbook {names}")
    session.delete(connector)
    session.flush()


def users_of(session: Session, connector: Connector) -> list[Runbook]:
    """The runbooks whose connection is this connector (by name or id)."""
    refs = {connector.name, str(connector.id)}
    return [rb for rb in session.scalars(select(Runbook)) if rb.document.get("connection") in refs]


def record_identity(connector: Connector, answer: dict[str, Any]) -> None:
    """What auth.test said of the token."""
    connector.slack_team_id = answer.get("team_id") or connector.slack_team_id
    connector.slack_team_name = answer.get("team") or connector.slack_team_name
    connector.slack_team_url = answer.get("url") or connector.slack_team_url
    connector.bot_user_id = answer.get("user_id") or connector.bot_user_id
    connector.bot_id = answer.get("bot_id") or connector.bot_id


# ---- runbooks and their connection ------------------------------------------------
def check_connection(session: Session, connection: str, owner_team_id: int | None) -> str:
    """A runbook's `connection` as it is saved; refused unless its team may use it."""
    if connection == ORG:
        return ORG
    connector = find(session, connection)
    if connector is None:
        raise InvalidInputError("connection", f"no connector named {connection!r} (or 'org')")
    problem = _refusal(connector, owner_team_id)
    if problem is not None:
        raise InvalidInputError("connection", problem.detail)
    return connector.name


def connector_for_run(session: Session, document: dict[str, Any]) -> Connector | None:
    """The connector a run uses (None: the organisation's), checked again as it runs."""
    connection = document.get("connection", ORG)
    if connection == ORG:
        return None
    connector = find(session, connection)
    if connector is None:
        raise ConnectionRefused("connector_not_found", f"no connector named {connection!r}")
    problem = _refusal(connector, document.get("owner_team_id"))
    if problem is not None:
        raise problem
    return connector


def may_use(connector: Connector, owner_team_id: int | None) -> bool:
    return _refusal(connector, owner_team_id) is None


def _refusal(connector: Connector, owner_team_id: int | None) -> ConnectionRefused | None:
    if owner_team_id == connector.team_id:
        return None
    whose = f"team {owner_team_id}" if owner_team_id is not None else "no team"
    return ConnectionRefused(
        "connection_not_allowed",
        f"connector {connector.name!r} belongs to team {connector.team.name!r}: "
        f"only that team's runbooks may use it (this runbook is owned by {whose})",
    )


def channel_allowed(connector: Connector, channel: str, made_by_it: bool) -> bool:
    """Whether the connector may post to `channel` (a name or an id)."""
    if made_by_it:
        return True
    ref = channel.strip().removeprefix("#")
    return ref in connector.allowed_channels or ref.lower() in connector.allowed_channels


def may_create(connector: Connector, name: str) -> bool:
    prefix = connector.channel_prefix
    return bool(prefix) and name.startswith(prefix)


# ---- checks ----------------------------------------------------------------------
def _name(session: Session, name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInputError("name", "a connector needs a name of 1 to 200 characters")
    if name == ORG:
        raise InvalidInputError("name", "'org' names the organisation's connection")
    return naming.free_name(session, Connector, name, "a connector")


def _team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise InvalidInputError("team_id", f"team {team_id} not found")
    return team


def _channels(channels: Sequence[str]) -> list[str]:
    if len(channels) > MAX_ALLOWED_CHANNELS:
        raise InvalidInputError("allowed_channels", f"at most {MAX_ALLOWED_CHANNELS} channels")
    found = []
    for index, channel in enumerate(channels):
        ref = str(channel).strip().removeprefix("#")
        if not (_CHANNEL_NAME.match(ref) or _CHANNEL_ID.match(ref)):
            raise InvalidInputError(
                f"allowed_channels.{index}",
                f"{channel!r} is not a channel name (lowercase, digits, - and _) or id",
            )
        found.append(ref)
    return list(dict.fromkeys(found))


def _prefix(prefix: str | None) -> str | None:
    if prefix is None or prefix.strip() == "":
        return None
    prefix = prefix.strip().removeprefix("#")
    if not _PREFIX.match(prefix):
        raise InvalidInputError(
            "channel_prefix", "a channel name prefix: lowercase letters, digits, - and _"
        )
    return prefix


def _set_secrets(box: SecretBox, connector: Connector, secrets: Secrets) -> None:
    if secrets.bot_token:
        token = secrets.bot_token.strip()
        if not token.startswith("xox"):
            raise InvalidInputError("bot_token", "must be a Slack bot token (xoxb-…)")
        connector.bot_token_encrypted = box.encrypt(token)
    if secrets.signing_secret:
        connector.signing_secret_encrypted = box.encrypt(secrets.signing_secret.strip())
    if secrets.client_secret:
        connector.client_secret_encrypted = box.encrypt(secrets.client_secret.strip())
