"""Run history as the pages show it: each run with its steps (status, what it did,
Slack's error) and links to the channels and messages it made. Only the runs on
incidents the person may see (`runbooks.visibility`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.access import Scope
from watchkeep.core.connector_models import Connector
from watchkeep.runbooks import engine
from watchkeep.runbooks.models import Runbook, RunbookRun, RunbookStepRun
from watchkeep.runbooks.visibility import visible_runs
from watchkeep.slack.models import SlackWorkspace

HISTORY = 50


@dataclass
class StepView:
    step: RunbookStepRun
    did: str
    links: list[tuple[str, str | None]] = field(default_factory=list)  # (label, url)


@dataclass
class RunView:
    run: RunbookRun
    runbook_name: str
    steps: list[StepView]


def runs(
    session: Session,
    scope: Scope,
    *,
    runbook_id: int | None = None,
    incident_id: int | None = None,
) -> list[RunView]:
    query = (
        select(RunbookRun).where(visible_runs(scope)).order_by(RunbookRun.id.desc()).limit(HISTORY)
    )
    if runbook_id is not None:
        query = query.where(RunbookRun.runbook_id == runbook_id)
    if incident_id is not None:
        query = query.where(RunbookRun.incident_id == incident_id)
    found = list(session.scalars(query))
    steps = engine.steps_of(session, [run.id for run in found])
    names = dict(
        session.execute(
            select(Runbook.id, Runbook.name).where(Runbook.id.in_({r.runbook_id for r in found}))
        ).all()
    )
    urls = _TeamUrls(session)
    return [
        RunView(run, names.get(run.runbook_id, ""), [_step(s, urls) for s in steps[run.id]])
        for run in found
    ]


def last_runs(session: Session, scope: Scope, runbook_ids: list[int]) -> dict[int, RunbookRun]:
    """Each runbook's latest run that `scope` may see."""
    if not runbook_ids:
        return {}
    latest = (
        select(func.max(RunbookRun.id))
        .where(RunbookRun.runbook_id.in_(runbook_ids), visible_runs(scope))
        .group_by(RunbookRun.runbook_id)
    )
    rows = session.scalars(select(RunbookRun).where(RunbookRun.id.in_(latest)))
    return {run.runbook_id: run for run in rows}


class _TeamUrls:
    """The Slack team address of whoever made a step's things (workspace or connector)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, result: dict[str, Any]) -> str | None:
        if result.get("workspace_id"):
            workspace = self.session.get(SlackWorkspace, result["workspace_id"])
            return workspace.team_url if workspace is not None else None
        if result.get("connector_id"):
            connector = self.session.get(Connector, result["connector_id"])
            return connector.slack_team_url if connector is not None else None
        return None


def _step(step: RunbookStepRun, urls: _TeamUrls) -> StepView:
    result = step.result or {}
    base = (urls.of(result) or "").rstrip("/")
    channel, ts = result.get("channel_id"), result.get("ts")
    links: list[tuple[str, str | None]] = []
    if channel and ts:
        url = f"{base}/archives/{channel}/p{ts.replace('.', '')}" if base else None
        links.append(("message", url))
    elif channel:
        name = result.get("channel_name") or channel
        links.append((f"#{name}", f"{base}/archives/{channel}" if base else None))
    return StepView(step, _did(step.operation, result), links)


def _did(operation: str, result: dict[str, Any]) -> str:
    """One line of what the step did, from its result."""
    parts = []
    if operation == "create_channel" and result.get("channel_name"):
        parts.append(f"opened #{result['channel_name']}")
    if result.get("invited"):
        parts.append(f"invited {len(result['invited'])}")
    if result.get("unmapped"):
        parts.append("not mapped: " + "; ".join(result["unmapped"]))
    if result.get("ts"):
        parts.append("posted")
    if result.get("topic"):
        parts.append(f"topic: {result['topic']}")
    if result.get("next_step_at"):
        parts.append(f"next step at {result['next_step_at']}")
    return ", ".join(parts)
