"""How a person wants to be paged: by Slack DM or not, and whether to be DMed again
while the incident is still unacknowledged. Kept on the user as JSON; None there
means the defaults (DM at once, no repeat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeep.core.errors import InvalidInputError
from watchkeep.core.models import User

MAX_REPEAT_MINUTES = 24 * 60


@dataclass(frozen=True)
class NotificationRules:
    slack_dm: bool = True
    # DM again this long after the first DM if nobody acknowledged yet; None: never.
    repeat_after_minutes: int | None = None

    def __post_init__(self) -> None:
        minutes = self.repeat_after_minutes
        if minutes is not None and not 1 <= minutes <= MAX_REPEAT_MINUTES:
            raise InvalidInputError(
                "notification_rules.repeat_after_minutes",
                f"must be from 1 to {MAX_REPEAT_MINUTES} minutes, or null for no repeat",
            )

    def to_json(self) -> dict[str, Any]:
        return {"slack_dm": self.slack_dm, "repeat_after_minutes": self.repeat_after_minutes}


def rules_of(user: User) -> NotificationRules:
    stored = user.notification_rules or {}
    return NotificationRules(
        slack_dm=bool(stored.get("slack_dm", True)),
        repeat_after_minutes=stored.get("repeat_after_minutes"),
    )


def set_rules(user: User, rules: NotificationRules) -> NotificationRules:
    user.notification_rules = rules.to_json()
    return rules
