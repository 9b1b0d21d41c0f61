"""Whom an escalation step pages: its targets resolved to active users at a moment.

A user target pages that user; a schedule target pages whoever is on call on it
then; a team target pages the team's members. Disabled users are never paged.
A person named by several targets is paged once. A target that yields nobody
(nobody on call, an empty team, a disabled user) is said so on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.core.models import User
from watchkeep.oncall import roster
from watchkeep.oncall.models import EscalationStep, EscalationTarget


@dataclass
class StepPage:
    users: list[User] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # why a target paged nobody


def resolve_step(session: Session, step: EscalationStep, at: datetime) -> StepPage:
    page = StepPage()
    seen: set[int] = set()
    for target in step.targets:
        found, gap = _resolve(session, target, at)
        if gap:
            page.gaps.append(gap)
        page.targets.append(
            {
                "type": target.type,
                "id": target.target_id,
                "name": target.target_name,
                "user_ids": [user.id for user in found],
            }
        )
        for user in found:
            if user.id not in seen:
                seen.add(user.id)
                page.users.append(user)
    return page


def _resolve(session: Session, target: EscalationTarget, at: datetime) -> tuple[list[User], str]:
    if target.user is not None:
        if target.user.is_active:
            return [target.user], ""
        return [], f"{target.user.name} is disabled"
    if target.schedule is not None:
        user = roster.on_call_user(session, target.schedule, at)
        if user is None:
            return [], f"nobody was on call for schedule {target.schedule.name!r}"
        if not user.is_active:
            return [], f"{user.name}, on call for {target.schedule.name!r}, is disabled"
        return [user], ""
    if target.team is not None:
        members = [user for user in target.team.members if user.is_active]
        return members, "" if members else f"team {target.team.name!r} has no active members"
    return [], "a target no longer exists"


def describe(page: StepPage) -> str:
    paged = ", ".join(user.name for user in page.users) if page.users else "nobody was paged"
    if page.users:
        paged = f"paged {paged}"
    return paged + "".join(f"; {gap}" for gap in page.gaps)


def paged_data(page: StepPage) -> list[dict[str, Any]]:
    """The people paged as the Slack integration needs them (email maps to Slack users)."""
    return [{"user_id": user.id, "name": user.name, "email": user.email} for user in page.users]
