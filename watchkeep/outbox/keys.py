"""Ordering keys: rows that share one run one at a time, in the order they were made.

One helper per key format, so that the writer of a key and every reader of it
(coalescing, health counts) agree.
"""

from __future__ import annotations


def incident(incident_id: int) -> str:
    """One incident's domain events are fanned out in order."""
    return f"incident:{incident_id}"


def slack_incident(workspace_id: int, incident_id: int) -> str:
    """One incident's messages in one workspace: the post first, then replies and updates."""
    return f"{slack_workspace(workspace_id)}incident:{incident_id}"


def slack_workspace(workspace_id: int) -> str:
    """The prefix shared by every ordering key of one workspace's messages."""
    return f"slack:{workspace_id}:"


def slack_dm(incident_id: int) -> str:
    """One incident's DMs to paged people, in every workspace: each card before its updates."""
    return f"slack-dm:incident:{incident_id}"


def slack_usergroup(workspace_id: int, schedule_id: int) -> str:
    """One schedule's on-call user group in one workspace: one change at a time."""
    return f"{slack_workspace(workspace_id)}usergroup:{schedule_id}"


def slack_event(team_id: str, channel: str | None) -> str:
    """Events from Slack about one channel (or one team's users): one at a time, in order."""
    return f"slack-event:{team_id}:{channel or ''}"


def runbook_run(run_id: int) -> str:
    """One runbook run's steps: one at a time, in order."""
    return f"runbook-run:{run_id}"


def runbook_repeat(runbook_id: int, incident_id: int) -> str:
    """The status-reminder timer of one runbook for one incident."""
    return f"runbook-repeat:{runbook_id}:{incident_id}"
