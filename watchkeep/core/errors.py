"""Domain errors. Each adapter turns them into its own answer (HTTP status,
ephemeral Slack message, form error); the core never knows which."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: something the caller asked for cannot be done."""


class NotFoundError(DomainError):
    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} not found")
        self.entity = entity
        self.ident = ident


class InvalidInputError(DomainError):
    """A field's value is unacceptable; `field` names it for the caller, dotted when
    nested (`layers.0.user_ids`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConflictError(DomainError):
    """The request clashes with what exists (a taken name, the last admin)."""


class PermissionDeniedError(DomainError):
    pass


class InvalidTransitionError(ConflictError):
    """The incident's current state does not allow this action.

    It keeps plain values, not the incident: they are read after the refused
    transaction has rolled back.
    """

    def __init__(self, action: str, incident: Any) -> None:
        self.action = action
        self.number = incident.number
        self.status = incident.status
        self.acknowledged_by = incident.acknowledged_by_name
        self.resolved_by = incident.resolved_by_name
        super().__init__(
            f"cannot {action} incident #{incident.number}: it is {incident.status.value}"
        )
