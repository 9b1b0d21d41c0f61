"""The `/api/v1` router, assembled from one router per resource."""

from fastapi import APIRouter

from watchkeep.api import (
    escalation_policies,
    incidents,
    integrations,
    oncall,
    runbook_runs,
    runbooks,
    schedules,
    services,
    slack_connection,
    teams,
    users,
)

router = APIRouter(prefix="/api/v1")
for module in (
    users,
    teams,
    services,
    integrations,
    incidents,
    schedules,
    oncall,
    escalation_policies,
    slack_connection,
    runbooks,
    runbook_runs,
):
    router.include_router(module.router)
