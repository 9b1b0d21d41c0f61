"""The `/api/v1` router, assembled from one router per resource."""

from fastapi import APIRouter, Depends

from watchkeep.api import (
    connectors,
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
    tokens,
    users,
)
from watchkeep.api.deps import storable_input

# Every route refuses unstorable text first (`deps.storable_input`).
router = APIRouter(prefix="/api/v1", dependencies=[Depends(storable_input)])
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
    tokens,
    runbooks,
    runbook_runs,
    connectors,
):
    router.include_router(module.router)
