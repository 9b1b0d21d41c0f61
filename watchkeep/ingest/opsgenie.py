"""An Opsgenie-compatible Alert API, so that teams leaving Opsgenie change only the URL.

    POST /v2/alerts                          {message, alias?, description?, tags?,
                                              details?, priority?, entity?, source?, …}
    POST /v2/alerts/{identifier}/close       ?identifierType=alias|id  {user?, source?, note?}
    POST /v2/alerts/{identifier}/acknowledge ?identifierType=alias|id  {user?, source?, note?}

Authenticated by `Authorization: GenieKey <integration key>`. `alias` is the dedup
key (Opsgenie's own dedup: an open alert with the alias counts a repeat); without
one, the alert gets a fresh alias. Watchkeep's alert id is its alias, so
`identifierType=id` and `alias` both name it; `tiny` (Opsgenie's short number) is
refused. `priority` P1-P5 (default P3, as Opsgenie) becomes a severity, and so the
service's urgency: P1 critical, P2 error, P3 warning, P4 and P5 info.

Answers are Opsgenie's: 202 `{result: "Request will be processed", took, requestId}`;
422 `{message, errors: {field: problem}, took, requestId}` for a bad request (the
limits are Opsgenie's: message 130 characters, alias 512, description 15,000, 20
tags of 50, details 8,000 characters); 401 for an unknown key; 429 when over the rate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError

PRIORITY_SEVERITY = {
    "P1": Severity.CRITICAL,
    "P2": Severity.ERROR,
    "P3": Severity.WARNING,
    "P4": Severity.INFO,
    "P5": Severity.INFO,
}


class _Lenient(BaseModel):
    # Opsgenie takes fields it does not use (responders, visibleTo, actions): so do we.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CreateAlert(_Lenient):
    message: str = Field(min_length=1, max_length=130)
    alias: str | None = Field(default=None, max_length=512)
    description: str = Field(default="", max_length=15_000)
    tags: list[Annotated[str, Field(max_length=50)]] = Field(default_factory=list, max_length=20)
    details: dict[str, Annotated[str, Field(max_length=8000)]] = Field(default_factory=dict)
    entity: str | None = Field(default=None, max_length=512)
    source: str | None = Field(default=None, max_length=100)
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P3"
    user: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=25_000)

    @field_validator("details")
    @classmethod
    def details_size(cls, details: dict[str, str]) -> dict[str, str]:
        if sum(len(k) + len(v) for k, v in details.items()) > 8000:
            raise ValueError("details must be at most 8000 characters in total")
        return details


class AlertAct(_Lenient):
    user: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=25_000)


def parse_create(body: bytes, new_alias: str) -> AlertEvent:
    """The alert a create request reports (`new_alias` when it names none)."""
    alert = _validated(CreateAlert, body)
    alias = alert.alias or new_alias
    if len(alias) > 255:
        # Dedup keys are 255 characters at most; a longer alias still names one alert.
        raise BadEventError([("alias", "must be at most 255 characters here")])
    details = {
        "labels": dict(alert.details),
        "tags": alert.tags,
        "entity": alert.entity,
        "source": alert.source,
        "priority": alert.priority,
        "user": alert.user,
        "note": alert.note,
        "alias": alias,
    }
    return AlertEvent(
        action=AlertAction.TRIGGER,
        dedup_key=alias,
        summary=alert.message,
        severity=PRIORITY_SEVERITY[alert.priority],
        description=alert.description,
        details={key: value for key, value in details.items() if value not in (None, "", [], {})},
    )


def parse_act(body: bytes, identifier: str, identifier_type: str, action: str) -> AlertEvent:
    """A close or acknowledge of the alert `identifier` names."""
    if body.strip():
        _validated(AlertAct, body)
    if identifier_type not in ("id", "alias"):
        raise BadEventError(
            [("identifierType", "must be id or alias (tiny is not supported by Watchkeep)")]
        )
    if not identifier.strip() or len(identifier) > 255:
        raise BadEventError([("identifier", "must be 1 to 255 characters")])
    verb = AlertAction.RESOLVE if action == "close" else AlertAction.ACKNOWLEDGE
    return AlertEvent(action=verb, dedup_key=identifier)


def _validated(model: type[Any], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
