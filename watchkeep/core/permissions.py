"""Roles and what they may do: viewers read, responders act, admins configure."""

from __future__ import annotations

import enum

from watchkeep.core.errors import PermissionDeniedError
from watchkeep.core.models import Role


class Permission(enum.Enum):
    READ = "read"
    RESPOND = "respond"
    CONFIGURE = "configure"


_GRANTS = {
    Role.VIEWER: {Permission.READ},
    Role.RESPONDER: {Permission.READ, Permission.RESPOND},
    Role.ADMIN: {Permission.READ, Permission.RESPOND, Permission.CONFIGURE},
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


def require(role: Role | None, permission: Permission) -> None:
    """Refuse unless `role` grants `permission`; None (an unmapped actor) may respond only."""
    if role is None:
        granted = permission in {Permission.READ, Permission.RESPOND}
    else:
        granted = allows(role, permission)
    if not granted:
        raise PermissionDeniedError(
            f"the {role.value if role else 'unmapped'} role may not {permission.value}"
        )
