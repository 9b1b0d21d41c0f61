"""`/api/v1/connectors`: a team's own Slack connections, for that team's runbooks.

Team admins manage their team's connectors; organisation admins manage every
one. Secrets are write-only (answered masked). The token is asked `auth.test`
when it is given (Slack's refusal is a 422 naming `bot_token`) and by
`POST /connectors/{id}/test`. A connector a runbook uses cannot be deleted (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from watchkeep.api.deps import Principal, Reader, Responder, RuntimeDep
from watchkeep.api.schemas import OutModel, StrictModel
from watchkeep.core import teams
from watchkeep.core.connector_models import Connector
from watchkeep.core.ids import Id
from watchkeep.crypto import SecretBox, mask
from watchkeep.runbooks import connectors
from watchkeep.runbooks.connectors import Secrets
from watchkeep.slack import connector_admin

router = APIRouter(prefix="/connectors", tags=["connectors"])

Channels = Field(default=None, max_length=connectors.MAX_ALLOWED_CHANNELS)


class ConnectorIn(StrictModel):
    type: Literal["slack"] = "slack"
    name: str = Field(min_length=1, max_length=200)
    team_id: Id
    bot_token: str = Field(min_length=1, max_length=500)
    signing_secret: str | None = Field(default=None, max_length=200)
    client_id: str | None = Field(default=None, max_length=100)
    client_secret: str | None = Field(default=None, max_length=200)
    allowed_channels: list[str] | None = Channels
    channel_prefix: str | None = Field(default=None, max_length=60)


class ConnectorPatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    team_id: Id | None = None
    bot_token: str | None = Field(default=None, min_length=1, max_length=500)
    signing_secret: str | None = Field(default=None, max_length=200)
    client_id: str | None = Field(default=None, max_length=100)
    client_secret: str | None = Field(default=None, max_length=200)
    allowed_channels: list[str] | None = Channels
    channel_prefix: str | None = Field(default=None, max_length=60)


class HealthOut(OutModel):
    last_error: str | None
    last_error_at: datetime | None
    last_delivery_at: datetime | None
    rate_limited_until: datetime | None
    waiting_steps: int


class ConnectorOut(OutModel):
    id: int
    type: str
    name: str
    team_id: int
    team_name: str
    bot_token: str | None = Field(description="Masked: the token is never shown again")
    signing_secret: str | None
    client_id: str | None
    client_secret: str | None
    allowed_channels: list[str]
    channel_prefix: str | None
    slack_team_id: str | None
    slack_team_name: str | None
    bot_user_id: str | None
    used_by: list[str] = Field(description="Names of the runbooks that use it")
    health: HealthOut
    created_at: datetime
    updated_at: datetime


def connector_out(
    session: Session, box: SecretBox, connector: Connector, now: datetime
) -> ConnectorOut:
    def shown(value: str | None) -> str | None:
        return mask(box.decrypt(value)) if value else None

    return ConnectorOut(
        id=connector.id,
        type=connector.type,
        name=connector.name,
        team_id=connector.team_id,
        team_name=connector.team.name,
        bot_token=shown(connector.bot_token_encrypted),
        signing_secret=shown(connector.signing_secret_encrypted),
        client_id=connector.client_id,
        client_secret=shown(connector.client_secret_encrypted),
        allowed_channels=list(connector.allowed_channels or []),
        channel_prefix=connector.channel_prefix,
        slack_team_id=connector.slack_team_id,
        slack_team_name=connector.slack_team_name,
        bot_user_id=connector.bot_user_id,
        used_by=[runbook.name for runbook in connectors.users_of(session, connector)],
        health=HealthOut.model_validate(connector_admin.health(session, connector, now)),
        created_at=connector.created_at,
        updated_at=connector.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConnectorOut)
def create_connector(body: ConnectorIn, runtime: RuntimeDep, caller: Responder) -> ConnectorOut:
    with runtime.db.read() as session:
        _require_team_admin(session, caller, body.team_id)
    identity = runtime.slack.connectors.identify(body.bot_token)
    now = runtime.clock.now()
    with runtime.db.write() as session:
        _require_team_admin(session, caller, body.team_id)
        connector = connectors.create_connector(
            session,
            runtime.secrets,
            type=body.type,
            name=body.name,
            team_id=body.team_id,
            secrets=_secrets(body),
            client_id=body.client_id,
            allowed_channels=body.allowed_channels or [],
            channel_prefix=body.channel_prefix,
            now=now,
        )
        if identity is not None:
            connectors.record_identity(connector, identity)
        return connector_out(session, runtime.secrets, connector, now)


@router.get("")
def list_connectors(runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    now = runtime.clock.now()
    with runtime.db.read() as session:
        found = connectors.list_connectors(session)
        return {"items": [connector_out(session, runtime.secrets, c, now) for c in found]}


@router.get("/{connector_id}", response_model=ConnectorOut)
def get_connector(connector_id: Id, runtime: RuntimeDep, _: Reader) -> ConnectorOut:
    with runtime.db.read() as session:
        connector = connectors.get_connector(session, connector_id)
        return connector_out(session, runtime.secrets, connector, runtime.clock.now())


@router.patch("/{connector_id}", response_model=ConnectorOut)
def update_connector(
    connector_id: Id, body: ConnectorPatch, runtime: RuntimeDep, caller: Responder
) -> ConnectorOut:
    changes = body.model_dump(
        exclude_unset=True, exclude={"bot_token", "signing_secret", "client_secret"}
    )
    with runtime.db.read() as session:
        _require_admin_of(session, caller, connectors.get_connector(session, connector_id))
        if body.team_id is not None:
            _require_team_admin(session, caller, body.team_id)
    identity = runtime.slack.connectors.identify(body.bot_token) if body.bot_token else None
    now = runtime.clock.now()
    with runtime.db.write() as session:
        connector = connectors.get_connector(session, connector_id)
        _require_admin_of(session, caller, connector)
        connectors.update_connector(
            session, runtime.secrets, connector, changes, _secrets(body), now=now
        )
        if identity is not None:
            connectors.record_identity(connector, identity)
        return connector_out(session, runtime.secrets, connector, now)


@router.delete("/{connector_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_connector(connector_id: Id, runtime: RuntimeDep, caller: Responder) -> Response:
    """409 while a runbook uses it."""
    with runtime.db.write() as session:
        connector = connectors.get_connector(session, connector_id)
        _require_admin_of(session, caller, connector)
        connectors.delete_connector(session, connector)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{connector_id}/test")
def test_connector(connector_id: Id, runtime: RuntimeDep, caller: Responder) -> dict[str, Any]:
    """auth.test with the connector's token: `ok` and whose token it is, or Slack's error."""
    with runtime.db.read() as session:
        _require_admin_of(session, caller, connectors.get_connector(session, connector_id))
    return runtime.slack.connectors.test(connector_id, runtime.clock.now())


def _secrets(body: ConnectorIn | ConnectorPatch) -> Secrets:
    return Secrets(body.bot_token, body.signing_secret, body.client_secret)


def _require_team_admin(session: Session, caller: Principal, team_id: int) -> None:
    teams.require_team_admin(session, caller.role, caller.user_id, team_id)


def _require_admin_of(session: Session, caller: Principal, connector: Connector) -> None:
    _require_team_admin(session, caller, connector.team_id)
