"""Who made a change, and from where."""

from __future__ import annotations

from dataclasses import dataclass

from watchkeep.core.models import Role, Source, User


@dataclass(frozen=True)
class Actor:
    """A mapped user, or a name alone (an unmapped Slack user, the system)."""

    name: str
    source: Source
    user_id: int | None = None
    role: Role | None = None

    @classmethod
    def for_user(cls, user: User, source: Source) -> Actor:
        return cls(name=user.name, source=source, user_id=user.id, role=user.role)

    @classmethod
    def system(cls) -> Actor:
        return cls(name="Watchkeep", source=Source.SYSTEM)
