"""The app's Home tab (`app_home_opened` → `views.publish`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery


def on_home_opened(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, event: dict[str, Any]
) -> None:
    return None
